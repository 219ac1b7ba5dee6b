import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_OUTPUT_SAMPLES, MAX_POLYPHASE_TAPS, MAX_RATE_RATIO, nearestRatio, polyphaseShape, resample } from '../../src-main/dsp/resample';
import { floatAllocations } from './floatAllocations';

/** The rates recorders, phones and sound cards actually use. */
const COMMON_RATES = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 176400, 192000, 384000];

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function taps(s: { up: number; halfWidth: number }): number {
  return s.up * 2 * s.halfWidth;
}

/** How far the rate the filter steps at is from the asked one, in parts per million. */
function ppmOff(from: number, to: number): number {
  const s = polyphaseShape(from, to);
  return Math.abs(s.down / s.up / (from / to) - 1) * 1e6;
}

test('every pair of common rates keeps its exact ratio, in a table under the cap', () => {
  for (const from of COMMON_RATES) {
    for (const to of COMMON_RATES) {
      if (from === to) continue;
      const s = polyphaseShape(from, to);
      const g = gcd(from, to);
      assert.deepEqual([s.up, s.down], [to / g, from / g], `${from} → ${to}`);
      assert.ok(taps(s) <= MAX_POLYPHASE_TAPS, `${from} → ${to}: ${taps(s)} taps`);
    }
  }
});

test('any rate from 4 to 384 kHz into the model rates gets a table under the cap, at most 70 ppm off', () => {
  let worst = 0;
  for (const to of [8000, 16000, 22050, 44100, 48000]) {
    for (let from = 4000; from <= 384000; from++) {
      if (from === to) continue;
      const s = polyphaseShape(from, to);
      assert.ok(taps(s) <= MAX_POLYPHASE_TAPS, `${from} → ${to}: ${taps(s)} taps`);
      worst = Math.max(worst, ppmOff(from, to));
    }
  }
  assert.ok(worst <= 70, `worst ratio error ${worst.toFixed(1)} ppm`);
  // The crafted rates from the report: exact would be 16 000 phases (3.1 M and 27 M taps).
  for (const from of [44101, 383999]) {
    assert.ok(taps(polyphaseShape(from, 16000)) <= MAX_POLYPHASE_TAPS);
    assert.ok(ppmOff(from, 16000) < 3, `${from}: ${ppmOff(from, 16000)} ppm`);
  }
});

test('nearestRatio finds the closest fraction under the denominator bound', () => {
  assert.deepEqual(nearestRatio(441, 160, 1000), [441, 160], 'exact when it fits');
  assert.deepEqual(nearestRatio(44097, 22050, 3640), [2, 1]);
  assert.deepEqual(nearestRatio(383999, 16000, 306), [24, 1]);
  // Against brute force on small bounds.
  let seed = 3;
  const next = (): number => (seed = (seed * 48271) % 2147483647);
  for (let k = 0; k < 200; k++) {
    const n = 4000 + (next() % 380000);
    const d = 4000 + (next() % 380000);
    const maxDen = 1 + (next() % 60);
    const [p, q] = nearestRatio(n, d, maxDen);
    assert.ok(q >= 1 && q <= maxDen);
    let best = Infinity;
    for (let den = 1; den <= maxDen; den++) best = Math.min(best, Math.abs(Math.round((n / d) * den) / den - n / d));
    assert.ok(Math.abs(p / q - n / d) <= best + 1e-15, `${n}/${d} ≤ ${maxDen}: ${p}/${q}`);
  }
});

test('an approximated rate still resamples a tone faithfully (44 101 Hz → 16 kHz)', () => {
  const from = 44101;
  const input = new Float32Array(from).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / from));
  const out = resample(input, from, 16000);
  assert.ok(Math.abs(out.length - 16000) <= 1, `${out.length} samples`);
  let err = 0;
  for (let i = 4000; i < 12000; i++) err = Math.max(err, Math.abs(out[i]! - 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 16000)));
  assert.ok(err < 1e-3, `max deviation from the ideal tone ${err}`);
});

/** The error `work` threw and the sample buffers it allocated first; no result is expected. */
function refusal(work: () => unknown): { error: unknown; largestBytes: number; ms: number } {
  const t = performance.now();
  const { outcome, largestBytes } = floatAllocations(work);
  const ms = performance.now() - t;
  assert.ok('error' in outcome, 'expected a refusal, the conversion ran');
  return { error: outcome.error, largestBytes, ms };
}

// The refusals below allocate nothing, which is the fact that matters (1 Hz → 16 kHz once built 320 M
// samples, 1.3 GB); the clock only backs it up, with seconds of slack for a loaded 2-core CI machine.
const REFUSAL_MS = 3000;

test('absurd ratios are refused before anything is allocated, with a message naming the rates', () => {
  const input = new Float32Array(20000);
  for (const [from, to] of [
    [1, 16000],
    [4294967295, 16000],
    [16000, 16000 * (MAX_RATE_RATIO + 1)],
  ] as const) {
    const r = refusal(() => resample(input, from, to));
    assert.ok(r.error instanceof RangeError && r.error.message.includes(`${from} Hz → ${to} Hz`) && /ratio beyond/.test(r.error.message), String(r.error));
    assert.equal(r.largestBytes, 0, `${from} → ${to} allocated ${r.largestBytes} bytes before refusing`);
    assert.ok(r.ms < REFUSAL_MS, `${from} → ${to} took ${r.ms.toFixed(0)} ms`);
  }
  // The widest accepted ratio still works and its output is sized by the input.
  assert.equal(resample(new Float32Array(100), 4000, 384000).length, 9600);
  // A target rate from a damaged model package: an accepted ratio, but an output past the cap. Only the
  // filter table (at most MAX_POLYPHASE_TAPS floats) may be built; never the 134 M-sample output.
  const long = new Float32Array(Math.ceil(MAX_OUTPUT_SAMPLES / 80) + 1);
  const r = refusal(() => resample(long, 48000, 48000 * 80));
  assert.ok(r.error instanceof RangeError, String(r.error));
  assert.match(r.error.message, /would become \d+ at 3840000 Hz, more than the 134217728/);
  assert.ok(r.largestBytes <= MAX_POLYPHASE_TAPS * 4, `${r.largestBytes} bytes allocated before refusing`);
  assert.ok(r.ms < REFUSAL_MS, `${r.ms.toFixed(0)} ms`);
});
