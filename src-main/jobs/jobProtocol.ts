/** The messages between the job runner and a job's worker thread. */
import type { JobCheckpoint, JobProgress, JobResult, JobSpec } from './jobSpec';

export interface JobWorkerData {
  readonly jobId: number;
  readonly spec: JobSpec;
  /** Where checkpoints go (one file per job). */
  readonly checkpointDir: string;
  /** Present when resuming: the checkpoint the row recorded. */
  readonly checkpoint?: JobCheckpoint;
  /** Int32Array view; index 0 becomes 1 when the job is cancelled (read between training batches). */
  readonly cancelFlag: SharedArrayBuffer;
  /** The runner's store, for 'store-dataset' sources (the worker opens its own connection). */
  readonly store: { readonly dataDir: string; readonly file: string; readonly blobsDir: string };
}

export type JobWorkerMessage =
  | { readonly kind: 'progress'; readonly progress: Omit<JobProgress, 'etaSeconds'> }
  | { readonly kind: 'data'; readonly hashes: readonly string[]; readonly seed: number }
  | { readonly kind: 'checkpoint'; readonly checkpoint: JobCheckpoint }
  | { readonly kind: 'done'; readonly result: JobResult }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'error'; readonly message: string };
