/**
 * fit() one epoch at a time, with a checkpoint after each, so a job killed at any moment loses at most
 * the epoch in progress. fit() keeps its weights to itself until it returns, so each epoch is its own
 * fit() call started from the previous epoch's weights; early stopping (patience on validation loss,
 * keeping the best epoch) is done here across calls, as fit() does within one.
 *
 * What a resume restores: the epoch count, the last and best weights (batch-norm statistics included),
 * the best validation loss and the curves. What it does not: Adam's moments, which restart at every
 * epoch boundary in this loop (resumed or not), so a resumed run continues exactly as an uninterrupted
 * one would. Each epoch shuffles with seed + epoch, so the whole run stays reproducible from its seed.
 */
import type { BuiltArchitecture } from '../model/architecture';
import type { ModelWeights } from '../model/weights';
import { fit, type EpochReport, type FitOptions } from '../train/fit';
import { initWeights } from '../train/initWeights';
import type { SampleSet } from '../train/sampleSet';
import { readTrainingCheckpoint, writeTrainingCheckpoint, type TrainingCheckpoint } from './trainingCheckpoint';

export interface CheckpointedFitOptions extends Omit<FitOptions, 'initialWeights' | 'onEpoch'> {
  readonly checkpointFile: string;
  /** Resume from the checkpoint file when it exists (a restarted job). */
  readonly resume: boolean;
  readonly onEpoch?: (report: EpochReport) => void;
  /** After each checkpoint is safely on disk. */
  readonly onCheckpoint?: (c: Pick<TrainingCheckpoint, 'epochsDone' | 'bestEpoch'>) => void;
}

export interface CheckpointedFitResult {
  readonly weights: ModelWeights;
  readonly history: readonly EpochReport[];
  readonly bestEpoch: number;
  readonly bestValLoss: number;
  readonly stoppedEarly: boolean;
  readonly cancelled: boolean;
  readonly resumedFromEpoch: number;
  readonly epochsRun: number;
}

export async function checkpointedFit(arch: BuiltArchitecture, train: SampleSet, val: SampleSet, o: CheckpointedFitOptions): Promise<CheckpointedFitResult> {
  let state: TrainingCheckpoint | undefined = o.resume ? tryRead(o.checkpointFile) : undefined;
  const resumedFromEpoch = state?.epochsDone ?? 0;
  let last = state?.last ?? initWeights(arch, o.seed);
  const history: EpochReport[] = [...(state?.history ?? [])];
  let best = { epoch: state?.bestEpoch ?? -1, loss: state?.bestValLoss ?? Infinity, weights: state?.best ?? last };
  let epochsRun = 0;
  let stoppedEarly = false;
  let cancelled = false;
  for (let epoch = resumedFromEpoch; epoch < o.epochs; epoch++) {
    if (epoch - best.epoch > o.patience && best.epoch >= 0) {
      stoppedEarly = true;
      break;
    }
    const r = await fit(arch, train, val, { ...o, seed: o.seed + epoch, epochs: 1, patience: 1, initialWeights: last, onEpoch: undefined });
    if (r.history.length === 0) {
      // Stopped mid-epoch: the half epoch is discarded; the checkpoint still holds the last whole one.
      cancelled = true;
      break;
    }
    epochsRun++;
    const report = { ...r.history[0]!, epoch };
    history.push(report);
    last = r.weights;
    if (Number.isFinite(report.valLoss) && report.valLoss < best.loss) best = { epoch, loss: report.valLoss, weights: last };
    state = { epochsDone: epoch + 1, bestEpoch: best.epoch, bestValLoss: best.loss, history, last, best: best.weights };
    writeTrainingCheckpoint(o.checkpointFile, state);
    o.onEpoch?.(report);
    o.onCheckpoint?.({ epochsDone: state.epochsDone, bestEpoch: state.bestEpoch });
    if (epoch - best.epoch >= o.patience) {
      stoppedEarly = true;
      break;
    }
    if (o.shouldStop?.()) {
      cancelled = true;
      break;
    }
  }
  return { weights: best.weights, history, bestEpoch: best.epoch, bestValLoss: best.loss, stoppedEarly, cancelled, resumedFromEpoch, epochsRun };
}

function tryRead(file: string): TrainingCheckpoint | undefined {
  try {
    return readTrainingCheckpoint(file);
  } catch (e) {
    if ((e as Error).message.includes('ENOENT')) return undefined;
    throw e;
  }
}
