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
import { CV_VARIANTS, type CvVariant, type OutOfFoldPrediction } from './outOfFold';

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
  /**
   * Which variants this job measures (default 'all'). A fold split into 'distillation' (teacher, distilled,
   * int8) and 'alone' jobs spreads over the workers more evenly than whole folds: five whole folds on two
   * workers take three rounds with one worker idle in the last.
   */
  readonly part?: FoldPart;
}

export type FoldPart = 'all' | 'distillation' | 'alone';

export interface FoldScores {
  readonly fold: number;
  readonly testParticipants: number;
  readonly teacher: number;
  readonly studentAlone: number;
  readonly studentDistilled: number;
  readonly studentInt8: number;
  /** Share of the test participants on which the int8 student predicts what the float teacher predicts. */
  readonly int8TeacherAgreement: number;
  /** Every test participant with each variant's predicted class (see outOfFold.ts). */
  readonly predictions: readonly OutOfFoldPrediction[];
  readonly seconds: number;
}

/** One test participant as one job saw it: only the variants that job measured. */
export interface PartPrediction {
  readonly participant: string;
  readonly label: number;
  readonly predicted: Partial<Record<CvVariant, number>>;
}

/** What one job measured: a part's variants and its test participants' predictions, `seconds` of compute. */
export type FoldPartScores = Pick<FoldScores, 'fold' | 'testParticipants' | 'seconds'> &
  Partial<Omit<FoldScores, 'fold' | 'testParticipants' | 'seconds' | 'predictions'>> & { predictions?: readonly PartPrediction[] };

export type FoldMessage = { readonly kind: 'progress'; readonly fold: number; readonly detail: string } | { readonly kind: 'done'; readonly scores: FoldPartScores } | { readonly kind: 'error'; readonly message: string };

/** The figures every fold reports, whichever of its jobs measured them. */
export const FOLD_FIGURES = [...CV_VARIANTS, 'int8TeacherAgreement'] as const;

/** The parts' predictions joined by participant; every participant must have every variant. */
function mergePredictions(fold: number, parts: readonly FoldPartScores[]): OutOfFoldPrediction[] {
  const joined = new Map<string, { label: number; predicted: Partial<Record<CvVariant, number>> }>();
  for (const part of parts) {
    for (const p of part.predictions ?? []) {
      const row = joined.get(p.participant) ?? { label: p.label, predicted: {} };
      if (row.label !== p.label) throw new Error(`fold ${fold}: participant ${p.participant} has label ${row.label} in one job and ${p.label} in another`);
      Object.assign(row.predicted, p.predicted);
      joined.set(p.participant, row);
    }
  }
  return [...joined].map(([participant, row]) => {
    const missing = CV_VARIANTS.filter((v) => row.predicted[v] === undefined);
    if (missing.length) throw new Error(`fold ${fold}: participant ${participant} has no ${missing.join(', ')} prediction`);
    return { participant, fold, label: row.label, predicted: row.predicted as Record<CvVariant, number> };
  });
}

/** One fold's parts → its scores; `seconds` is the compute of all parts together. */
function mergeParts(fold: number, parts: readonly FoldPartScores[]): FoldScores {
  const merged: Record<string, number> = {};
  for (const key of FOLD_FIGURES) {
    const value = parts.find((p) => p[key] !== undefined)?.[key];
    if (value === undefined) throw new Error(`fold ${fold}: no job measured ${key} (give the fold an 'all' job, or both a 'distillation' and an 'alone' job)`);
    merged[key] = value;
  }
  return {
    fold,
    testParticipants: parts[0]!.testParticipants,
    teacher: merged.teacher!,
    studentAlone: merged.studentAlone!,
    studentDistilled: merged.studentDistilled!,
    studentInt8: merged.studentInt8!,
    int8TeacherAgreement: merged.int8TeacherAgreement!,
    predictions: mergePredictions(fold, parts),
    seconds: parts.reduce((s, p) => s + p.seconds, 0),
  };
}

/** Runs the jobs (in order) on `parallel` worker threads and merges each fold's parts; rejects on the first failing job. */
export function runFolds(jobs: readonly FoldJob[], parallel: number, onProgress?: (fold: number, detail: string) => void): Promise<FoldScores[]> {
  const parts: FoldPartScores[] = [];
  let next = 0;
  let failed = false;
  return new Promise((resolveAll, reject) => {
    const startOne = (): void => {
      if (failed) return;
      if (next >= jobs.length) {
        if (parts.length === jobs.length) {
          try {
            const folds = [...new Set(parts.map((p) => p.fold))].sort((a, b) => a - b);
            resolveAll(folds.map((f) => mergeParts(f, parts.filter((p) => p.fold === f))));
          } catch (e) {
            failed = true;
            reject(e);
          }
        }
        return;
      }
      const job = jobs[next++]!;
      const worker = new Worker(new URL('./foldWorkerEntry.mjs', import.meta.url), { workerData: job });
      worker.on('message', (m: FoldMessage) => {
        if (m.kind === 'progress') onProgress?.(m.fold, m.detail);
        else if (m.kind === 'done') parts.push(m.scores);
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
