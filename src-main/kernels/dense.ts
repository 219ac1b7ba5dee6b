/** int8 fully-connected layer (TFLite reference/integer_ops/fully_connected.h, per-channel weights [out, in]). */
import { multiplyByQuantizedMultiplier } from '../compress/fixedPoint';
import type { ChannelRequant } from './requant';

export interface DenseParams {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly requant: ChannelRequant;
  readonly clamp: readonly [number, number];
}

export function dense(p: DenseParams, input: Int8Array, weights: Int8Array, bias: Int32Array, output: Int8Array): void {
  const { inputOffset, outputOffset, multipliers, shifts } = p.requant;
  for (let o = 0; o < p.outputSize; o++) {
    let acc = 0;
    const wBase = o * p.inputSize;
    for (let i = 0; i < p.inputSize; i++) acc += (input[i]! + inputOffset) * weights[wBase + i]!;
    acc += bias[o]!;
    acc = multiplyByQuantizedMultiplier(acc | 0, multipliers[o]!, shifts[o]!) + outputOffset;
    output[o] = Math.min(Math.max(acc, p.clamp[0]), p.clamp[1]);
  }
}
