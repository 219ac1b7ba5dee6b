import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameError } from '../../src-main/frames/frameError';
import { encodeGrey8Png, encodeGrey16Png } from '../../src-main/frames/png16';
import { decodeThermal, encodeThermalPng } from '../../src-main/frames/thermalFrame';

const reasonOf = (fn: () => unknown): { reason: string; file: string } => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FrameError, String(e));
    return { reason: e.reason, file: e.file };
  }
  assert.fail('expected a FrameError');
};

test('16-bit centi-kelvin PNG round-trips °C to 0.01 K', () => {
  const celsius = Float32Array.from({ length: 32 * 24 }, (_, i) => 18 + (i % 97) * 0.2 - 30 * (i % 2));
  const back = decodeThermal(encodeThermalPng({ width: 32, height: 24, celsius }), 'f_thermal.png');
  assert.equal(back.width, 32);
  assert.equal(back.height, 24);
  for (let i = 0; i < celsius.length; i++) assert.ok(Math.abs(back.celsius[i]! - celsius[i]!) <= 0.0051, `pixel ${i}`);
});

test('a declared 16-bit scale (0.1 K per count) is honoured', () => {
  const png = encodeGrey16Png(2, 1, Uint16Array.from([3061, 2731]));
  const f = decodeThermal(png, 'x.png', { encoding: { kind: 'png16', kelvinPerCount: 0.1 } });
  assert.ok(Math.abs(f.celsius[0]! - 32.95) < 1e-3);
  assert.ok(Math.abs(f.celsius[1]! - -0.05) < 1e-3);
});

test('8-bit PNG maps linearly over its declared range, and without one is a bit-depth error', () => {
  const png = encodeGrey8Png(3, 1, Uint8Array.from([0, 255, 51]));
  const f = decodeThermal(png, 'p.png', { encoding: { kind: 'png8', minC: 10, maxC: 40 } });
  assert.deepEqual(Array.from(f.celsius).map((v) => Math.round(v * 100) / 100), [10, 40, 16]);
  assert.deepEqual(reasonOf(() => decodeThermal(png, 'p.png')), { reason: 'bit-depth', file: 'p.png' });
});

test('CSV in °C is read row by row; ragged rows, text and a cut-off last row are errors', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const f = decodeThermal(enc('# header comment\n20.5, 21,22\n33.1;34.0;35\n'), 'm.csv');
  assert.equal(f.width, 3);
  assert.equal(f.height, 2);
  assert.ok(Math.abs(f.celsius[3]! - 33.1) < 1e-5);
  assert.deepEqual(reasonOf(() => decodeThermal(enc('1,2,3\n4,5\n6,7,8\n'), 'r.csv')), { reason: 'malformed', file: 'r.csv' });
  assert.deepEqual(reasonOf(() => decodeThermal(enc('1,2,3\n4,5,6\n7,8'), 'cut.csv')), { reason: 'truncated', file: 'cut.csv' });
  assert.deepEqual(reasonOf(() => decodeThermal(enc('1,2,warm\n'), 'w.csv')), { reason: 'malformed', file: 'w.csv' });
});

test('raw float32 needs a declared size and the exact byte count', () => {
  const vals = Float32Array.from([20, 21, 22, 23, 24, 25]);
  const bytes = new Uint8Array(vals.buffer);
  const f = decodeThermal(bytes, 'a.f32', { encoding: { kind: 'f32', width: 3, height: 2 } });
  assert.deepEqual(Array.from(f.celsius), [20, 21, 22, 23, 24, 25]);
  assert.deepEqual(reasonOf(() => decodeThermal(bytes, 'a.f32')), { reason: 'encoding', file: 'a.f32' });
  assert.deepEqual(reasonOf(() => decodeThermal(bytes.subarray(0, 20), 'a.f32', { encoding: { kind: 'f32', width: 3, height: 2 } })), { reason: 'truncated', file: 'a.f32' });
});

test('temperatures no sensor reports (or NaN) are out of range', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.deepEqual(reasonOf(() => decodeThermal(enc('20,21\n22,900\n'), 'hot.csv')), { reason: 'out-of-range', file: 'hot.csv' });
  const nan = new Uint8Array(Float32Array.from([20, Number.NaN]).buffer);
  assert.deepEqual(reasonOf(() => decodeThermal(nan, 'n.raw', { encoding: { kind: 'f32', width: 2, height: 1 } })), { reason: 'out-of-range', file: 'n.raw' });
  // A 16-bit PNG of raw counts read as centi-kelvin gives ~ -270 °C: caught, not silently accepted.
  assert.deepEqual(reasonOf(() => decodeThermal(encodeGrey16Png(1, 1, Uint16Array.from([300])), 'counts.png')), { reason: 'out-of-range', file: 'counts.png' });
});
