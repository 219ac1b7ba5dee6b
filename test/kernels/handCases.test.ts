// Small cases worked out by hand from TFLite's integer semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conv2d } from '../../src-main/kernels/conv2d';
import { dense } from '../../src-main/kernels/dense';
import { maxPool } from '../../src-main/kernels/maxPool';
import { avgPool } from '../../src-main/kernels/avgPool';
import { globalAvgPool } from '../../src-main/kernels/globalAvgPool';
import { concat } from '../../src-main/kernels/concat';
import { add } from '../../src-main/kernels/add';
import { softmax } from '../../src-main/kernels/softmax';
import { addRequant, channelRequant, rescale, softmaxRequant } from '../../src-main/kernels/requant';

const q = (scale: number, zeroPoint = 0) => ({ scales: [scale], zeroPoint });
const full: [number, number] = [-128, 127];
const i8 = (...v: number[]) => Int8Array.from(v);

test('conv2d 3x3→2x2 with input and output zero points and half-up rounding', () => {
  const input = i8(1, 2, 3, 4, 5, 6, 7, 8, 9);
  const out = new Int8Array(4);
  conv2d(
    {
      inputShape: [3, 3, 1],
      outputShape: [2, 2, 1],
      kernel: [2, 2],
      stride: [1, 1],
      padding: [0, 0, 0, 0],
      groups: 1,
      requant: channelRequant(q(1, 1), q(1), q(2, -3), 1),
      clamp: full,
    },
    input,
    i8(1, 1, 1, 1),
    Int32Array.of(1),
    out,
  );
  // window sums of (x − 1): 8, 12, 20, 24; +1 bias; ×0.5 → 4.5→5, 6.5→7, 10.5→11, 12.5→13; −3
  assert.deepEqual([...out], [2, 4, 8, 10]);
});

test('conv2d padding behaves as the input zero point and the clamp is applied', () => {
  const input = new Int8Array(9).fill(5);
  const out = new Int8Array(9);
  conv2d(
    {
      inputShape: [3, 3, 1],
      outputShape: [3, 3, 1],
      kernel: [3, 3],
      stride: [1, 1],
      padding: [1, 1, 1, 1],
      groups: 1,
      requant: channelRequant(q(1, 5), q(1), q(1, 0), 1),
      clamp: [0, 3],
    },
    input,
    new Int8Array(9).fill(7),
    Int32Array.of(2),
    out,
  );
  assert.deepEqual([...out], new Array(9).fill(2)); // every tap is zero after the offset
  const outClamped = new Int8Array(9);
  conv2d(
    {
      inputShape: [3, 3, 1],
      outputShape: [3, 3, 1],
      kernel: [3, 3],
      stride: [1, 1],
      padding: [1, 1, 1, 1],
      groups: 1,
      requant: channelRequant(q(1, 4), q(1), q(1, 0), 1),
      clamp: [0, 30],
    },
    input,
    new Int8Array(9).fill(7),
    Int32Array.of(0),
    outClamped,
  );
  // (5 − 4)·7 per in-bounds tap: corners 4 taps = 28, edges 6 = 42 → 30, centre 9 = 63 → 30
  assert.deepEqual([...outClamped], [28, 30, 28, 30, 30, 30, 28, 30, 28]);
});

test('depthwise conv2d (groups = inC, multiplier 2) uses input channel oc / 2 and per-channel scales', () => {
  // 1x1 spatial, 2 input channels, kernel 1x1, 4 outputs
  const out = new Int8Array(4);
  conv2d(
    {
      inputShape: [1, 1, 2],
      outputShape: [1, 1, 4],
      kernel: [1, 1],
      stride: [1, 1],
      padding: [0, 0, 0, 0],
      groups: 2,
      requant: channelRequant(q(1), { scales: [1, 0.5, 1, 0.25], zeroPoint: 0 }, q(1), 4),
      clamp: full,
    },
    i8(10, -20),
    i8(1, 2, 3, -1),
    Int32Array.of(0, 0, 0, 0),
    out,
  );
  // 10·1·1, 10·2·0.5, −20·3·1, −20·−1·0.25
  assert.deepEqual([...out], [10, 10, -60, 5]);
});

test('dense with per-channel multipliers and saturation', () => {
  const out = new Int8Array(3);
  dense(
    { inputSize: 3, outputSize: 3, requant: channelRequant(q(0.5, -1), { scales: [1, 1, 0.01], zeroPoint: 0 }, q(0.25, 2), 3), clamp: full },
    i8(1, 3, -1),
    i8(1, 1, 1, 100, 100, 100, 1, -1, 0),
    Int32Array.of(4, 0, 10),
    out,
  );
  // x+1 = [2, 4, 0]; ch0: 6+4=10 · (0.5/0.25)=20 +2 = 22; ch1: 600·2 → 1200 → 127; ch2: (2−4+10)=8 · 0.02 = 0.16 → 0 +2
  assert.deepEqual([...out], [22, 127, 2]);
});

