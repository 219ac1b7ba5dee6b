/**
 * Quantization-aware fine-tuning: a few epochs of the trained student against the int8 grid fixed by
 * post-training calibration, so the weights settle where rounding costs least. The ranges do not move
 * during fine-tuning (the int8 graph is built from the same ones), and batch-norm stays frozen at its
 * running statistics so folding afterwards reproduces exactly what was trained.
 */
import type { BuiltArchitecture } from '../model/architecture';
import type { ModelWeights } from '../model/weights';
import { trainableModel } from '../train/engine';
import { fit, type FitOptions, type FitResult } from '../train/fit';
import type { SampleSet } from '../train/sampleSet';
import { calibrate, type CalibrationRanges } from './calibrate';

export function calibrationRanges(arch: BuiltArchitecture, weights: ModelWeights, calibration: SampleSet, inputClip: number): CalibrationRanges {
  const model = trainableModel(arch, weights, { learningRate: 0 });
  try {
    const branches = arch.branches.map((b, i) => ({ modality: b.modality, sampleSize: calibration.sampleSizes[i]! }));
    return calibrate((x) => model.trace(x), { count: calibration.count, modalities: calibration.modalities }, branches, { inputClip });
  } finally {
    model.dispose();
  }
}

export interface QuantAwareOptions extends Omit<FitOptions, 'initialWeights' | 'quantAware'> {}

export function quantAwareFineTune(
  arch: BuiltArchitecture,
  weights: ModelWeights,
  ranges: CalibrationRanges,
  train: SampleSet,
  val: SampleSet,
  o: QuantAwareOptions,
): Promise<FitResult> {
  return fit(arch, train, val, { ...o, initialWeights: weights, quantAware: { ranges } });
}
