import type { RecordingRef } from '../audio/importReport';

/** One participant: their labels (any metadata column, as text) and one recording per modality. */
export interface DatasetSubject {
  readonly id: string;
  /** Column name → value, e.g. { g: 'female', covid_status: 'healthy' }. */
  readonly labels: Readonly<Record<string, string>>;
  /** Modality name → absolute path of the WAV file. */
  readonly recordings: Readonly<Record<string, string>>;
}

/** Something wrong with the data set's structure, found while loading (bad recordings are found on import). */
export interface DatasetProblem {
  readonly subject?: string;
  readonly modality?: string;
  readonly path?: string;
  readonly message: string;
}

export type DatasetLayout = 'coswara' | 'manifest' | 'folders';

export interface Dataset {
  readonly root: string;
  readonly layout: DatasetLayout;
  readonly subjects: readonly DatasetSubject[];
  /** Every modality seen, in first-seen order. */
  readonly modalities: readonly string[];
  /** Metadata columns a label can be taken from; the layout's natural label column first. */
  readonly labelColumns: readonly string[];
  readonly problems: readonly DatasetProblem[];
}

/**
 * The recordings of a data set as import references, so bad files are reported by participant and
 * modality. Each is marked `insideFolder`: the data set named it, so the import refuses it if it has
 * become a symbolic link since the set was listed.
 */
export function recordingRefs(dataset: Dataset): RecordingRef[] {
  const refs: RecordingRef[] = [];
  for (const s of dataset.subjects) {
    for (const modality of dataset.modalities) {
      const path = s.recordings[modality];
      if (path) refs.push({ path, subject: s.id, modality, insideFolder: true });
    }
  }
  return refs;
}

/** Label counts for one column; participants without a value count under '(missing)'. */
export function labelCounts(dataset: Dataset, column: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of dataset.subjects) {
    const v = s.labels[column] ?? '(missing)';
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return new Map([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

export function modalitiesOf(subjects: readonly DatasetSubject[]): string[] {
  const seen = new Set<string>();
  for (const s of subjects) for (const m of Object.keys(s.recordings)) seen.add(m);
  return [...seen];
}
