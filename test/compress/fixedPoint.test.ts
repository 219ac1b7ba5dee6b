import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  INT32_MAX,
  INT32_MIN,
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
  saturatingRoundingMultiplyByPOT,
} from '../../src-main/compress/fixedPoint';

// A literal BigInt transcription of gemmlowp's C++ (int64 product, nudge, truncating division).
function srdhmModel(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero, as C does
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

test('quantizeMultiplier matches TFLite values computed by hand', () => {
  assert.deepEqual(quantizeMultiplier(0), { multiplier: 0, shift: 0 });
  assert.deepEqual(quantizeMultiplier(1), { multiplier: 1073741824, shift: 1 }); // frexp(1) = 0.5 * 2^1
  assert.deepEqual(quantizeMultiplier(2), { multiplier: 1073741824, shift: 2 });
  assert.deepEqual(quantizeMultiplier(0.5), { multiplier: 1073741824, shift: 0 });
  assert.deepEqual(quantizeMultiplier(0.25), { multiplier: 1073741824, shift: -1 });
  assert.deepEqual(quantizeMultiplier(0.75), { multiplier: 1610612736, shift: 0 });
  // 0.1 = 0.8 * 2^-3; 0.8 * 2^31 = 1717986918.4 → 1717986918
  assert.deepEqual(quantizeMultiplier(0.1), { multiplier: 1717986918, shift: -3 });
  // mantissa rounds up to exactly 2^31: TFLite halves it and bumps the shift
  assert.deepEqual(quantizeMultiplier(1 - 2 ** -40), { multiplier: 1073741824, shift: 1 });
  // too small to represent with shift ≥ -31 collapses to zero
  assert.deepEqual(quantizeMultiplier(1e-10), { multiplier: 0, shift: 0 });
  // 0.0039215689 (1/255) = 0.50196081 * 2^-7 → round(0.50196081 * 2^31)
  const q = quantizeMultiplier(1 / 255);
  assert.equal(q.shift, -7);
  assert.equal(q.multiplier, Math.round((1 / 255) * 2 ** 7 * 2 ** 31));
  assert.throws(() => quantizeMultiplier(-1), RangeError);
});

test('quantizeMultiplier reconstructs the real multiplier within 2^-31 relative error', () => {
  const next = lcg(7);
  for (let i = 0; i < 2000; i++) {
    const real = 2 ** ((next() / 2 ** 32) * 40 - 30);
    const { multiplier, shift } = quantizeMultiplier(real);
    assert.ok(multiplier >= 2 ** 30 && multiplier < 2 ** 31, `multiplier ${multiplier} for ${real}`);
    const back = (multiplier / 2 ** 31) * 2 ** shift;
    assert.ok(Math.abs(back - real) / real <= 2 ** -31, `${real} → ${back}`);
  }
});

test('saturatingRoundingDoublingHighMul: hand cases incl. saturation and negative rounding', () => {
  assert.equal(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN), INT32_MAX); // the one overflow
  assert.equal(saturatingRoundingDoublingHighMul(100, 1 << 30), 50); // 100 * 0.5
  assert.equal(saturatingRoundingDoublingHighMul(101, 1 << 30), 51); // 50.5 rounds up
  assert.equal(saturatingRoundingDoublingHighMul(-101, 1 << 30), -50); // -50.5 rounds up too (toward +inf)
  assert.equal(saturatingRoundingDoublingHighMul(-103, 1 << 30), -51); // -51.5 → -51
  assert.equal(saturatingRoundingDoublingHighMul(-3, 1 << 29), -1); // -0.75 → -1
  assert.equal(saturatingRoundingDoublingHighMul(INT32_MAX, INT32_MAX), 2147483646);
  assert.equal(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MAX), -2147483647);
  assert.equal(saturatingRoundingDoublingHighMul(INT32_MIN, 1), -1); // (-2^31 + 1 - 2^30) / 2^31 truncates to -1
});

test('saturatingRoundingDoublingHighMul equals the int64 C model on 200k random pairs', () => {
  const next = lcg(42);
  const edge = [0, 1, -1, INT32_MIN, INT32_MAX, 1 << 30, -(1 << 30), 65535, -65536, 32768];
  for (const a of edge) for (const b of edge) assert.equal(saturatingRoundingDoublingHighMul(a, b), srdhmModel(a, b), `${a}*${b}`);
  for (let i = 0; i < 200_000; i++) {
    const a = next() | 0;
    const b = i % 3 === 0 ? (next() >> (next() % 31)) : next() | 0;
    assert.equal(saturatingRoundingDoublingHighMul(a, b), srdhmModel(a, b), `${a}*${b}`);
  }
});

