/**
 * What each training run was, so a model can be reproduced or questioned later: its seed, the exact data
 * (blob hashes), the recipe, the code version, and what came out.
 */
import { nowIso, type Store } from './store';

export type TrainingRunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface TrainingRun {
  readonly id: number;
  readonly seed: number;
  readonly dataHashes: readonly string[];
  readonly recipe: unknown;
  readonly codeVersion: string;
  readonly metrics: unknown;
  readonly status: TrainingRunStatus;
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

interface Row {
  id: number;
  seed: number;
  data_hashes: string;
  recipe: string;
  code_version: string;
  metrics: string | null;
  status: TrainingRunStatus;
  started_at: string;
  finished_at: string | null;
}

export function startTrainingRun(store: Store, run: { seed: number; dataHashes: readonly string[]; recipe: unknown; codeVersion: string }): number {
  const info = store.db
    .prepare("INSERT INTO training_runs (seed, data_hashes, recipe, code_version, status, started_at) VALUES (?, ?, ?, ?, 'running', ?)")
    .run(run.seed, JSON.stringify([...run.dataHashes].sort()), JSON.stringify(run.recipe), run.codeVersion, nowIso());
  return Number(info.lastInsertRowid);
}

export function finishTrainingRun(store: Store, id: number, status: Exclude<TrainingRunStatus, 'running'>, metrics?: unknown): void {
  store.db.prepare('UPDATE training_runs SET status = ?, metrics = ?, finished_at = ? WHERE id = ?').run(status, metrics === undefined ? null : JSON.stringify(metrics), nowIso(), id);
}

export function getTrainingRun(store: Store, id: number): TrainingRun | undefined {
  const r = store.db.prepare('SELECT * FROM training_runs WHERE id = ?').get(id) as Row | undefined;
  if (!r) return undefined;
  return {
    id: r.id,
    seed: r.seed,
    dataHashes: JSON.parse(r.data_hashes) as string[],
    recipe: JSON.parse(r.recipe) as unknown,
    codeVersion: r.code_version,
    metrics: r.metrics === null ? null : (JSON.parse(r.metrics) as unknown),
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}
