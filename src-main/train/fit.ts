/**
 * The training loop: seeded shuffling, class-weighted loss, augmentation, optional distillation from a
 * teacher, and early stopping on validation loss (restoring the best epoch's weights). It reports every
 * epoch so the UI and CLI can draw live curves.
 */
import type { BuiltArchitecture } from '../model/architecture';
import type { ModelWeights } from '../model/weights';
import { augmentSample, type SampleAugmenter } from './augment';
import { initEngine, trainableModel, type Inputs, type QuantAwareOptions, type TrainableModel } from './engine';
import { initWeights } from './initWeights';
import { argmaxRows, balancedAccuracy, balancedClassWeights, confusionMatrix, crossEntropy, distillationLoss } from './metrics';
import { seededRandom, shuffled } from './random';
import type { SampleSet } from './sampleSet';

export interface EpochReport {
  readonly epoch: number;
  readonly trainLoss: number;
  /** The objective on validation: class-weighted cross-entropy, or the distillation loss when distilling. */
  readonly valLoss: number;
  readonly valBalancedAccuracy: number;
  readonly seconds: number;
}

export interface Distillation {
  /** Evaluation-mode teacher logits for a batch. */
  readonly teacherLogits: (inputs: Inputs) => Float32Array;
  /** Weight of the hard-label loss (the paper's α); 1 − α goes to the softened teacher. */
  readonly alpha: number;
  readonly temperature: number;
}

export interface FitOptions {
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly weightDecay?: number;
  /** Epochs without a better validation loss before stopping. */
  readonly patience: number;
  /**
   * Epochs that can neither stop the run nor be kept as the best (default 0). Early epochs' evaluation-mode
   * scores are unreliable: batch-norm running statistics need a few epochs to settle, and on a tiny
   * validation set an untrained model's loss can look best.
   */
  readonly minEpochs?: number;
  /**
   * Exponential smoothing of the validation loss that early stopping compares, in [0, 1): 0 (default) uses
   * each epoch's raw loss; 0.5 averages over roughly the last three epochs, so one lucky epoch on a
   * handful of validation participants is not what gets kept.
   */
  readonly valLossSmoothing?: number;
  /**
   * Which epoch's weights training returns: 'best' (default) by validation loss, with early stopping;
   * 'last' runs every epoch and keeps the final weights. On a validation set of a dozen participants
   * the "best" epoch is mostly luck, while a fixed schedule decaying to zero (cosine) ends on settled weights.
   */
  readonly keep?: 'best' | 'last';
  /** 'cosine' decays the learning rate along a half cosine to 0 at `epochs` (after `warmupEpochs`); default 'constant'. */
  readonly learningRateSchedule?: 'constant' | 'cosine';
  /** Epochs of linear learning-rate warmup from 0 (default 0). */
  readonly warmupEpochs?: number;
  /** 'balanced' weights classes by inverse frequency (59 male vs 17 female must not teach "always male"). */
  readonly classWeights?: 'balanced' | readonly number[];
  readonly augment?: SampleAugmenter;
  readonly distillation?: Distillation;
  readonly initialWeights?: ModelWeights;
  /** Fine-tune against the int8 grid (fake quantization, frozen batch-norm); see engine.ts. */
  readonly quantAware?: QuantAwareOptions;
  readonly onEpoch?: (report: EpochReport) => void;
  /** Checked between batches; when it returns true, training stops and keeps the best weights so far. */
  readonly shouldStop?: () => boolean;
}

export interface FitResult {
  readonly weights: ModelWeights;
  readonly history: readonly EpochReport[];
  readonly bestEpoch: number;
  readonly stoppedEarly: boolean;
}

export function inputsOf(set: SampleSet): Inputs {
  return { count: set.count, modalities: set.modalities };
}

