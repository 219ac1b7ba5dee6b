import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameError } from '../../src-main/frames/frameError';
import { checkAspect, resizeDepth, resizeThermal } from '../../src-main/frames/resize';

test('2× downscale of thermal is the mean of each 2×2 block', () => {
  const celsius = Float32Array.from([20, 22, 30, 30, 24, 26, 34, 38, 10, 10, 0, 4, 10, 10, 8, 12]);
  const r = resizeThermal({ width: 4, height: 4, celsius }, 2, 2);
  assert.deepEqual(Array.from(r.celsius), [23, 33, 10, 6]);
});

test('non-integer downscale weights pixels by the area they overlap', () => {
  // 3 → 2: output 0 covers source [0, 1.5): 1 × s0 + 0.5 × s1; output 1 covers [1.5, 3).
  const r = resizeThermal({ width: 3, height: 1, celsius: Float32Array.from([30, 60, 90]) }, 2, 1);
  assert.ok(Math.abs(r.celsius[0]! - (30 + 0.5 * 60) / 1.5) < 1e-4);
  assert.ok(Math.abs(r.celsius[1]! - (0.5 * 60 + 90) / 1.5) < 1e-4);
});

test('80×60 → 32×24 preserves the mean temperature of a scene', () => {
  const celsius = Float32Array.from({ length: 80 * 60 }, (_, i) => 20 + ((i * 7919) % 1700) / 100);
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  const r = resizeThermal({ width: 80, height: 60, celsius }, 32, 24);
  assert.ok(Math.abs(mean(r.celsius) - mean(celsius)) < 1e-3);
});

test('depth downscale ignores missing (0) pixels instead of averaging them in', () => {
  const mm = Uint16Array.from([2000, 0, 0, 0, 2000, 2200, 3000, 3000, 0, 0, 3000, 3000, 0, 0, 3002, 3000]);
  const r = resizeDepth({ width: 4, height: 4, mm }, 2, 2);
  // Block (0,0) has 3 valid readings of 2000,2000,2200 → 2067; block (0,1) is all missing → stays missing.
  assert.deepEqual(Array.from(r.mm), [2067, 3000, 0, 3001]);
});

test('depth minValidFraction turns a mostly-missing footprint into missing', () => {
  const mm = Uint16Array.from([1500, 0, 0, 0]);
  assert.equal(resizeDepth({ width: 2, height: 2, mm }, 1, 1).mm[0], 1500);
  assert.equal(resizeDepth({ width: 2, height: 2, mm }, 1, 1, { minValidFraction: 0.5 }).mm[0], 0);
});

test('upscaling replicates pixels (box), so 32×24 thermal can feed a larger input', () => {
  const r = resizeThermal({ width: 2, height: 1, celsius: Float32Array.from([20, 30]) }, 4, 2);
  assert.deepEqual(Array.from(r.celsius), [20, 20, 30, 30, 20, 20, 30, 30]);
});

test('a resize that would distort the aspect ratio is a resolution error naming the file', () => {
  checkAspect('ok.png', { width: 640, height: 480 }, { width: 64, height: 48 });
  assert.throws(() => checkAspect('wide_depth.png', { width: 1280, height: 720 }, { width: 64, height: 48 }), (e: unknown) => e instanceof FrameError && e.reason === 'resolution' && e.file === 'wide_depth.png');
});
