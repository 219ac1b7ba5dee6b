import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { assessTake, CLIP_LEVEL, measureTake } from '../../src-main/audio/takeQuality';
import { LevelMeter } from '../../src-main/audio/levelMeter';
import { importWav } from '../../src-main/audio/wavImport';
import { takeSeconds } from '../../src-main/audio/captureDurations';
import { repoRoot } from '../../src-main/storage/appPaths';
import { COSWARA_DIR, coswaraSkip } from './coswaraFixture';

const RATE = 16000;

/** Deterministic noise in [-1, 1] (a linear congruential generator; Math.random is not seedable). */
function noise(n: number, amplitude: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = amplitude * (s / 2 ** 31 - 1);
  }
  return out;
}

/** Bursts of a 300 Hz tone (coughs or words) every `period` seconds, over a quiet noise floor. */
function bursts(seconds: number, toneAmplitude: number, floorAmplitude: number): Float32Array {
  const out = noise(Math.round(seconds * RATE), floorAmplitude);
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE;
    if (t % 1 < 0.4) out[i]! += toneAmplitude * Math.sin(2 * Math.PI * 300 * t);
  }
  return out;
}

const codes = (samples: Float32Array, expectedSeconds?: number) => assessTake(samples, RATE, { expectedSeconds }).issues.map((i) => i.code);

test('a clear take over a quiet background passes, with its levels measured', () => {
  const take = bursts(5, 0.3, 0.001);
  const q = assessTake(take, RATE, { expectedSeconds: 5 });
  assert.deepEqual(q.issues, []);
  assert.equal(q.ok, true);
  // The tone's RMS is 0.3/√2 → −13.5 dBFS; the noise floor (uniform, ±0.001) is 1/√3 of that → −64.8 dBFS.
  assert.ok(Math.abs(q.measures.loudDbfs - -13.5) < 0.3, String(q.measures.loudDbfs));
  assert.ok(Math.abs(q.measures.quietDbfs - -64.8) < 0.5, String(q.measures.quietDbfs));
  assert.ok(Math.abs(q.measures.peakDbfs - 20 * Math.log10(0.301)) < 0.1);
  assert.equal(q.measures.durationSeconds, 5);
});

test('each problem is found on its own, with a reason in plain words', () => {
  assert.deepEqual(codes(new Float32Array(0)), ['empty']);
  assert.deepEqual(codes(bursts(2, 0.3, 0.001), 5), ['tooShort']);
  assert.deepEqual(codes(bursts(3.5, 0.3, 0.001), 5), [], '70 % of the planned length is enough');
  assert.deepEqual(codes(bursts(5, 0.0005, 0.00001)), ['silent']);
  assert.deepEqual(codes(bursts(5, 0.3, 0.1)), ['noisy']);
  const clipped = bursts(5, 3, 0.001).map((v) => Math.max(-1, Math.min(1, v)));
  assert.deepEqual(codes(clipped), ['clipped']);
  const q = assessTake(bursts(1, 0.0005, 0.00001), RATE, { expectedSeconds: 5 });
  assert.deepEqual(q.issues.map((i) => i.message), [
    'The recording is only 1.0 s long but about 5 s are needed — record again and keep going until the timer ends.',
    'The recording is almost silent — move closer to the microphone and try again.',
  ]);
});

test('a few samples touching full scale are not clipping; a flattened waveform is', () => {
  const take = bursts(5, 0.3, 0.001);
  for (let i = 0; i < 40; i++) take[i * 1000] = 1; // 40 of 80 000 = 0.05 %
  assert.deepEqual(codes(take), []);
  for (let i = 0; i < 200; i++) take[i * 300 + 1] = -CLIP_LEVEL;
  assert.ok(measureTake(take, RATE).clippedFraction > 0.002);
  assert.match(assessTake(take, RATE).issues[0]!.message, /too loud and distorted \(0\.3 % of it hit the microphone's limit\)/);
});

test('the level meter gives one reading per 50 ms block however the samples arrive', () => {
  const meter = new LevelMeter(RATE);
  const sine = new Float32Array(RATE).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / RATE));
  const readings = [...meter.push(sine.subarray(0, 333)), ...meter.push(sine.subarray(333, 9000)), ...meter.push(sine.subarray(9000))];
  assert.equal(readings.length, 20);
  assert.deepEqual(readings.slice(0, 2).map((r) => r.t), [0.05, 0.1]);
  for (const r of readings) {
    assert.ok(Math.abs(r.rmsDbfs - 20 * Math.log10(0.5 / Math.SQRT2)) < 0.01);
    assert.ok(Math.abs(r.peakDbfs - 20 * Math.log10(0.5)) < 0.01);
  }
  assert.equal(meter.flush(), undefined);
  meter.push(new Float32Array(100));
  assert.deepEqual(meter.flush(), { rmsDbfs: -100, peakDbfs: -100, t: 1 + 100 / RATE });
});