test('roundingDivideByPOT rounds halves away from zero', () => {
  assert.equal(roundingDivideByPOT(3, 1), 2); // 1.5
  assert.equal(roundingDivideByPOT(-3, 1), -2); // -1.5
  assert.equal(roundingDivideByPOT(5, 2), 1); // 1.25
  assert.equal(roundingDivideByPOT(-5, 2), -1); // -1.25
  assert.equal(roundingDivideByPOT(-6, 2), -2); // -1.5
  assert.equal(roundingDivideByPOT(-7, 2), -2); // -1.75
  assert.equal(roundingDivideByPOT(7, 0), 7);
  assert.equal(roundingDivideByPOT(INT32_MIN, 31), -1);
  assert.equal(roundingDivideByPOT(INT32_MAX, 31), 1);
});

test('multiplyByQuantizedMultiplier applies left and right shifts like TFLite', () => {
  const half = quantizeMultiplier(0.5);
  assert.equal(multiplyByQuantizedMultiplier(7, half.multiplier, half.shift), 4); // 3.5 → 4
  assert.equal(multiplyByQuantizedMultiplier(-7, half.multiplier, half.shift), -3); // -3.5: single rounding takes halves up
  const tenth = quantizeMultiplier(0.1);
  assert.equal(multiplyByQuantizedMultiplier(1000, tenth.multiplier, tenth.shift), 100);
  assert.equal(multiplyByQuantizedMultiplier(-1000, tenth.multiplier, tenth.shift), -100);
  // 0.1's Q31 multiplier is a hair below 0.1, so ±15 · M is just inside ±1.5 and rounds towards zero.
  assert.equal(multiplyByQuantizedMultiplier(15, tenth.multiplier, tenth.shift), 1);
  assert.equal(multiplyByQuantizedMultiplier(-15, tenth.multiplier, tenth.shift), -1);
  const three = quantizeMultiplier(3);
  assert.equal(multiplyByQuantizedMultiplier(1000, three.multiplier, three.shift), 3000);
  assert.equal(multiplyByQuantizedMultiplier(-1000, three.multiplier, three.shift), -3000);
  // multiplier 1.0 is stored as 0.5 << 1: the left shift happens before the high multiply
  const one = quantizeMultiplier(1);
  assert.equal(multiplyByQuantizedMultiplier(INT32_MAX >> 1, one.multiplier, one.shift), INT32_MAX >> 1);
});

test('multiplyByQuantizedMultiplier tracks round(x * real) within 1 on random inputs', () => {
  const next = lcg(3);
  for (let i = 0; i < 20000; i++) {
    const real = 2 ** ((next() / 2 ** 32) * 20 - 18);
    const x = (next() | 0) >> 10;
    const { multiplier, shift } = quantizeMultiplier(real);
    const got = multiplyByQuantizedMultiplier(x, multiplier, shift);
    assert.ok(Math.abs(got - x * real) <= 1, `${x} * ${real} → ${got}`);
  }
});

// The C runtime's single-rounding requantization, transcribed literally with int64 BigInts.
function singleRoundingModel(x: number, multiplier: number, shift: number): number {
  const total = BigInt(31 - shift);
  return Number((BigInt(x) * BigInt(multiplier) + (1n << (total - 1n))) >> total);
}

test('multiplyByQuantizedMultiplier equals the int64 C model, on every shift and at exact ties', () => {
  const next = lcg(17);
  let compared = 0;
  for (let shift = -31; shift <= 30; shift++) {
    for (let i = 0; i < 3000; i++) {
      const multiplier = (1 << 30) + (next() >>> 2);
      // Keep |x · M / 2^(31 − shift)| inside int32, as every generated requantization does.
      const limit = Math.min(2 ** 31 - 1, Math.floor(2 ** (31 - Math.max(shift, 0)) / 2));
      const x = Math.floor((next() / 2 ** 32) * 2 * limit) - limit;
      assert.equal(multiplyByQuantizedMultiplier(x, multiplier, shift), singleRoundingModel(x, multiplier, shift), `x=${x} M=${multiplier} shift=${shift}`);
      compared++;
    }
  }
  // Exact ties (M = 2^30 is 0.5): -7 · 0.5 = -3.5 → -3 and 7 · 0.5 = 3.5 → 4, halves up in both cases.
  assert.equal(multiplyByQuantizedMultiplier(-7, 1 << 30, 0), singleRoundingModel(-7, 1 << 30, 0));
  assert.equal(multiplyByQuantizedMultiplier(7, 1 << 30, 0), 4);
  assert.ok(compared > 180000);
});

test('saturatingRoundingMultiplyByPOT saturates left shifts', () => {
  assert.equal(saturatingRoundingMultiplyByPOT(1 << 29, 2), INT32_MAX);
  assert.equal(saturatingRoundingMultiplyByPOT(-(1 << 29) - 1, 2), INT32_MIN);
  assert.equal(saturatingRoundingMultiplyByPOT(3, 2), 12);
  assert.equal(saturatingRoundingMultiplyByPOT(-3, -1), -2);
});