/** Evaluation-mode logits in batches (bounded memory on large sets). */
export function predictLogits(model: Pick<TrainableModel, 'logits'>, set: SampleSet, batchSize = 64): Float32Array {
  const chunks: Float32Array[] = [];
  for (let start = 0; start < set.count; start += batchSize) {
    const end = Math.min(set.count, start + batchSize);
    chunks.push(
      model.logits({ count: end - start, modalities: set.modalities.map((m, i) => m.subarray(start * set.sampleSizes[i]!, end * set.sampleSizes[i]!)) }),
    );
  }
  const out = new Float32Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The learning rate at a point of training, `progress` in epochs (fractional within an epoch). */
export function scheduledLearningRate(o: Pick<FitOptions, 'learningRate' | 'epochs' | 'learningRateSchedule' | 'warmupEpochs'>, progress: number): number {
  const warmup = o.warmupEpochs ?? 0;
  if (progress < warmup) return (o.learningRate * (progress + 1e-3)) / warmup;
  if ((o.learningRateSchedule ?? 'constant') === 'constant') return o.learningRate;
  const span = Math.max(o.epochs - warmup, 1e-9);
  return 0.5 * o.learningRate * (1 + Math.cos((Math.PI * Math.min(progress - warmup, span)) / span));
}

export async function fit(arch: BuiltArchitecture, train: SampleSet, val: SampleSet, o: FitOptions): Promise<FitResult> {
  await initEngine();
  const classes = arch.spec.classes;
  const classWeights = o.classWeights === 'balanced' ? balancedClassWeights(train.labels, classes) : o.classWeights ? [...o.classWeights] : undefined;
  const model = trainableModel(
    arch,
    o.initialWeights ?? initWeights(arch, o.seed),
    { learningRate: o.learningRate, weightDecay: o.weightDecay ?? 0 },
    { ...(classWeights ? { classWeights } : {}), alpha: o.distillation?.alpha ?? 1, temperature: o.distillation?.temperature ?? 1 },
    o.quantAware,
  );
  const shapes = arch.branches.map((b) => b.input);
  const random = seededRandom(o.seed ^ 0x5eed);
  const history: EpochReport[] = [];
  let best = { loss: Infinity, epoch: -1, weights: model.weights() };
  let stoppedEarly = false;
  const minEpochs = Math.min(o.minEpochs ?? 0, o.epochs - 1);
  const smoothing = o.valLossSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`fit: valLossSmoothing must be in [0, 1), got ${smoothing}`);
  const scheduled = (o.learningRateSchedule ?? 'constant') !== 'constant' || (o.warmupEpochs ?? 0) > 0;
  let smoothed: number | undefined;
  // A distilled student is judged on validation by the objective it trains on (labels and the teacher's
  // softened outputs), not labels alone: on a dozen validation participants the hard labels pick a lucky
  // epoch, while the teacher's probabilities on every sample say which epoch mimics it best.
  const valTeacher = o.distillation && o.distillation.alpha < 1 ? predictLogits({ logits: o.distillation.teacherLogits }, val) : undefined;
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const t0 = performance.now();
      const order = shuffled(train.count, random);
      let lossSum = 0;
      let batches = 0;
      // Every batch has the full size (the tail wraps around): one compiled shape, no retracing.
      const size = Math.min(o.batchSize, train.count);
      const batchesPerEpoch = Math.ceil(train.count / size);
      for (let start = 0; start < train.count; start += size) {
        if (o.shouldStop?.()) {
          stoppedEarly = true;
          break;
        }
        const idx = Array.from({ length: size }, (_, k) => order[(start + k) % train.count]!);
        const batch = train.modalities.map((values, m) => {
          const s = train.sampleSizes[m]!;
          const out = new Float32Array(size * s);
          idx.forEach((i, k) => out.set(values.subarray(i * s, (i + 1) * s), k * s));
          return out;
        });
        if (o.augment) for (let k = 0; k < size; k++) augmentSample(o.augment, batch, shapes, k, random);
        const inputs = { count: size, modalities: batch };
        const labels = Int32Array.from(idx, (i) => train.labels[i]!);
        const teacherLogits = o.distillation?.teacherLogits(inputs);
        const learningRate = scheduled ? scheduledLearningRate(o, epoch + batches / batchesPerEpoch) : undefined;
        lossSum += model.step({ ...inputs, labels, ...(teacherLogits ? { teacherLogits } : {}) }, learningRate);
        batches++;
      }
      if (stoppedEarly) break;
      const valLogits = predictLogits(model, val);
      const valLoss = valTeacher
        ? distillationLoss(valLogits, valTeacher, val.labels, classes, { alpha: o.distillation!.alpha, temperature: o.distillation!.temperature, ...(classWeights ? { classWeights } : {}) })
        : crossEntropy(valLogits, val.labels, classes, classWeights);
      const report: EpochReport = {
        epoch,
        trainLoss: lossSum / Math.max(batches, 1),
        valLoss,
        valBalancedAccuracy: balancedAccuracy(confusionMatrix(val.labels, argmaxRows(valLogits, classes), classes)),
        seconds: (performance.now() - t0) / 1000,
      };
      history.push(report);
      o.onEpoch?.(report);
      if (o.keep === 'last') {
        // Every epoch, so a run stopped by the user still returns its latest weights.
        best = { loss: valLoss, epoch, weights: model.weights() };
        continue;
      }
      if (epoch < minEpochs) continue;
      if (Number.isFinite(valLoss)) smoothed = smoothed === undefined ? valLoss : smoothing * smoothed + (1 - smoothing) * valLoss;
      const signal = smoothed ?? valLoss;
      if (Number.isFinite(signal) && signal < best.loss) best = { loss: signal, epoch, weights: model.weights() };
      else if (epoch - Math.max(best.epoch, minEpochs - 1) >= o.patience) {
        stoppedEarly = true;
        break;
      }
    }
  } finally {
    model.dispose();
  }
  return { weights: best.weights, history, bestEpoch: best.epoch, stoppedEarly };
}
