/**
 * Participant-grouped k-fold cross-validation of the whole method, each fold in its own worker thread
 * (jax-js' wasm backend is single-threaded, so two workers use both cores). Every fold measures the
 * same four variants on its held-out participants: the float teacher, the student trained alone, the
 * distilled student, and the distilled student in int8.
 */
import { Worker } from 'node:worker_threads';
import type { StudentShape } from '../compress/distillSearch';
import type { Recipe } from '../compress/pipeline';
import type { AudioModalityFeatures } from '../datasets/audioSamples';

export interface FoldJob {
  readonly datasetDir: string;
  readonly labelColumn: string;
  readonly labels: readonly string[];
  readonly modalities: readonly AudioModalityFeatures[];
  readonly cacheDir: string;
  readonly crops: number;
  readonly recipe: Recipe;
  /** The student every fold trains (alone and distilled): the search's choice, fixed so folds compare like with like. */
  readonly student: StudentShape;
  readonly folds: number;
  readonly fold: number;
  readonly splitSeed: number;
}

export interface FoldScores {
  readonly fold: number;
  readonly testParticipants: number;
  readonly teacher: number;
  readonly studentAlone: number;
  readonly studentDistilled: number;
  readonly studentInt8: number;
  readonly seconds: number;
}

export type FoldMessage = { readonly kind: 'progress'; readonly fold: number; readonly detail: string } | { readonly kind: 'done'; readonly scores: FoldScores } | { readonly kind: 'error'; readonly message: string };

/** Runs the folds on `parallel` worker threads; rejects on the first failing fold. */
export function runFolds(jobs: readonly FoldJob[], parallel: number, onProgress?: (fold: number, detail: string) => void): Promise<FoldScores[]> {
  const results: FoldScores[] = [];
  let next = 0;
  let failed = false;
  return new Promise((resolveAll, reject) => {
    const startOne = (): void => {
      if (failed) return;
      if (next >= jobs.length) {
        if (results.length === jobs.length) resolveAll(results.sort((a, b) => a.fold - b.fold));
        return;
      }
      const job = jobs[next++]!;
      const worker = new Worker(new URL('./foldWorkerEntry.mjs', import.meta.url), { workerData: job });
      worker.on('message', (m: FoldMessage) => {
        if (m.kind === 'progress') onProgress?.(m.fold, m.detail);
        else if (m.kind === 'done') results.push(m.scores);
        else {
          failed = true;
          reject(new Error(`fold ${job.fold}: ${m.message}`));
        }
      });
      worker.on('error', (e) => {
        failed = true;
        reject(e);
      });
      worker.on('exit', () => startOne());
    };
    for (let i = 0; i < Math.min(parallel, jobs.length); i++) startOne();
  });
}