async function realTake(subject: string, file: string, expectedSeconds?: number) {
  const rec = await importWav(join(COSWARA_DIR, subject, file));
  return assessTake(rec.samples, rec.sampleRate, { expectedSeconds });
}

test('real Coswara takes: clipped, silent, noisy, cut short and good ones are told apart', { skip: coswaraSkip }, async () => {
  // A cough recorded too close: 0.76 % of samples flattened at full scale.
  const clipped = await realTake('kIHldMnyvmXvpLq0LjWr7ecclSj2', 'cough-heavy.wav', 5);
  assert.deepEqual(clipped.issues.map((i) => i.code), ['clipped']);
  assert.ok(clipped.measures.clippedFraction > 0.005 && clipped.measures.clippedFraction < 0.01, String(clipped.measures.clippedFraction));
  // 5.9 s of nothing but ±1 LSB of dither: the microphone was muted or denied.
  const silent = await realTake('2XgDqzQkqLX9SbmSHfbqdRxSmRD2', 'cough-heavy.wav', 5);
  assert.deepEqual(silent.issues.map((i) => i.code), ['silent']);
  assert.ok(silent.measures.loudDbfs < -90);
  // Coughs over a background that never drops below −31 dBFS.
  const noisy = await realTake('iq8oYXczSjPuJoVS7DBpkGNMC2p1', 'cough-heavy.wav', 5);
  assert.deepEqual(noisy.issues.map((i) => i.code), ['noisy']);
  assert.ok(noisy.measures.quietDbfs > -32 && noisy.measures.snrDb < 20, JSON.stringify(noisy.measures));
  // Counting to 20 that stops after 1.4 s.
  const short = await realTake('VcmjCfW6ddgE9lFhDXTO6hDlb452', 'counting-normal.wav', 12);
  assert.deepEqual(short.issues.map((i) => i.code), ['tooShort']);
  // A good participant: all three takes pass, including a 44.1/48 kHz one after import.
  for (const file of ['cough-heavy.wav', 'counting-normal.wav', 'breathing-deep.wav']) {
    const good = await realTake('0zexHIcM7tQDdnFiEj2Eb0v3g212', file);
    assert.deepEqual(good.issues, [], file);
  }
  const native = await realTake('jRjAYMmAQee5uVm5fU8yVnpuvs33', 'cough-heavy.wav', 5);
  assert.equal(native.ok, true, JSON.stringify(native));
});

test('the bundled sample recordings are what samples.json says, and every one passes the quality checks', async () => {
  const dir = join(repoRoot, 'resources', 'samples');
  const manifest = JSON.parse(await readFile(join(dir, 'samples.json'), 'utf8')) as {
    samples: { participant: string; labels: { g: string }; recordings: Record<string, string> }[];
  };
  assert.deepEqual(manifest.samples.map((s) => s.labels.g).sort(), ['female', 'male']);
  for (const s of manifest.samples) {
    assert.deepEqual(Object.keys(s.recordings).sort(), ['breathing', 'cough', 'speech']);
    for (const [modality, file] of Object.entries(s.recordings)) {
      const rec = await importWav(join(dir, file));
      assert.equal(rec.source.sampleRate, 16000, file);
      const q = assessTake(rec.samples, rec.sampleRate, { expectedSeconds: takeSeconds(modality) });
      assert.deepEqual(q.issues, [], `${file}: ${JSON.stringify(q.measures)}`);
      assert.ok(q.measures.snrDb > 50, file);
      if (!coswaraSkip) assert.ok((await readFile(join(dir, file))).equals(await readFile(join(COSWARA_DIR, file))), `${file} is an unedited copy`);
    }
  }
  assert.match(await readFile(join(dir, 'ATTRIBUTION.md'), 'utf8'), /CC BY 4\.0[\s\S]*Eoyf44CUffgVCPPjJJkopEyAO7k2[\s\S]*n4t5cgNQKXO3F8KP55vWOgYWcXC3/);
});
