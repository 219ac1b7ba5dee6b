/**
 * int8 global average pooling = TFLite MEAN over H and W (reference/integer_ops/mean.h): sum of
 * (x − zpIn), rescale by inScale/outScale, divide by H·W rounding half away from zero, add zpOut.
 */
import { multiplyByQuantizedMultiplier } from '../compress/fixedPoint';
import type { Rescale } from './requant';
import { roundedDivide } from './avgPool';

export interface GlobalAvgPoolParams {
  readonly inputShape: readonly [number, number, number];
  readonly rescale: Rescale;
}

export function globalAvgPool(p: GlobalAvgPoolParams, input: Int8Array, output: Int8Array): void {
  const [H, W, C] = p.inputShape;
  const n = H * W;
  const { inputZeroPoint, outputZeroPoint, multiplier, shift } = p.rescale;
  for (let c = 0; c < C; c++) {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += input[i * C + c]! - inputZeroPoint;
    acc = roundedDivide(multiplyByQuantizedMultiplier(acc, multiplier, shift), n) + outputZeroPoint;
    output[c] = Math.min(Math.max(acc, -128), 127);
  }
}