test('maxPool ignores padding; avgPool rounds half away from zero and counts only in-bounds taps', () => {
  const same = rescale(q(1, 3), q(1, 3));
  const input = i8(-5, 1, -2, -9);
  const maxOut = new Int8Array(4);
  maxPool({ inputShape: [2, 2, 1], outputShape: [2, 2, 1], size: [2, 2], stride: [1, 1], padding: [0, 0, 1, 1], rescale: same }, input, maxOut);
  assert.deepEqual([...maxOut], [1, 1, -2, -9]);
  const avgOut = new Int8Array(4);
  avgPool({ inputShape: [2, 2, 1], outputShape: [2, 2, 1], size: [2, 2], stride: [1, 1], padding: [0, 0, 1, 1], rescale: same }, input, avgOut);
  // (−5+1−2−9)/4 = −3.75 → −4; (1−9)/2 = −4; (−2−9)/2 = −5.5 → −6; −9
  assert.deepEqual([...avgOut], [-4, -4, -6, -9]);
  const avgHalf = new Int8Array(1);
  avgPool({ inputShape: [1, 2, 1], outputShape: [1, 1, 1], size: [1, 2], stride: [1, 2], padding: [0, 0, 0, 0], rescale: same }, i8(1, 2), avgHalf);
  assert.deepEqual([...avgHalf], [2]); // 1.5 → 2
});

test('globalAvgPool is TFLite MEAN: sum of (x − zp), rescale, rounded divide', () => {
  const out = new Int8Array(2);
  // channels interleaved: c0 = [1, 2, 3, 5], c1 = [−1, −2, −2, −2]; zp 1
  globalAvgPool({ inputShape: [2, 2, 2], rescale: rescale(q(1, 1), q(0.5, -1)) }, i8(1, -1, 2, -2, 3, -2, 5, -2), out);
  // c0: (0+1+2+4)=7 ·2 = 14 / 4 = 3.5 → 4, −1 → 3; c1: (−2−3−3−3) = −11 ·2 = −22 / 4 = −5.5 → −6, −1 → −7
  assert.deepEqual([...out], [3, -7]);
});

test('concat along channels rescales inputs whose scale differs', () => {
  const out = new Int8Array(6);
  concat(
    { outerSize: 2, axisSizes: [2, 1], rescales: [rescale(q(1, 0), q(1, 0)), rescale(q(0.5, 2), q(1, 0))] },
    [i8(1, 2, 3, 4), i8(12, -20)],
    out,
  );
  // second input: (12−2)·0.5 = 5, (−20−2)·0.5 = −11
  assert.deepEqual([...out], [1, 2, 5, 3, 4, -11]);
});

test('add with different input scales (TFLite left shift 20)', () => {
  const out = new Int8Array(3);
  add(addRequant(q(0.5, 0), q(0.25, 4), q(1, -1)), [-128, 127], i8(10, -10, 127), i8(8, 0, 127), out);
  // 10·0.5 + 4·0.25 = 6 → 5; −5 + −1 = −6 → −7; 63.5 + 30.75 = 94.25 → 94 → 93
  assert.deepEqual([...out], [5, -7, 93]);
});

test('softmax: uniform rows give 1/n, output tracks float softmax within 1 LSB', () => {
  const out = new Int8Array(4);
  softmax({ outerSize: 1, depth: 4, requant: softmaxRequant(q(0.1, 0)) }, i8(7, 7, 7, 7), out);
  assert.deepEqual([...out], [-64, -64, -64, -64]); // 0.25 · 256 − 128
  const inputScale = 0.0625;
  const x = i8(-128, -30, 0, 10, 40, 127, 90, 3);
  const y = new Int8Array(8);
  softmax({ outerSize: 2, depth: 4, requant: softmaxRequant(q(inputScale, 0)) }, x, y);
  for (let row = 0; row < 2; row++) {
    const xs = [...x.slice(row * 4, row * 4 + 4)].map((v) => v * inputScale);
    const m = Math.max(...xs);
    const e = xs.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, c) => assert.ok(Math.abs(y[row * 4 + c]! - (Math.round((v / s) * 256) - 128)) <= 1, `row ${row} c ${c}: ${y[row * 4 + c]}`));
  }
});
