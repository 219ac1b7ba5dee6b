/** Named selections of participants: what a training run was asked to learn from. */
import { nowIso, type Store } from './store';

export interface StoredDataset {
  readonly id: number;
  readonly name: string;
  readonly labelColumn: string | null;
  readonly subjects: readonly string[];
}

/** Creates or replaces the selection called `name`. Every subject must already be in the store. */
export function saveDataset(store: Store, name: string, subjects: readonly string[], labelColumn?: string): StoredDataset {
  return store.db.transaction(() => {
    const known = store.db.prepare('SELECT 1 FROM subjects WHERE code = ?');
    for (const s of subjects) if (!known.get(s)) throw new Error(`data set '${name}': subject '${s}' is not in the store`);
    store.db
      .prepare('INSERT INTO datasets (name, label_column, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET label_column = excluded.label_column')
      .run(name, labelColumn ?? null, nowIso());
    const { id } = store.db.prepare('SELECT id FROM datasets WHERE name = ?').get(name) as { id: number };
    store.db.prepare('DELETE FROM dataset_subjects WHERE dataset_id = ?').run(id);
    const add = store.db.prepare('INSERT INTO dataset_subjects (dataset_id, subject) VALUES (?, ?)');
    for (const s of new Set(subjects)) add.run(id, s);
    return { id, name, labelColumn: labelColumn ?? null, subjects: [...new Set(subjects)].sort() };
  }).immediate();
}

export function loadDataset(store: Store, name: string): StoredDataset | undefined {
  const row = store.db.prepare('SELECT id, name, label_column AS labelColumn FROM datasets WHERE name = ?').get(name) as Omit<StoredDataset, 'subjects'> | undefined;
  if (!row) return undefined;
  const subjects = (store.db.prepare('SELECT subject FROM dataset_subjects WHERE dataset_id = ? ORDER BY subject').all(row.id) as { subject: string }[]).map((r) => r.subject);
  return { ...row, subjects };
}

/** The blob hashes of a selection's recordings, sorted: what a training run records as its data. */
export function datasetHashes(store: Store, name: string): string[] {
  return (
    store.db
      .prepare(
        `SELECT DISTINCT r.sha256 FROM recordings r JOIN dataset_subjects ds ON ds.subject = r.subject JOIN datasets d ON d.id = ds.dataset_id
         WHERE d.name = ? ORDER BY r.sha256`,
      )
      .all(name) as { sha256: string }[]
  ).map((r) => r.sha256);
}
