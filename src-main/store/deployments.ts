/** Every push of a model to a device and how it ended, newest first when listed. */
import { nowIso, type Store } from './store';

export type DeploymentResult = 'succeeded' | 'failed' | 'rolled-back';

export interface Deployment {
  readonly id: number;
  readonly modelId: string;
  readonly modelVersion: string;
  readonly device: string;
  readonly result: DeploymentResult;
  readonly detail: string | null;
  readonly deployedAt: string;
}

export function recordDeployment(store: Store, d: { modelId: string; modelVersion: string; device: string; result: DeploymentResult; detail?: string }): number {
  const info = store.db
    .prepare('INSERT INTO deployments (model_id, model_version, device, result, detail, deployed_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(d.modelId, d.modelVersion, d.device, d.result, d.detail ?? null, nowIso());
  return Number(info.lastInsertRowid);
}

export function listDeployments(store: Store, device?: string): Deployment[] {
  const sql = `SELECT id, model_id AS modelId, model_version AS modelVersion, device, result, detail, deployed_at AS deployedAt FROM deployments
               ${device ? 'WHERE device = ?' : ''} ORDER BY id DESC`;
  return (device ? store.db.prepare(sql).all(device) : store.db.prepare(sql).all()) as Deployment[];
}

/**
 * Records a push of an installed package (bundled, user or retrained): the model gets its row first when
 * the store has not seen it, so the history can name any package the app can deploy.
 */
export function recordPackageDeployment(
  store: Store,
  d: { modelId: string; modelVersion: string; packageDir: string; device: string; result: DeploymentResult; detail?: string },
): number {
  return store.db.transaction(() => {
    store.db
      .prepare(`INSERT OR IGNORE INTO models (id, version, package_dir, status, created_at) VALUES (?, ?, ?, 'current', ?)`)
      .run(d.modelId, d.modelVersion, d.packageDir, nowIso());
    return recordDeployment(store, d);
  }).immediate();
}
