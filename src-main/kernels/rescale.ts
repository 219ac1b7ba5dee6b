/**
 * Moves one int8 value between quantizations with integer math only. TFLite does this in float for
 * concatenation; we use the fixed-point multiplier so the device needs no FPU. With equal scales the
 * multiplier is exactly 1 (2^30 · 2^1) and the result is bit-for-bit the input shifted by the zero points.
 */
import { multiplyByQuantizedMultiplier } from '../compress/fixedPoint';
import type { Rescale } from './requant';

export function rescaleValue(r: Rescale, value: number): number {
  const v = r.outputZeroPoint + multiplyByQuantizedMultiplier(value - r.inputZeroPoint, r.multiplier, r.shift);
  return Math.min(Math.max(v, -128), 127);
}
