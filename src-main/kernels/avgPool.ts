/**
 * int8 average pooling (TFLite reference/integer_ops/pooling.h AveragePool): sum over the in-bounds
 * window, divide by the number of in-bounds taps rounding half away from zero, then rescale to the
 * output quantization (identity when they match, as TFLite requires).
 */
import type { PoolParams } from './maxPool';
import { rescaleValue } from './rescale';

/** TFLite's (acc ± n/2) / n with C's truncating division. */
export function roundedDivide(acc: number, n: number): number {
  return Math.trunc(acc > 0 ? (acc + Math.trunc(n / 2)) / n : (acc - Math.trunc(n / 2)) / n);
}

export function avgPool(p: PoolParams, input: Int8Array, output: Int8Array): void {
  const [inH, inW, C] = p.inputShape;
  const [outH, outW] = p.outputShape;
  for (let oy = 0; oy < outH; oy++) {
    const y0 = Math.max(0, oy * p.stride[0] - p.padding[0]);
    const y1 = Math.min(inH, oy * p.stride[0] - p.padding[0] + p.size[0]);
    for (let ox = 0; ox < outW; ox++) {
      const x0 = Math.max(0, ox * p.stride[1] - p.padding[1]);
      const x1 = Math.min(inW, ox * p.stride[1] - p.padding[1] + p.size[1]);
      const count = (y1 - y0) * (x1 - x0);
      for (let c = 0; c < C; c++) {
        let acc = 0;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) acc += input[(y * inW + x) * C + c]!;
        const avg = count > 0 ? Math.min(Math.max(roundedDivide(acc, count), -128), 127) : p.rescale.inputZeroPoint;
        output[(oy * outW + ox) * C + c] = rescaleValue(p.rescale, avg);
      }
    }
  }
}
