import { describeFailure, importRecordings, type ImportFailure } from '../audio/importReport';
import { assessTake, type TakeIssueCode, type TakeMeasures } from '../audio/takeQuality';
import { labelCounts, recordingRefs, type Dataset, type DatasetProblem } from './dataset';
import { DatasetError } from './datasetError';

/**
 * What an analyst needs to know about a data set before training on it: who is in it, how the labels
 * are balanced, what each modality's recordings look like, and every recording that will not help.
 * It imports every recording exactly as training would, so what it reports broken, training will skip.
 * (Pure of the command line; it lives beside the `dataset inspect` command until a second caller needs it.)
 */
export interface ModalityStats {
  readonly modality: string;
  /** Participants with a file for this modality. */
  readonly files: number;
  readonly imported: number;
  readonly failed: number;
  /** Seconds, over the imported recordings; undefined when none imported. */
  readonly duration?: { readonly min: number; readonly median: number; readonly mean: number; readonly max: number; readonly total: number };
  /** Native sample rate (Hz, as text for JSON keys) → recordings. */
  readonly sampleRates: Readonly<Record<string, number>>;
}

export interface QualityFinding {
  readonly subject: string;
  readonly modality: string;
  readonly code: TakeIssueCode;
  /** The measurement behind the finding, for an analyst ("loud part −96.0 dBFS"). */
  readonly detail: string;
  /** The plain-language reason the capture screen would show. */
  readonly message: string;
}

export interface DatasetInspection {
  readonly root: string;
  readonly layout: Dataset['layout'];
  readonly participants: number;
  readonly labelColumn: string;
  readonly labelColumns: readonly string[];
  readonly labelCounts: Readonly<Record<string, number>>;
  readonly modalities: readonly ModalityStats[];
  /** Problems with the data set's structure (missing files, contradicting metadata). */
  readonly structureProblems: readonly DatasetProblem[];
  /** Recordings that could not be imported at all (empty, truncated, not WAV…). */
  readonly importFailures: readonly { readonly subject?: string; readonly modality?: string; readonly path: string; readonly reason: string; readonly line: string }[];
  /** Recordings that import but are silent, clipped or noisy (the capture screen's own checks). */
  readonly qualityFindings: readonly QualityFinding[];
}

export interface InspectOptions {
  /** Label column to count; the layout's natural one when absent. */
  readonly labelColumn?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

function findingDetail(code: TakeIssueCode, m: TakeMeasures): string {
  switch (code) {
    case 'silent':
      return `loud part ${m.loudDbfs.toFixed(1)} dBFS, ${m.durationSeconds.toFixed(1)} s`;
    case 'noisy':
      return `loud part ${m.loudDbfs.toFixed(1)} dBFS over background ${m.quietDbfs.toFixed(1)} dBFS: ${m.snrDb.toFixed(1)} dB`;
    case 'clipped':
      return `${(m.clippedFraction * 100).toFixed(2)} % of samples at full scale`;
    default:
      return `${m.durationSeconds.toFixed(1)} s`;
  }
}

function round(x: number, digits = 2): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

function durationStats(values: number[]): ModalityStats['duration'] {
  if (values.length === 0) return undefined;
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const total = sorted.reduce((a, b) => a + b, 0);
  return { min: round(sorted[0]!), median: round(median), mean: round(total / sorted.length), max: round(sorted.at(-1)!), total: round(total, 1) };
}

export async function inspectDataset(dataset: Dataset, options: InspectOptions = {}): Promise<DatasetInspection> {
  const labelColumn = options.labelColumn ?? dataset.labelColumns[0];
  if (labelColumn === undefined) throw new DatasetError(dataset.root, 'the data set has no label columns');
  if (!dataset.labelColumns.includes(labelColumn)) {
    throw new DatasetError(dataset.root, `no label column "${labelColumn}" (columns: ${dataset.labelColumns.join(', ')})`);
  }
  const refs = recordingRefs(dataset);
  const durations = new Map<string, number[]>();
  const rates = new Map<string, Record<string, number>>();
  const failures: ImportFailure[] = [];
  const qualityFindings: QualityFinding[] = [];
  for (let i = 0; i < refs.length; i++) {
    // One file at a time, so only one recording's samples are ever held in memory.
    const report = await importRecordings([refs[i]!]);
    failures.push(...report.failed);
    for (const entry of report.imported) {
      const modality = entry.ref.modality ?? '';
      durations.set(modality, [...(durations.get(modality) ?? []), entry.durationSeconds]);
      const r = rates.get(modality) ?? {};
      r[String(entry.source.sampleRate)] = (r[String(entry.source.sampleRate)] ?? 0) + 1;
      rates.set(modality, r);
      const rec = entry.recording!;
      const quality = assessTake(rec.samples, rec.sampleRate);
      for (const issue of quality.issues) {
        qualityFindings.push({ subject: entry.ref.subject ?? '', modality, code: issue.code, detail: findingDetail(issue.code, quality.measures), message: issue.message });
      }
    }
    options.onProgress?.(i + 1, refs.length);
  }
  const modalities = dataset.modalities.map((modality): ModalityStats => {
    const files = refs.filter((r) => r.modality === modality).length;
    const failed = failures.filter((f) => f.ref.modality === modality).length;
    return { modality, files, imported: files - failed, failed, duration: durationStats(durations.get(modality) ?? []), sampleRates: rates.get(modality) ?? {} };
  });
  return {
    root: dataset.root,
    layout: dataset.layout,
    participants: dataset.subjects.length,
    labelColumn,
    labelColumns: dataset.labelColumns,
    labelCounts: Object.fromEntries(labelCounts(dataset, labelColumn)),
    modalities,
    structureProblems: dataset.problems,
    importFailures: failures.map((f) => ({ subject: f.ref.subject, modality: f.ref.modality, path: f.ref.path, reason: f.reason, line: describeFailure(f) })),
    qualityFindings,
  };
}
