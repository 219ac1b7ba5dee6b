/** int8 element-wise add (TFLite reference/integer_ops/add.h, left shift 20, no broadcasting). */
import { multiplyByQuantizedMultiplier } from '../compress/fixedPoint';
import type { AddRequant } from './requant';

export function add(p: AddRequant, clamp: readonly [number, number], a: Int8Array, b: Int8Array, output: Int8Array): void {
  for (let i = 0; i < output.length; i++) {
    const shifted1 = (p.input1Offset + a[i]!) * (1 << p.leftShift);
    const shifted2 = (p.input2Offset + b[i]!) * (1 << p.leftShift);
    const scaled1 = multiplyByQuantizedMultiplier(shifted1, p.input1Multiplier, p.input1Shift);
    const scaled2 = multiplyByQuantizedMultiplier(shifted2, p.input2Multiplier, p.input2Shift);
    const raw = multiplyByQuantizedMultiplier(scaled1 + scaled2, p.outputMultiplier, p.outputShift) + p.outputOffset;
    output[i] = Math.min(Math.max(raw, clamp[0]), clamp[1]);
  }
}
