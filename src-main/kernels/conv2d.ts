/**
 * int8 2-D convolution, the reference that defines the integer math (TFLite
 * reference/integer_ops/conv.h and depthwise_conv.h in one loop: `groups` = 1 is an ordinary
 * convolution, `groups` = input channels is depthwise with multiplier outC / inC).
 * Padded taps are skipped, which equals feeding the input zero point.
 */
import type { Padding4 } from '../graph/int8Graph';
import { multiplyByQuantizedMultiplier } from '../compress/fixedPoint';
import type { ChannelRequant } from './requant';

export interface Conv2DParams {
  readonly inputShape: readonly [number, number, number];
  readonly outputShape: readonly [number, number, number];
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: Padding4;
  readonly groups: number;
  readonly requant: ChannelRequant;
  readonly clamp: readonly [number, number];
}

export function convOutputSize(input: number, kernel: number, stride: number, padBefore: number, padAfter: number): number {
  return Math.floor((input + padBefore + padAfter - kernel) / stride) + 1;
}

export function conv2d(p: Conv2DParams, input: Int8Array, weights: Int8Array, bias: Int32Array, output: Int8Array): void {
  const [inH, inW, inC] = p.inputShape;
  const [outH, outW, outC] = p.outputShape;
  const [kH, kW] = p.kernel;
  const [sH, sW] = p.stride;
  const [padTop, padLeft] = p.padding;
  const inPerGroup = inC / p.groups;
  const outPerGroup = outC / p.groups;
  if (!Number.isInteger(inPerGroup) || !Number.isInteger(outPerGroup)) {
    throw new RangeError(`conv2d: channels ${inC}→${outC} not divisible by groups ${p.groups}`);
  }
  const { inputOffset, outputOffset, multipliers, shifts } = p.requant;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let oc = 0; oc < outC; oc++) {
        const icBase = Math.floor(oc / outPerGroup) * inPerGroup;
        let acc = 0;
        for (let ky = 0; ky < kH; ky++) {
          const iy = oy * sH - padTop + ky;
          if (iy < 0 || iy >= inH) continue;
          for (let kx = 0; kx < kW; kx++) {
            const ix = ox * sW - padLeft + kx;
            if (ix < 0 || ix >= inW) continue;
            const inBase = (iy * inW + ix) * inC + icBase;
            const wBase = ((oc * kH + ky) * kW + kx) * inPerGroup;
            for (let ic = 0; ic < inPerGroup; ic++) acc += (input[inBase + ic]! + inputOffset) * weights[wBase + ic]!;
          }
        }
        acc += bias[oc]!;
        acc = multiplyByQuantizedMultiplier(acc | 0, multipliers[oc]!, shifts[oc]!) + outputOffset;
        output[(oy * outW + ox) * outC + oc] = Math.min(Math.max(acc, p.clamp[0]), p.clamp[1]);
      }
    }
  }
}
