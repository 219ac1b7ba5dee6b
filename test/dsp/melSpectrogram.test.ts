import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { audioFeatureParamsSchema, type AudioFeatureParams } from '../../src-main/models/packageMeta';
import { DEFAULT_AUDIO_FEATURES, FeatureParamsError, logMelSpectrogram, melPowerFrames } from '../../src-main/dsp/melSpectrogram';
import { melFilterbank } from '../../src-main/dsp/melFilterbank';
import { hzToMel, melToHz } from '../../src-main/dsp/melScale';
import { PowerSpectrum } from '../../src-main/dsp/powerSpectrum';
import { importWav } from '../../src-main/audio/wavImport';
import { COSWARA_DIR, coswaraSkip } from '../audio/coswaraFixture';

const P: AudioFeatureParams = { ...DEFAULT_AUDIO_FEATURES.cough, trimDb: undefined, frames: 100 };

function tone(freq: number, seconds: number, amplitude = 0.5, rate = 16000): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** Deterministic white noise (xorshift) so failures reproduce. */
function noise(n: number, amplitude: number, seed = 1): Float32Array {
  let s = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = amplitude * (((s >>> 0) / 2 ** 32) * 2 - 1);
  }
  return out;
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

test('mel scale and filter edges match the HTK formula (40 bands, 0–8 kHz)', () => {
  assert.ok(Math.abs(hzToMel(1000) - 999.9855) < 1e-3, '1 kHz ≈ 1000 mel');
  assert.ok(Math.abs(melToHz(hzToMel(4321)) - 4321) < 1e-9);
  const bank = melFilterbank({ sampleRate: 16000, fftSize: 512, melBands: 40, fMin: 0, fMax: 8000 });
  const expected: [number, number][] = [
    [0, 0], [1, 44.37407701], [2, 91.56109503], [20, 1693.10660904], [21, 1844.80931898], [22, 2006.12869712], [39, 6993.65755619], [40, 7481.37034603], [41, 8000],
  ];
  for (const [i, hz] of expected) assert.ok(Math.abs(bank.edgesHz[i]! - hz) < 1e-6, `edge ${i}: ${bank.edgesHz[i]} vs ${hz}`);
  // Filter 20 rises from edge 20 (1693.1 Hz, bin 54.18 → first bin 55), peaks at edge 21 (1844.8 Hz) and
  // ends at edge 22 (2006.1 Hz, bin 64.2).
  const f21 = bank.filters[20]!;
  assert.equal(f21.start, 55);
  assert.equal(f21.start + f21.weights.length - 1, 64);
  const peakBin = f21.start + argmax(f21.weights);
  assert.equal(peakBin, Math.round(1844.80931898 / 31.25));
});

test('neighbouring filters sum to 1 between the first and last centre (energy is conserved)', () => {
  const bank = melFilterbank({ sampleRate: 16000, fftSize: 512, melBands: 40, fMin: 0, fMax: 8000 });
  const sums = new Float64Array(257);
  for (const { start, weights } of bank.filters) weights.forEach((w, j) => (sums[start + j]! += w));
  let checked = 0;
  for (let k = 0; k < 257; k++) {
    const f = k * 31.25;
    if (f >= bank.edgesHz[1]! && f <= bank.edgesHz[40]!) {
      assert.ok(Math.abs(sums[k]! - 1) < 1e-6, `bin ${k} (${f} Hz) sums to ${sums[k]}`);
      checked++;
    }
  }
  assert.ok(checked > 230);
});

test('the power spectrum obeys Parseval (fft.js)', () => {
  const ps = new PowerSpectrum(512);
  const x = Float64Array.from(noise(512, 0.3));
  const spec = new Float64Array(257);
  ps.compute(x, spec);
  let timeEnergy = 0;
  for (const v of x) timeEnergy += v * v;
  let freqEnergy = spec[0]! + spec[256]!;
  for (let k = 1; k < 256; k++) freqEnergy += 2 * spec[k]!;
  assert.ok(Math.abs(freqEnergy / (512 * timeEnergy) - 1) < 1e-9);
});

test('a pure tone lands in the mel band whose centre is nearest, with the expected energy', () => {
  const bank = melFilterbank(P);
  for (const freq of [250, 1000, 1844.8, 3000, 6000]) {
    const features = logMelSpectrogram(tone(freq, 1), P);
    const row = features.data.subarray(50 * 40, 51 * 40);
    const band = argmax(row);
    const centres = Array.from({ length: 40 }, (_, b) => bank.edgesHz[b + 1]!);
    const nearest = centres.reduce((best, c, b) => (Math.abs(c - freq) < Math.abs(centres[best]! - freq) ? b : best), 0);
    assert.equal(band, nearest, `${freq} Hz went to band ${band}, nearest centre is band ${nearest}`);
    // Energy: a tone's power sits in the positive half of the spectrum, N·Σ(x·w)²/2, and the filters
    // partition it without loss. 1 % covers the Hann window's leakage outside the tone's two filters.
    let windowed = 0;
    for (let i = 0; i < 400; i++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / 400);
      const x = 0.5 * Math.sin((2 * Math.PI * freq * (50 * 160 + i)) / 16000) * w;
      windowed += x * x;
    }
    const expected = (512 * windowed) / 2;
    const melEnergy = row.reduce((s, v) => s + Math.exp(v), 0);
    assert.ok(Math.abs(melEnergy / expected - 1) < 0.01, `${freq} Hz: mel energy ${melEnergy} vs ${expected}`);
  }
});

