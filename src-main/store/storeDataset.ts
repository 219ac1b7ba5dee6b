/**
 * A named data set in the store, seen as a `Dataset` the training code already understands: each
 * selected participant with all their labels and, per modality, their most recently imported recording
 * (its blob, which is the WAV file's exact bytes). This is how the Retrain wizard trains on what was
 * imported and labelled locally.
 */
import type { Dataset, DatasetSubject } from '../datasets/dataset';
import { modalitiesOf } from '../datasets/dataset';
import { blobPath } from './blobStore';
import { loadDataset } from './datasets';
import type { Store } from './store';

export interface StoreDataset {
  readonly dataset: Dataset;
  /** The blob hashes of the recordings it uses, sorted: what a training run records. */
  readonly hashes: readonly string[];
}

export function datasetFromStore(store: Store, name: string): StoreDataset {
  const selection = loadDataset(store, name);
  if (!selection) throw new Error(`${store.file}: no data set named '${name}'`);
  const labelRows = store.db
    .prepare('SELECT l.subject, l.label_column AS col, l.value FROM labels l JOIN dataset_subjects ds ON ds.subject = l.subject WHERE ds.dataset_id = ?')
    .all(selection.id) as { subject: string; col: string; value: string }[];
  // Latest import wins when a participant was recorded again.
  const recordingRows = store.db
    .prepare('SELECT r.subject, r.modality, r.sha256 FROM recordings r JOIN dataset_subjects ds ON ds.subject = r.subject WHERE ds.dataset_id = ? ORDER BY r.id')
    .all(selection.id) as { subject: string; modality: string; sha256: string }[];
  const labels = new Map<string, Record<string, string>>();
  for (const r of labelRows) (labels.get(r.subject) ?? labels.set(r.subject, {}).get(r.subject)!)[r.col] = r.value;
  const recordings = new Map<string, Record<string, string>>();
  const hashOf = new Map<string, string>();
  for (const r of recordingRows) {
    const path = blobPath(store.blobsDir, r.sha256);
    (recordings.get(r.subject) ?? recordings.set(r.subject, {}).get(r.subject)!)[r.modality] = path;
    hashOf.set(path, r.sha256);
  }
  const subjects: DatasetSubject[] = selection.subjects.map((id) => ({ id, labels: labels.get(id) ?? {}, recordings: recordings.get(id) ?? {} }));
  const columns = new Set(labelRows.map((r) => r.col));
  const labelColumns = [...(selection.labelColumn ? [selection.labelColumn] : []), ...[...columns].filter((c) => c !== selection.labelColumn).sort()];
  const used = new Set(subjects.flatMap((s) => Object.values(s.recordings).map((p) => hashOf.get(p)!)));
  return {
    // Structurally a manifest: rows of subject, labels, modality and file, with the store as its root.
    dataset: { root: store.file, layout: 'manifest', subjects, modalities: modalitiesOf(subjects), labelColumns, problems: [] },
    hashes: [...used].sort(),
  };
}
