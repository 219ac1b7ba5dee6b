/**
 * Runs background jobs (training, compression, evaluation) in worker threads, one at a time per
 * resource, in the order they were submitted. Its state is the jobs table, not memory: the queue, the
 * last progress and each training job's checkpoint are rows, so after a crash or a quit `start()` finds
 * the jobs that were cut off (now 'interrupted') and `resume()` continues them from their checkpoint.
 *
 * One runner per store: two processes running jobs from the same store would both start them.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packageVersion } from '../api/appVersion';
import type { Store } from '../store/store';
import { finishTrainingRun, startTrainingRun } from '../store/trainingRuns';
import type { JobWorkerData, JobWorkerMessage } from './jobProtocol';
import { defaultResource, type JobCheckpoint, type JobCurves, type JobProgress, type JobResult, type JobSpec, type JobStatus } from './jobSpec';
import {
  getJob,
  insertJob,
  listJobs,
  markFinished,
  markOrphansInterrupted,
  markStarted,
  requeue,
  saveCheckpoint,
  saveProgress,
  setTrainingRun,
  type JobRecord,
} from './jobTable';

export type JobEvent =
  | { readonly type: 'queued'; readonly jobId: number; readonly resource: string }
  | { readonly type: 'started'; readonly jobId: number; readonly resumedFromEpoch: number }
  | { readonly type: 'progress'; readonly jobId: number; readonly progress: JobProgress; readonly curves: JobCurves }
  | { readonly type: 'checkpoint'; readonly jobId: number; readonly checkpoint: JobCheckpoint }
  | { readonly type: 'finished'; readonly jobId: number; readonly status: Extract<JobStatus, 'succeeded' | 'failed' | 'cancelled'>; readonly result?: JobResult; readonly error?: string };

export interface JobRunnerOptions {
  /** Where training checkpoints go; default `<dataDir>/checkpoints`. */
  readonly checkpointDir?: string;
  /** How long a cancelled job may take to stop by itself before its worker is terminated. */
  readonly cancelGraceMs?: number;
  /** Recorded with every training run; default the app version. */
  readonly codeVersion?: string;
  /** Progress rows are written at most this often (epochs and stage changes always are). */
  readonly progressWriteIntervalMs?: number;
}

interface Running {
  readonly jobId: number;
  readonly worker: Worker;
  readonly cancelFlag: Int32Array;
  readonly startedAt: number;
  readonly curves: Record<string, JobProgress['epoch'][]>;
  /** Where the ETA is measured from: the last event before this attempt's first epoch, then that epoch. */
  baseline?: { readonly at: number; readonly fraction: number };
  firstEpoch?: { readonly at: number; readonly fraction: number };
  lastWrite: number;
  lastStage?: string;
  cancelTimer?: NodeJS.Timeout;
  settled: boolean;
}

const WORKER_ENTRY = new URL('./jobWorkerEntry.mjs', import.meta.url);

export class JobRunner {
  private readonly running = new Map<string, Running>();
  private readonly listeners = new Set<(e: JobEvent) => void>();
  private readonly waiters = new Map<number, ((job: JobRecord) => void)[]>();
  private readonly checkpointDir: string;
  private started = false;
  private closing = false;

  constructor(
    private readonly store: Store,
    private readonly options: JobRunnerOptions = {},
  ) {
    this.checkpointDir = options.checkpointDir ?? join(store.dataDir, 'checkpoints');
  }

  /** Marks jobs a previous process left running as interrupted, starts queued jobs; returns the interrupted ones. */
  start(): JobRecord[] {
    markOrphansInterrupted(this.store);
    // Half-written checkpoints of a killed worker (writeFileAtomic's temp files); the last whole one stays.
    if (existsSync(this.checkpointDir)) for (const f of readdirSync(this.checkpointDir)) if (f.startsWith('.') && f.endsWith('.tmp')) rmSync(join(this.checkpointDir, f), { force: true });
    this.started = true;
    this.schedule();
    return listJobs(this.store, ['interrupted']);
  }

  submit(spec: JobSpec, resource: string = defaultResource(spec.kind)): number {
    const id = insertJob(this.store, spec, resource);
    this.emit({ type: 'queued', jobId: id, resource });
    this.schedule();
    return id;
  }

