/**
 * int8 concatenation along the last axis (channels for [H, W, C], the vector itself for [N]). Inputs
 * whose quantization differs from the output's are rescaled with integer math (see rescale.ts).
 */
import type { Rescale } from './requant';
import { rescaleValue } from './rescale';

export interface ConcatParams {
  /** Elements before the concatenated axis (H·W for feature maps, 1 for vectors). */
  readonly outerSize: number;
  /** Each input's size along the concatenated axis. */
  readonly axisSizes: readonly number[];
  readonly rescales: readonly Rescale[];
}

export function concat(p: ConcatParams, inputs: readonly Int8Array[], output: Int8Array): void {
  const outAxis = p.axisSizes.reduce((a, b) => a + b, 0);
  let axisOffset = 0;
  p.axisSizes.forEach((size, k) => {
    const input = inputs[k]!;
    const r = p.rescales[k]!;
    for (let o = 0; o < p.outerSize; o++) {
      for (let i = 0; i < size; i++) output[o * outAxis + axisOffset + i] = rescaleValue(r, input[o * size + i]!);
    }
    axisOffset += size;
  });
}
