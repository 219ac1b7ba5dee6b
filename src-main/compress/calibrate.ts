/**
 * Post-training calibration: the float range every activation takes on representative inputs, which
 * becomes its int8 scale and zero point. Ranges always include 0 so that zero (ReLU's floor, padding)
 * is exactly representable.
 */
import type { Inputs } from '../train/engine';

export interface TensorRange {
  readonly min: number;
  readonly max: number;
}

/** Traced tensor name (`<modality>/input`, layer names, `<layer>/depthwise`, `fusion`, `head/…`) → range. */
export type CalibrationRanges = ReadonlyMap<string, TensorRange>;

export interface CalibrationOptions {
  readonly batchSize?: number;
  /**
   * Share of values allowed to clip at each end of the input features' range. Log-mel inputs have a long
   * tail towards the silence floor; a little clipping buys resolution where the signal is. Activations
   * use the full min/max, since their outliers carry the class evidence.
   */
  readonly inputClip?: number;
}

type Tracer = (inputs: Inputs) => Record<string, Float32Array>;

/** One branch of the model: its modality name and the values per sample (H·W·C). */
export interface CalibrationBranch {
  readonly modality: string;
  readonly sampleSize: number;
}

function slice(inputs: Inputs, start: number, end: number, branches: readonly CalibrationBranch[]): Inputs {
  return { count: end - start, modalities: inputs.modalities.map((m, i) => m.subarray(start * branches[i]!.sampleSize, end * branches[i]!.sampleSize)) };
}

function quantile(sorted: Float32Array, q: number): number {
  const pos = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[pos]!;
}

export function calibrate(trace: Tracer, inputs: Inputs, branches: readonly CalibrationBranch[], options: CalibrationOptions = {}): CalibrationRanges {
  const batch = options.batchSize ?? 64;
  const ranges = new Map<string, { min: number; max: number }>();
  for (let start = 0; start < inputs.count; start += batch) {
    const traced = trace(slice(inputs, start, Math.min(inputs.count, start + batch), branches));
    for (const [name, values] of Object.entries(traced)) {
      let min = 0;
      let max = 0;
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const r = ranges.get(name);
      ranges.set(name, r ? { min: Math.min(r.min, min), max: Math.max(r.max, max) } : { min, max });
    }
  }
  const clip = options.inputClip ?? 0;
  if (clip > 0) {
    inputs.modalities.forEach((values, i) => {
      const name = `${branches[i]!.modality}/input`;
      if (values.length === 0) return;
      const sorted = Float32Array.from(values).sort();
      ranges.set(name, { min: Math.min(0, quantile(sorted, clip)), max: Math.max(0, quantile(sorted, 1 - clip)) });
    });
  }
  return ranges;
}
