/**
 * A data set of recordings → model-ready samples: each participant's recordings imported (any WAV layout
 * and rate), turned into log-mel features with the model's own parameters, and labelled from a metadata
 * column. Unusable recordings (empty, corrupt) do not drop the participant: that modality is filled with
 * silence and marked absent, as the inference service does when a modality is missing.
 */
import { AudioImportError } from '../audio/audioImportError';
import { readRecordingFile } from '../audio/recordingFile';
import { importWavBytes } from '../audio/wavImport';
import { logMelCrops } from '../dsp/melSpectrogram';
import type { AudioFeatureParams } from '../models/packageMeta';
import type { FeatureCache } from '../train/featureCache';
import { subset, type SampleSet } from '../train/sampleSet';
import type { Dataset, DatasetSubject } from './dataset';
import { DatasetError } from './datasetError';

export interface AudioModalityFeatures {
  readonly name: string;
  readonly features: AudioFeatureParams;
}

export interface AudioSampleOptions {
  readonly modalities: readonly AudioModalityFeatures[];
  /** Metadata column holding the label (e.g. `g`, `covid_status`). */
  readonly labelColumn: string;
  /** Class names in index order; values outside it are skipped (and reported). Default: sorted values seen. */
  readonly labels?: readonly string[];
  /** Map raw column values to class names (e.g. covid_status values → 'positive' / 'negative'). */
  readonly labelMap?: Readonly<Record<string, string>>;
  readonly cache?: FeatureCache;
  /**
   * Crops per recording, spread evenly over the sound (1 = the centre crop inference uses). More crops
   * give training more of each participant's sound; they stay one participant for every split.
   */
  readonly crops?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SkippedRecording {
  readonly subject: string;
  readonly modality: string;
  readonly path?: string;
  readonly reason: string;
}

export interface AudioSamples {
  readonly set: SampleSet;
  readonly labels: readonly string[];
  readonly skipped: readonly SkippedRecording[];
  /** Participants left out because their label is missing or not one of the classes. */
  readonly unlabelled: readonly string[];
  /** Participants left out because none of their recordings could be used. */
  readonly unusable: readonly string[];
}

/** The value log-mel features take in silence: what a missing modality is filled with. */
export function silenceValue(p: Pick<AudioFeatureParams, 'logFloor'>): number {
  return Math.log(p.logFloor ?? 1e-10);
}

export function cropPositions(crops: number): number[] {
  return crops <= 1 ? [0.5] : Array.from({ length: crops }, (_, k) => k / (crops - 1));
}

async function featuresOf(path: string, p: AudioFeatureParams, positions: readonly number[], cache: FeatureCache | undefined): Promise<Float32Array[]> {
  // Every path here was named by a data set (or the store), never picked by a person: a link is refused
  // at the read, even one that replaced a recording after the set was listed.
  const bytes = await readRecordingFile(path, { insideFolder: true });
  const size = p.frames * p.melBands;
  const key = cache?.key(bytes, { p, positions });
  const cached = key ? cache!.get(key, size * positions.length) : undefined;
  if (cached) return positions.map((_, k) => cached.subarray(k * size, (k + 1) * size));
  const rec = importWavBytes(bytes, path, p.sampleRate);
  const crops = logMelCrops(rec.samples, p, rec.sampleRate, positions).map((c) => c.data);
  if (key) {
    const all = new Float32Array(size * positions.length);
    crops.forEach((c, k) => all.set(c, k * size));
    cache!.put(key, all);
  }
  return crops;
}

export async function audioSamples(dataset: Dataset, o: AudioSampleOptions): Promise<AudioSamples> {
  const labelOf = (s: DatasetSubject): string | undefined => {
    const raw = s.labels[o.labelColumn];
    return raw === undefined ? undefined : (o.labelMap?.[raw] ?? raw);
  };
  if (!dataset.labelColumns.includes(o.labelColumn) && !dataset.subjects.some((s) => labelOf(s) !== undefined)) {
    throw new DatasetError(dataset.root, `no label column '${o.labelColumn}' (columns: ${dataset.labelColumns.join(', ')})`);
  }
  const labels = o.labels ?? [...new Set(dataset.subjects.map(labelOf).filter((v): v is string => v !== undefined))].sort();
  if (labels.length < 2) throw new DatasetError(dataset.root, `column '${o.labelColumn}' has ${labels.length} class(es); at least 2 are needed`);
  const subjects = dataset.subjects.filter((s) => {
    const l = labelOf(s);
    return l !== undefined && labels.includes(l);
  });
  const unlabelled = dataset.subjects.filter((s) => !subjects.includes(s)).map((s) => s.id);
  const sizes = o.modalities.map((m) => m.features.frames * m.features.melBands);
  const positions = cropPositions(o.crops ?? 1);
  const k = positions.length;
  const count = subjects.length * k;
  const modalities = sizes.map((size) => new Float32Array(count * size));
  const skipped: SkippedRecording[] = [];
  const present: boolean[][] = [];
  const total = subjects.length * o.modalities.length;
  let done = 0;
  for (let i = 0; i < subjects.length; i++) {
    const s = subjects[i]!;
    const row: boolean[] = [];
    for (let m = 0; m < o.modalities.length; m++) {
      const spec = o.modalities[m]!;
      const target = modalities[m]!.subarray(i * k * sizes[m]!, (i + 1) * k * sizes[m]!);
      const path = s.recordings[spec.name];
      let ok = false;
      if (!path) {
        skipped.push({ subject: s.id, modality: spec.name, reason: 'no recording' });
      } else {
        try {
          (await featuresOf(path, spec.features, positions, o.cache)).forEach((crop, c) => target.set(crop, c * sizes[m]!));
          ok = true;
        } catch (e) {
          if (!(e instanceof AudioImportError)) throw e;
          skipped.push({ subject: s.id, modality: spec.name, path, reason: e.message });
        }
      }
      if (!ok) target.fill(silenceValue(spec.features));
      row.push(ok);
      o.onProgress?.(++done, total);
    }
    for (let c = 0; c < k; c++) present.push(row);
  }
  const all: SampleSet = {
    count,
    modalities,
    sampleSizes: sizes,
    labels: Int32Array.from({ length: count }, (_, i) => labels.indexOf(labelOf(subjects[Math.floor(i / k)]!)!)),
    groups: Array.from({ length: count }, (_, i) => subjects[Math.floor(i / k)]!.id),
    present,
  };
  // A participant with no usable recording at all carries no evidence, only a label: leave them out.
  const keep = present.flatMap((row, i) => (row.some(Boolean) ? [i] : []));
  const unusable = [...new Set(present.flatMap((row, i) => (row.some(Boolean) ? [] : [all.groups[i]!])))];
  return { set: keep.length === count ? all : subset(all, keep), labels, skipped, unlabelled, unusable };
}
