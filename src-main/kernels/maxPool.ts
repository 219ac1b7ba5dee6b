/**
 * int8 max pooling (TFLite reference/integer_ops/pooling.h MaxPool): max over the in-bounds window,
 * then rescaled to the output quantization (identity when they match, as TFLite requires).
 */
import type { Padding4 } from '../graph/int8Graph';
import type { Rescale } from './requant';
import { rescaleValue } from './rescale';

export interface PoolParams {
  readonly inputShape: readonly [number, number, number];
  readonly outputShape: readonly [number, number, number];
  readonly size: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: Padding4;
  readonly rescale: Rescale;
}

export function maxPool(p: PoolParams, input: Int8Array, output: Int8Array): void {
  const [inH, inW, C] = p.inputShape;
  const [outH, outW] = p.outputShape;
  for (let oy = 0; oy < outH; oy++) {
    const y0 = Math.max(0, oy * p.stride[0] - p.padding[0]);
    const y1 = Math.min(inH, oy * p.stride[0] - p.padding[0] + p.size[0]);
    for (let ox = 0; ox < outW; ox++) {
      const x0 = Math.max(0, ox * p.stride[1] - p.padding[1]);
      const x1 = Math.min(inW, ox * p.stride[1] - p.padding[1] + p.size[1]);
      for (let c = 0; c < C; c++) {
        let max = -128;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) max = Math.max(max, input[(y * inW + x) * C + c]!);
        output[(oy * outW + ox) * C + c] = rescaleValue(p.rescale, max);
      }
    }
  }
}
