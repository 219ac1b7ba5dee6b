/**
 * What a background job is asked to do, in plain data: it is stored as JSON in the jobs table (so a
 * restarted app can resume it) and handed to a worker thread as is. The API layer can expose these
 * shapes through zod schemas when the Retrain wizard is wired in.
 */
import type { Recipe } from '../compress/pipeline';
import type { AudioModalityFeatures } from '../datasets/audioSamples';
import type { PoseFeatureParams } from '../frames/poseSamples';
import type { EpochReport } from '../train/fit';

/** Where a job's samples come from. */
export type JobDataSource =
  /** A data set folder or manifest, featurized in the worker (with the feature cache when given). */
  | {
      readonly kind: 'dataset';
      readonly dir: string;
      readonly labelColumn: string;
      readonly labels?: readonly string[];
      readonly modalities: readonly AudioModalityFeatures[];
      readonly cacheDir?: string;
      readonly crops?: number;
      readonly splitSeed?: number;
    }
  /** A named data set in the runner's store (imported and labelled recordings, see store/storeDataset.ts). */
  | {
      readonly kind: 'store-dataset';
      readonly name: string;
      /** Defaults to the data set's own label column. */
      readonly labelColumn?: string;
      readonly labels?: readonly string[];
      readonly modalities: readonly AudioModalityFeatures[];
      readonly cacheDir?: string;
      readonly crops?: number;
      readonly splitSeed?: number;
    }
  /**
   * Labelled depth + thermal frame pairs of a named data set in the runner's store (store/importFrames.ts),
   * split by participant into train / validation / test (store/storeFrames.ts splitFrameSubjects).
   */
  | {
      readonly kind: 'store-frames';
      readonly name: string;
      /** The frames' label column; defaults to the data set's own when its frames use it, else 'pose'. */
      readonly labelColumn?: string;
      /** Class order; frames with other labels are left out. Defaults to the pose classes when every label is one. */
      readonly labels?: readonly string[];
      readonly features: PoseFeatureParams;
      /** Participants for validation (default: one of five folds). */
      readonly valSubjects?: number;
      readonly splitSeed?: number;
    }
  /** Samples already split and featurized, in a samples file (samplesFile.ts). */
  | { readonly kind: 'samples'; readonly file: string };

export type JobSpec =
  /** Trains the float teacher with a checkpoint after every epoch; writes it with writeFloatModel. */
  | { readonly kind: 'train-teacher'; readonly data: JobDataSource; readonly recipe: Recipe; readonly output: string }
  /** Distillation search, int8 quantization and held-out scores, from a trained teacher file. */
  | {
      readonly kind: 'compress';
      readonly data: JobDataSource;
      readonly recipe: Recipe;
      /** `<target>:<level>`, e.g. 'gap8:l2' (parseTargetLevel). */
      readonly budget: string;
      readonly maxWeightBytes?: number;
      readonly teacher: string;
      readonly outputDir: string;
    }
  /** Scores a float model file on the held-out (test) samples. */
  | { readonly kind: 'evaluate'; readonly data: JobDataSource; readonly model: string };

export type JobKind = JobSpec['kind'];

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** One progress event; `curves` carries every epoch so far per model, so a late subscriber can redraw. */
export interface JobProgress {
  readonly stage: string;
  /** 0..1 over the whole job. */
  readonly fraction: number;
  readonly detail: string;
  readonly epoch?: EpochReport & { readonly model: string };
  readonly etaSeconds?: number;
}

export interface JobCurves {
  readonly [model: string]: readonly EpochReport[];
}

/** Where an interrupted training job was; the row's `checkpoint` column. */
export interface JobCheckpoint {
  readonly file: string;
  readonly epochsDone: number;
  readonly epochs: number;
  readonly bestEpoch: number;
}

export interface TrainTeacherResult {
  readonly kind: 'train-teacher';
  readonly output: string;
  readonly epochs: number;
  /** Epochs this attempt ran (fewer than `epochs` after a resume). */
  readonly epochsRun: number;
  readonly resumedFromEpoch: number;
  readonly bestEpoch: number;
  readonly bestValLoss: number;
  readonly bestValBalancedAccuracy: number;
  readonly stoppedEarly: boolean;
}

export interface CompressResult {
  readonly kind: 'compress';
  readonly outputDir: string;
  readonly student: string;
  readonly test: { readonly teacher: number; readonly studentFloat: number; readonly studentInt8: number };
  readonly int8WeightBytes: number;
  readonly peakActivationBytes: number;
  readonly quantization: string;
}

export interface EvaluateResult {
  readonly kind: 'evaluate';
  readonly balancedAccuracy: number;
  readonly confusion: number[][];
  readonly samples: number;
}

export type JobResult = TrainTeacherResult | CompressResult | EvaluateResult;

/** The resource a kind of job occupies; one job runs at a time per resource. */
export function defaultResource(kind: JobKind): string {
  return kind === 'evaluate' ? 'cpu-evaluation' : 'cpu-training';
}