  /** Puts an interrupted (or failed) job back in the queue; a training job continues from its checkpoint. */
  resume(id: number): void {
    const job = getJob(this.store, id);
    if (!job) throw new Error(`job ${id} does not exist`);
    if (job.status !== 'interrupted' && job.status !== 'failed') throw new Error(`job ${id} is ${job.status}; only interrupted or failed jobs can be resumed`);
    requeue(this.store, id);
    this.emit({ type: 'queued', jobId: id, resource: job.resource });
    this.schedule();
  }

  /** Cancels a queued or running job; false when it had already finished. */
  cancel(id: number): boolean {
    const job = getJob(this.store, id);
    if (!job) throw new Error(`job ${id} does not exist`);
    if (job.status === 'queued' || job.status === 'interrupted') {
      markFinished(this.store, id, 'cancelled');
      if (job.checkpoint) rmSync(job.checkpoint.file, { force: true });
      this.settle(id, 'cancelled', {});
      return true;
    }
    const run = [...this.running.values()].find((r) => r.jobId === id);
    if (!run) return false;
    // Training reads the flag between batches; other stages may not look, hence the grace period.
    Atomics.store(run.cancelFlag, 0, 1);
    run.cancelTimer ??= setTimeout(() => this.finish(run, 'cancelled', {}), this.options.cancelGraceMs ?? 10_000);
    return true;
  }

  /** Running and queued jobs in the order they will run, per resource or all. */
  queue(resource?: string): JobRecord[] {
    return listJobs(this.store, ['running', 'queued']).filter((j) => resource === undefined || j.resource === resource);
  }

  get(id: number): JobRecord | undefined {
    return getJob(this.store, id);
  }

  subscribe(listener: (e: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the job's row once it has succeeded, failed or been cancelled. */
  whenFinished(id: number): Promise<JobRecord> {
    const job = getJob(this.store, id);
    if (!job) return Promise.reject(new Error(`job ${id} does not exist`));
    if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled') return Promise.resolve(job);
    return new Promise((resolveJob) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolveJob]));
  }

  /**
   * Stops every worker without finishing its job: running jobs become 'interrupted' (resumable from their
   * last checkpoint), queued jobs stay queued for the next start.
   */
  async close(): Promise<void> {
    this.closing = true;
    const runs = [...this.running.values()];
    this.running.clear();
    for (const r of runs) {
      r.settled = true;
      clearTimeout(r.cancelTimer);
    }
    await Promise.all(runs.map((r) => r.worker.terminate()));
    markOrphansInterrupted(this.store);
  }

  private emit(e: JobEvent): void {
    for (const l of this.listeners) l(e);
  }

  private schedule(): void {
    if (!this.started || this.closing) return;
    for (const job of listJobs(this.store, ['queued'])) {
      if (this.running.has(job.resource)) continue;
      this.launch(job);
    }
  }

  private launch(job: JobRecord): void {
    const flag = new SharedArrayBuffer(4);
    const data: JobWorkerData = { jobId: job.id, spec: job.spec, checkpointDir: this.checkpointDir, cancelFlag: flag, store: { dataDir: this.store.dataDir, file: this.store.file, blobsDir: this.store.blobsDir }, ...(job.checkpoint ? { checkpoint: job.checkpoint } : {}) };
    markStarted(this.store, job.id);
    const worker = new Worker(WORKER_ENTRY, { workerData: data });
    const curves: Running['curves'] = {};
    // A resumed job's curves continue from what the row remembered.
    for (const [model, reports] of Object.entries(job.progress?.curves ?? {})) curves[model] = reports.map((r) => ({ ...r, model }));
    const run: Running = { jobId: job.id, worker, cancelFlag: new Int32Array(flag), startedAt: performance.now(), curves, lastWrite: 0, settled: false };
    this.running.set(job.resource, run);
    this.emit({ type: 'started', jobId: job.id, resumedFromEpoch: job.checkpoint?.epochsDone ?? 0 });
    worker.on('message', (m: JobWorkerMessage) => this.onMessage(run, job, m));
    worker.on('error', (e) => this.finish(run, 'failed', { error: e.stack ?? e.message }));
    worker.on('exit', (code) => {
      if (!run.settled) this.finish(run, 'failed', { error: `the job's worker exited unexpectedly (code ${code})` });
    });
  }

