/**
 * Float scales → integer requantization parameters, computed once per op. The TypeScript kernels, the
 * firmware blob writer and therefore the C runtime all take their multipliers from here, so device and
 * reference can never disagree about a rounding decision.
 *
 * Scales are first rounded to float32 (Math.fround) because that is how TFLite flatbuffers, ONNX
 * initializers and our firmware blob store them; the products are then formed in double, exactly as
 * TFLite's PopulateConvolutionQuantizationParams does.
 */
import type { QuantParams } from '../graph/int8Graph';
import {
  quantizeMultiplier,
  quantizeMultiplierGreaterThanOne,
  quantizeMultiplierSmallerThanOne,
  type QuantizedMultiplier,
} from '../compress/fixedPoint';

const f32 = Math.fround;

/** Conv2D and dense: acc(int32) → int8 per output channel. */
export interface ChannelRequant {
  /** Added to every input value (= −input zero point), as in TFLite's input_offset. */
  readonly inputOffset: number;
  readonly outputOffset: number;
  readonly multipliers: Int32Array;
  readonly shifts: Int32Array;
}

/** Re-expresses an int8 value of one quantization in another: out = zpOut + M·(in − zpIn). */
export interface Rescale {
  readonly inputZeroPoint: number;
  readonly outputZeroPoint: number;
  readonly multiplier: number;
  readonly shift: number;
}

/** TFLite int8 ADD parameters (left shift 20 keeps ~20 bits of headroom for the rescaled inputs). */
export interface AddRequant {
  readonly leftShift: number;
  readonly input1Offset: number;
  readonly input2Offset: number;
  readonly input1Multiplier: number;
  readonly input1Shift: number;
  readonly input2Multiplier: number;
  readonly input2Shift: number;
  readonly outputMultiplier: number;
  readonly outputShift: number;
  readonly outputOffset: number;
}

/** TFLite int8 SOFTMAX parameters (beta = 1, 5 integer bits for the scaled difference). */
export interface SoftmaxRequant {
  readonly inputMultiplier: number;
  readonly inputLeftShift: number;
  readonly diffMin: number;
}

export const ADD_LEFT_SHIFT = 20;
export const SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5;

export function channelRequant(input: QuantParams, weights: QuantParams, output: QuantParams, channels: number): ChannelRequant {
  const multipliers = new Int32Array(channels);
  const shifts = new Int32Array(channels);
  const inScale = f32(input.scales[0]!);
  const outScale = f32(output.scales[0]!);
  for (let c = 0; c < channels; c++) {
    const wScale = f32(weights.scales.length === 1 ? weights.scales[0]! : weights.scales[c]!);
    const q = quantizeMultiplier((inScale * wScale) / outScale);
    multipliers[c] = q.multiplier;
    shifts[c] = q.shift;
  }
  return { inputOffset: -input.zeroPoint, outputOffset: output.zeroPoint, multipliers, shifts };
}

export function rescale(input: QuantParams, output: QuantParams): Rescale {
  const q: QuantizedMultiplier = quantizeMultiplier(f32(input.scales[0]!) / f32(output.scales[0]!));
  return { inputZeroPoint: input.zeroPoint, outputZeroPoint: output.zeroPoint, multiplier: q.multiplier, shift: q.shift };
}

export function addRequant(input1: QuantParams, input2: QuantParams, output: QuantParams): AddRequant {
  const s1 = f32(input1.scales[0]!);
  const s2 = f32(input2.scales[0]!);
  const twiceMax = 2 * Math.max(s1, s2);
  const m1 = quantizeMultiplierSmallerThanOne(s1 / twiceMax);
  const m2 = quantizeMultiplierSmallerThanOne(s2 / twiceMax);
  const mo = quantizeMultiplier(twiceMax / (2 ** ADD_LEFT_SHIFT * f32(output.scales[0]!)));
  return {
    leftShift: ADD_LEFT_SHIFT,
    input1Offset: -input1.zeroPoint,
    input2Offset: -input2.zeroPoint,
    input1Multiplier: m1.multiplier,
    input1Shift: m1.shift,
    input2Multiplier: m2.multiplier,
    input2Shift: m2.shift,
    outputMultiplier: mo.multiplier,
    outputShift: mo.shift,
    outputOffset: output.zeroPoint,
  };
}

/** TFLite PreprocessSoftmaxScaling + CalculateInputRadius. */
export function softmaxRequant(input: QuantParams): SoftmaxRequant {
  const bits = SOFTMAX_SCALED_DIFF_INTEGER_BITS;
  const real = Math.min(f32(input.scales[0]!) * 2 ** (31 - bits), 2 ** 31 - 1);
  const q = quantizeMultiplierGreaterThanOne(real);
  const radius = Math.floor((((1 << bits) - 1) * 2 ** (31 - bits)) / 2 ** q.shift);
  return { inputMultiplier: q.multiplier, inputLeftShift: q.shift, diffMin: -radius };
}
