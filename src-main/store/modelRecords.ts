/**
 * Model packages the store knows about and where each stands. At most one version of a model id is
 * 'current' (what Screen uses); a retrained one starts as 'candidate' until the user accepts it
 * (→ current) or not (→ rejected); 'deployed' marks a version pushed to a device.
 */
import { nowIso, type Store } from './store';

export type ModelStatus = 'current' | 'candidate' | 'rejected' | 'deployed';

export interface ModelRecord {
  readonly id: string;
  readonly version: string;
  readonly packageDir: string;
  readonly status: ModelStatus;
  readonly trainingRunId: number | null;
  readonly createdAt: string;
}

const SELECT = 'SELECT id, version, package_dir AS packageDir, status, training_run_id AS trainingRunId, created_at AS createdAt FROM models';

export function addModel(store: Store, m: { id: string; version: string; packageDir: string; status?: ModelStatus; trainingRunId?: number }): ModelRecord {
  store.db
    .prepare('INSERT INTO models (id, version, package_dir, status, training_run_id, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(m.id, m.version, m.packageDir, m.status ?? 'candidate', m.trainingRunId ?? null, nowIso());
  return getModel(store, m.id, m.version)!;
}

export function getModel(store: Store, id: string, version: string): ModelRecord | undefined {
  return store.db.prepare(`${SELECT} WHERE id = ? AND version = ?`).get(id, version) as ModelRecord | undefined;
}

export function listModels(store: Store, id?: string): ModelRecord[] {
  return (id ? store.db.prepare(`${SELECT} WHERE id = ? ORDER BY created_at`).all(id) : store.db.prepare(`${SELECT} ORDER BY id, created_at`).all()) as ModelRecord[];
}

/** Sets a version's status; making one 'current' demotes the previous current version to 'candidate'. */
export function setModelStatus(store: Store, id: string, version: string, status: ModelStatus): void {
  store.db.transaction(() => {
    if (!getModel(store, id, version)) throw new Error(`model ${id}@${version} is not in the store`);
    if (status === 'current') store.db.prepare("UPDATE models SET status = 'candidate' WHERE id = ? AND status = 'current'").run(id);
    store.db.prepare('UPDATE models SET status = ? WHERE id = ? AND version = ?').run(status, id, version);
  }).immediate();
}