  private onMessage(run: Running, job: JobRecord, m: JobWorkerMessage): void {
    if (run.settled) return;
    switch (m.kind) {
      case 'progress': {
        const p = m.progress;
        if (p.epoch) (run.curves[p.epoch.model] ??= []).push(p.epoch);
        const now = performance.now();
        // Loading data is quick, a resumed job jumps ahead and the first epoch pays for compilation, so
        // the rate is measured from the first epoch on (over that first epoch until there is a second).
        if (!p.epoch && !run.firstEpoch) run.baseline = { at: now, fraction: p.fraction };
        const base = run.firstEpoch ?? run.baseline ?? { at: run.startedAt, fraction: 0 };
        if (p.epoch) run.firstEpoch ??= { at: now, fraction: p.fraction };
        const done = p.fraction - base.fraction;
        const etaSeconds = run.firstEpoch && done > 0.001 ? ((now - base.at) / 1000) * ((1 - p.fraction) / done) : undefined;
        const progress: JobProgress = { ...p, ...(etaSeconds !== undefined ? { etaSeconds } : {}) };
        const curves = this.curvesOf(run);
        if (p.epoch || p.stage !== run.lastStage || now - run.lastWrite >= (this.options.progressWriteIntervalMs ?? 1000)) {
          saveProgress(this.store, run.jobId, { ...progress, curves });
          run.lastWrite = now;
          run.lastStage = p.stage;
        }
        this.emit({ type: 'progress', jobId: run.jobId, progress, curves });
        return;
      }
      case 'data': {
        if (job.kind === 'evaluate' || job.trainingRunId !== null || !('recipe' in job.spec)) return;
        const id = startTrainingRun(this.store, { seed: m.seed, dataHashes: m.hashes, recipe: job.spec, codeVersion: this.options.codeVersion ?? packageVersion() });
        setTrainingRun(this.store, run.jobId, id);
        return;
      }
      case 'checkpoint':
        saveCheckpoint(this.store, run.jobId, m.checkpoint);
        this.emit({ type: 'checkpoint', jobId: run.jobId, checkpoint: m.checkpoint });
        return;
      case 'done':
        this.finish(run, 'succeeded', { result: m.result });
        return;
      case 'cancelled':
        this.finish(run, 'cancelled', {});
        return;
      case 'error':
        this.finish(run, 'failed', { error: m.message });
    }
  }

  private curvesOf(run: Running): JobCurves {
    return Object.fromEntries(Object.entries(run.curves).map(([model, reports]) => [model, reports.map((r) => ({ epoch: r!.epoch, trainLoss: r!.trainLoss, valLoss: r!.valLoss, valBalancedAccuracy: r!.valBalancedAccuracy, seconds: r!.seconds }))]));
  }

  private finish(run: Running, status: 'succeeded' | 'failed' | 'cancelled', outcome: { result?: JobResult; error?: string }): void {
    if (run.settled) return;
    run.settled = true;
    clearTimeout(run.cancelTimer);
    const job = getJob(this.store, run.jobId)!;
    this.running.delete(job.resource);
    void run.worker.terminate();
    saveProgress(this.store, run.jobId, { ...(job.progress ?? { stage: status, fraction: 0, detail: status }), ...(status === 'succeeded' ? { fraction: 1, detail: 'done', etaSeconds: 0 } : {}), curves: this.curvesOf(run) });
    markFinished(this.store, run.jobId, status, outcome);
    if (job.trainingRunId !== null) finishTrainingRun(this.store, job.trainingRunId, status, outcome.result ?? (outcome.error ? { error: outcome.error } : undefined));
    // A finished training job no longer needs its checkpoint; a failed one keeps it for resume().
    if (status !== 'failed' && job.checkpoint) rmSync(job.checkpoint.file, { force: true });
    this.settle(run.jobId, status, outcome);
    this.schedule();
  }

  private settle(jobId: number, status: 'succeeded' | 'failed' | 'cancelled', outcome: { result?: JobResult; error?: string }): void {
    this.emit({ type: 'finished', jobId, status, ...outcome });
    const job = getJob(this.store, jobId)!;
    for (const w of this.waiters.get(jobId) ?? []) w(job);
    this.waiters.delete(jobId);
  }
}
