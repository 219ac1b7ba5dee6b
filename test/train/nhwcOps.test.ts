import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { jit, lax, numpy as np, valueAndGrad } from '@jax-js/jax';
import { initEngine } from '../../src-main/train/engine';
import { conv2d, depthwiseConv, pointwiseConv, pool } from '../../src-main/train/nhwcOps';
import { seededRandom } from '../../src-main/train/random';

before(() => initEngine());

type JArray = np.Array;
type Pads = readonly [number, number, number, number];

/** jax-js's own NCHW ops, the definition the engine's NHWC rewrites must reproduce. */
const nchw = (x: JArray) => x.transpose([0, 3, 1, 2]);
const nhwc = (x: JArray) => x.transpose([0, 2, 3, 1]);
const padPairs = (p: Pads): [number, number][] => [
  [p[0], p[2]],
  [p[1], p[3]],
];

interface Case {
  readonly name: string;
  readonly x: readonly number[];
  readonly w: readonly number[];
  readonly op: (w: JArray, x: JArray) => JArray;
  readonly reference: (w: JArray, x: JArray) => JArray;
}

function values(shape: readonly number[], seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.next() * 2 - 1);
}

/** Output, d/dw and d/dx of sum(y · r) for a fixed random r, so every output position carries a distinct gradient. */
function evaluate(c: Case, f: Case['op']): Float32Array[] {
  const xv = values(c.x, 1);
  const wv = values(c.w, 2);
  const y = jit(f)(np.array(wv).reshape([...c.w]), np.array(xv).reshape([...c.x]));
  const outShape = y.shape;
  const out = Float32Array.from(y.dataSync());
  const r = values(outShape, 3);
  const [, grads] = valueAndGrad((p: { w: JArray; x: JArray }) => f(p.w, p.x).mul(np.array(r).reshape(outShape)).sum())({
    w: np.array(wv).reshape([...c.w]),
    x: np.array(xv).reshape([...c.x]),
  });
  return [out, Float32Array.from(grads.w.dataSync()), Float32Array.from(grads.x.dataSync())];
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= 1e-5 * Math.max(1, scale), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

const convCase = (name: string, x: number[], w: number[], stride: [number, number], pads: Pads): Case => ({
  name,
  x,
  w,
  op: (wt, xt) => conv2d(xt, wt, stride, pads),
  reference: (wt, xt) => nhwc(lax.convGeneralDilated(nchw(xt), wt, stride, padPairs(pads))),
});

const depthwiseCase = (name: string, x: number[], w: number[], stride: [number, number], pads: Pads): Case => ({
  name,
  x,
  w,
  op: (wt, xt) => depthwiseConv(xt, wt, stride, pads),
  reference: (wt, xt) => nhwc(lax.convGeneralDilated(nchw(xt), wt, stride, padPairs(pads), { featureGroupCount: x[3]! })),
});

const poolCase = (name: string, kind: 'max' | 'mean', x: number[], size: [number, number], stride: [number, number]): Case => ({
  name,
  x,
  w: [x[3]!],
  // A per-channel weight in front of the pool gives the check a weight gradient too.
  op: (wt, xt) => pool(xt.mul(wt.reshape([1, 1, 1, x[3]!])), kind, size, stride),
  reference: (wt, xt) => nhwc(lax.reduceWindow(nchw(xt.mul(wt.reshape([1, 1, 1, x[3]!]))), (win) => (kind === 'max' ? np.max(win) : np.mean(win)), size, stride)),
});

const cases: Case[] = [
  convCase('conv 3×3, one input channel (shifted sums)', [2, 6, 5, 1], [4, 1, 3, 3], [1, 1], [1, 1, 1, 1]),
  convCase('conv 3×3, three input channels (im2col)', [2, 6, 5, 3], [4, 3, 3, 3], [1, 1], [1, 1, 1, 1]),
  convCase('conv 2×3 with asymmetric "same" padding', [2, 5, 7, 2], [3, 2, 2, 3], [1, 1], [0, 1, 1, 1]),
  convCase('conv 3×3 valid', [1, 6, 6, 2], [2, 2, 3, 3], [1, 1], [0, 0, 0, 0]),
  convCase('conv 1×1 (a pointwise matmul)', [2, 4, 3, 5], [6, 5, 1, 1], [1, 1], [0, 0, 0, 0]),
  convCase('strided conv (lax path)', [2, 7, 6, 2], [3, 2, 3, 3], [2, 1], [1, 1, 1, 1]),
  depthwiseCase('depthwise 3×3 (shifted sums)', [2, 6, 5, 4], [4, 1, 3, 3], [1, 1], [1, 1, 1, 1]),
  depthwiseCase('depthwise 1×2 valid', [2, 3, 4, 3], [3, 1, 1, 2], [1, 1], [0, 0, 0, 0]),
  depthwiseCase('depthwise with multiplier 2 (lax path)', [1, 5, 5, 3], [6, 1, 3, 3], [1, 1], [1, 1, 1, 1]),
  { name: 'pointwise 5→6', x: [2, 4, 3, 5], w: [6, 5, 1, 1], op: (w, x) => pointwiseConv(x, w), reference: (w, x) => nhwc(lax.convGeneralDilated(nchw(x), w, [1, 1], 'VALID')) },
  poolCase('max pool 2×2 on odd sizes (floor)', 'max', [2, 7, 5, 3], [2, 2], [2, 2]),
  poolCase('average pool over time [h, 1]', 'mean', [2, 6, 4, 3], [6, 1], [6, 1]),
  poolCase('overlapping max pool (lax path)', 'max', [1, 5, 5, 2], [3, 3], [1, 1]),
];

for (const c of cases) {
  test(`nhwcOps ${c.name}: output and both gradients equal jax-js's lax op`, () => {
    const [y, gw, gx] = evaluate(c, c.op);
    const [ry, rgw, rgx] = evaluate(c, c.reference);
    assertClose(y!, ry!, 'output');
    assertClose(gw!, rgw!, 'd/dw');
    assertClose(gx!, rgx!, 'd/dx');
  });
}