test('output is time-major [frames, melBands]: a low tone then a high tone', () => {
  const x = new Float32Array(16000);
  x.set(tone(300, 0.5), 0);
  x.set(tone(5000, 0.5), 8000);
  const f = logMelSpectrogram(x, P);
  assert.equal(f.data.length, 100 * 40);
  assert.equal(f.frames, 100);
  assert.equal(f.melBands, 40);
  const early = argmax(f.data.subarray(10 * 40, 11 * 40));
  const late = argmax(f.data.subarray(90 * 40, 91 * 40));
  assert.ok(early < 10 && late > 30, `bands ${early} then ${late}`);
});

test('silence is trimmed, short content is centred and padded, long content is centre-cropped', () => {
  const params: AudioFeatureParams = { ...P, trimDb: 40, logFloor: 1e-6, frames: 100 };
  const x = new Float32Array(16000 * 2.5);
  x.set(noise(x.length, 1e-4), 0); // a quiet room, 60+ dB under the sound
  x.set(tone(1000, 0.5), 16000); // 0.5 s of sound starting at 1 s
  const padded = logMelSpectrogram(x, params);
  assert.ok(padded.contentFrames >= 49 && padded.contentFrames <= 53, `content ${padded.contentFrames} frames`);
  const floor = Math.fround(Math.log(1e-6));
  const rowMax = (r: number): number => Math.max(...padded.data.subarray(r * 40, (r + 1) * 40));
  assert.equal(rowMax(0), floor);
  assert.equal(rowMax(99), floor);
  assert.ok(rowMax(50) > 5, 'the tone sits in the middle rows');
  const lead = Array.from({ length: 100 }, (_, r) => rowMax(r)).findIndex((v) => v > floor);
  assert.ok(Math.abs(lead - (100 - padded.contentFrames) / 2) <= 1, `content starts at row ${lead}`);

  const long = logMelSpectrogram(tone(1000, 3), { ...params, trimDb: undefined });
  assert.equal(long.contentFrames, 1 + Math.floor((48000 - 400) / 160));
  assert.equal(long.data.length, 100 * 40);
  for (let r = 0; r < 100; r++) assert.ok(Math.max(...long.data.subarray(r * 40, (r + 1) * 40)) > 5, `row ${r} is padding`);
});

test('audio at another rate is resampled to the parameters\' rate first', () => {
  const at48 = logMelSpectrogram(tone(1000, 1, 0.5, 48000), P, 48000);
  const at16 = logMelSpectrogram(tone(1000, 1), P);
  const band = argmax(at16.data.subarray(50 * 40, 51 * 40));
  assert.equal(argmax(at48.data.subarray(50 * 40, 51 * 40)), band);
  assert.ok(Math.abs(at48.data[50 * 40 + band]! - at16.data[50 * 40 + band]!) < 0.01);
});

test('defaults are valid model-package parameters, and bad parameters are refused by name', () => {
  for (const [modality, params] of Object.entries(DEFAULT_AUDIO_FEATURES)) {
    assert.deepEqual(audioFeatureParamsSchema.parse(params), params, modality);
  }
  assert.throws(() => melPowerFrames(new Float32Array(100), { ...P, fftSize: 256 }), FeatureParamsError);
  assert.throws(() => melPowerFrames(new Float32Array(100), { ...P, fftSize: 500 }), /power of two/);
  assert.throws(() => melPowerFrames(new Float32Array(100), { ...P, fMax: 9000 }), /fMax/);
});

test('real Coswara cough and breathing give finite features of the declared shape', { skip: coswaraSkip }, async () => {
  for (const [file, params] of [
    ['cough-heavy.wav', DEFAULT_AUDIO_FEATURES.cough],
    ['breathing-deep.wav', DEFAULT_AUDIO_FEATURES.breathing],
  ] as const) {
    const rec = await importWav(join(COSWARA_DIR, '0Rlzhiz6bybk77wdLjxwy7yLDhg1', file));
    const f = logMelSpectrogram(rec.samples, params);
    assert.equal(f.data.length, params.frames * params.melBands);
    assert.ok(f.data.every(Number.isFinite));
    assert.ok(f.contentFrames > 50 && f.contentFrames <= rec.durationSeconds * 100, `${file}: ${f.contentFrames} content frames`);
  }
});
