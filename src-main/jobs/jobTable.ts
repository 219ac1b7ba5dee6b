/**
 * The jobs table: the runner's whole state, so the queue, each job's last progress and where an
 * interrupted job stopped survive a restart of the app.
 */
import { nowIso, type Store } from '../store/store';
import type { JobCheckpoint, JobCurves, JobProgress, JobResult, JobSpec, JobStatus } from './jobSpec';

export interface JobRecord {
  readonly id: number;
  readonly kind: JobSpec['kind'];
  readonly resource: string;
  readonly spec: JobSpec;
  readonly status: JobStatus;
  readonly progress: (JobProgress & { readonly curves: JobCurves }) | null;
  readonly checkpoint: JobCheckpoint | null;
  readonly result: JobResult | null;
  readonly error: string | null;
  readonly trainingRunId: number | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

interface Row {
  id: number;
  kind: JobSpec['kind'];
  resource: string;
  spec: string;
  status: JobStatus;
  progress: string | null;
  checkpoint: string | null;
  result: string | null;
  error: string | null;
  training_run_id: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

function fromRow(r: Row): JobRecord {
  return {
    id: r.id,
    kind: r.kind,
    resource: r.resource,
    spec: JSON.parse(r.spec) as JobSpec,
    status: r.status,
    progress: parse(r.progress),
    checkpoint: parse(r.checkpoint),
    result: parse(r.result),
    error: r.error,
    trainingRunId: r.training_run_id,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export function insertJob(store: Store, spec: JobSpec, resource: string): number {
  const info = store.db.prepare("INSERT INTO jobs (kind, resource, spec, status, created_at) VALUES (?, ?, ?, 'queued', ?)").run(spec.kind, resource, JSON.stringify(spec), nowIso());
  return Number(info.lastInsertRowid);
}

export function getJob(store: Store, id: number): JobRecord | undefined {
  const r = store.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
  return r ? fromRow(r) : undefined;
}

/** Jobs in queue order (oldest first), optionally only those in the given states. */
export function listJobs(store: Store, statuses?: readonly JobStatus[]): JobRecord[] {
  const rows = statuses
    ? (store.db.prepare(`SELECT * FROM jobs WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY id`).all(...statuses) as Row[])
    : (store.db.prepare('SELECT * FROM jobs ORDER BY id').all() as Row[]);
  return rows.map(fromRow);
}

export function markStarted(store: Store, id: number): void {
  store.db.prepare("UPDATE jobs SET status = 'running', started_at = ?, error = NULL WHERE id = ?").run(nowIso(), id);
}

export function saveProgress(store: Store, id: number, progress: JobProgress & { readonly curves: JobCurves }): void {
  store.db.prepare('UPDATE jobs SET progress = ? WHERE id = ?').run(JSON.stringify(progress), id);
}

export function saveCheckpoint(store: Store, id: number, checkpoint: JobCheckpoint): void {
  store.db.prepare('UPDATE jobs SET checkpoint = ? WHERE id = ?').run(JSON.stringify(checkpoint), id);
}

export function setTrainingRun(store: Store, id: number, trainingRunId: number): void {
  store.db.prepare('UPDATE jobs SET training_run_id = ? WHERE id = ?').run(trainingRunId, id);
}

export function markFinished(store: Store, id: number, status: 'succeeded' | 'failed' | 'cancelled', outcome: { result?: JobResult; error?: string } = {}): void {
  store.db
    .prepare('UPDATE jobs SET status = ?, result = ?, error = ?, finished_at = ? WHERE id = ?')
    .run(status, outcome.result ? JSON.stringify(outcome.result) : null, outcome.error ?? null, nowIso(), id);
}

/** Back in the queue (a resumed job keeps its checkpoint and its place by id). */
export function requeue(store: Store, id: number): void {
  store.db.prepare("UPDATE jobs SET status = 'queued', finished_at = NULL WHERE id = ?").run(id);
}

/** Jobs a previous process left 'running' were cut off by its end: they become 'interrupted'. */
export function markOrphansInterrupted(store: Store): number {
  return store.db.prepare("UPDATE jobs SET status = 'interrupted' WHERE status = 'running'").run().changes;
}
