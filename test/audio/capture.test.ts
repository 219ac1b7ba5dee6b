import assert from 'node:assert/strict';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import FFT from 'fft.js';
import { runningRecorders, startTake, type LevelEvent } from '../../src-main/audio/capture';
import { findExecutable, recorderCommand } from '../../src-main/audio/captureBackend';
import { takeSeconds } from '../../src-main/audio/captureDurations';
import { CaptureError } from '../../src-main/audio/captureError';
import { importWav } from '../../src-main/audio/wavImport';
import { resample } from '../../src-main/dsp/resample';
import { COSWARA_DIR, coswaraSkip } from './coswaraFixture';
import { startVirtualMicrophone, virtualMicrophoneSkip, type VirtualMicrophone } from './virtualMicrophone';

/** A clean 16 kHz cough (4.4 s, peaks at −13 dBFS, so nothing clips on the way through PulseAudio). */
const SOURCE = join(COSWARA_DIR, 'KL32QXSSnLZlRRT2B6rQQQKgpx12', 'cough-heavy.wav');

/**
 * Best normalised cross-correlation of `source` against `captured` over every lag where it fits inside,
 * at a quarter-sample resolution. PulseAudio resamples 16 → 44.1 → 16 kHz on the way, which leaves the
 * capture a fraction of a sample off; at whole-sample lags that alone costs a broadband cough up to
 * 0.1 of correlation, depending on the run.
 */
function alignedCorrelation(source16k: Float32Array, captured16k: Float32Array): { lag: number; r: number } {
  const source = resample(source16k, 16000, 64000);
  const captured = resample(captured16k, 16000, 64000);
  let size = 1;
  while (size < source.length + captured.length) size <<= 1;
  const fft = new FFT(size);
  const spectrum = (x: Float32Array): number[] => {
    const input = new Array<number>(size).fill(0);
    for (let i = 0; i < x.length; i++) input[i] = x[i]!;
    const out = fft.createComplexArray() as number[];
    fft.realTransform(out, input);
    fft.completeSpectrum(out);
    return out;
  };
  const a = spectrum(source);
  const b = spectrum(captured);
  const product = fft.createComplexArray() as number[];
  for (let k = 0; k < size; k++) {
    // conj(A)·B: its inverse is Σ source[i]·captured[i + lag]
    const [ar, ai, br, bi] = [a[2 * k]!, a[2 * k + 1]!, b[2 * k]!, b[2 * k + 1]!];
    product[2 * k] = ar * br + ai * bi;
    product[2 * k + 1] = ar * bi - ai * br;
  }
  const corr = fft.createComplexArray() as number[];
  fft.inverseTransform(corr, product);
  let lag = 0;
  for (let l = 0; l + source.length <= captured.length; l++) if (corr[2 * l]! > corr[2 * lag]!) lag = l;
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < source.length; i++) {
    const x = source[i]!;
    const y = captured[lag + i]!;
    xy += x * y;
    xx += x * x;
    yy += y * y;
  }
  return { lag: lag / 4, r: xy / Math.sqrt(xx * yy) };
}

/** A stand-in `sox` on an otherwise empty PATH, so each failure mode is a real process doing it. */
async function fakeRecorder(script: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tinym2-fakerec-'));
  await writeFile(join(dir, 'sox'), `#!/bin/sh\n${script}\n`);
  await chmod(join(dir, 'sox'), 0o755);
  return dir;
}

test('take durations come from the model spec, else the per-modality defaults', () => {
  assert.equal(takeSeconds('speech', { durationSeconds: 7 }), 7);
  assert.equal(takeSeconds('speech'), 12);
  assert.equal(takeSeconds('cough', {}), 5);
  assert.equal(takeSeconds('breathing'), 10);
  assert.equal(takeSeconds('vowel-a'), 8);
});

test('with no recorder on the PATH the error names the Debian package to install', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'tinym2-nopath-'));
  assert.throws(
    () => startTake({ modality: 'cough', env: { ...process.env, PATH: empty } }),
    (e: unknown) => e instanceof CaptureError && e.reason === 'noRecorder' && /sudo apt-get install sox/.test(e.message) && /alsa-utils/.test(e.message),
  );
  assert.throws(() => recorderCommand({ sampleRate: 16000, searchPath: empty, recorder: 'arecord' }), /sudo apt-get install alsa-utils/);
  assert.equal(runningRecorders(), 0);
});

test('the recorder command comes from node-record-lpcm16: raw 16-bit mono at 16 kHz', () => {
  const sox = recorderCommand({ sampleRate: 16000, recorder: 'sox', searchPath: '/usr/bin:/bin' });
  assert.equal(sox.command, '/usr/bin/sox');
  assert.deepEqual(sox.args.slice(0, 1), ['--default-device']);
  assert.match(sox.args.join(' '), /--rate 16000 --channels 1 --encoding signed-integer --bits 16 --type raw -$/);
  const withDevice = recorderCommand({ sampleRate: 16000, recorder: 'sox', searchPath: '/usr/bin', device: 'hw:1,0' });
  assert.deepEqual(withDevice.extraEnv, { AUDIODEV: 'hw:1,0' });
});

test('a recorder that cannot open the microphone fails with its own words, and is not left running', async () => {
  const dir = await fakeRecorder(`echo "sox FAIL formats: can't open input  \\\`default': audio open error: No such file or directory" >&2; exit 2`);
  const take = startTake({ modality: 'cough', seconds: 2, env: { ...process.env, PATH: dir } });
  assert.equal(take.recorder, 'sox');
  await assert.rejects(take.result, (e: unknown) => e instanceof CaptureError && e.reason === 'noDevice' && /could not open the microphone/.test(e.message) && /audio open error/.test(e.message));
  assert.equal(runningRecorders(), 0);
});

test('a recorder dying mid-take is reported with how much was recorded', async () => {
  // 0.5 s of audio (16000 bytes), then the device vanishes.
  const dir = await fakeRecorder(`${findExecutable('head')} -c 16000 /dev/urandom; echo "sox WARN alsa: under-run" >&2; echo "sox FAIL: device disconnected" >&2; exit 1`);
  const take = startTake({ modality: 'cough', seconds: 3, env: { ...process.env, PATH: dir } });
  await assert.rejects(take.result, (e: unknown) => e instanceof CaptureError && e.reason === 'recorderDied' && /stopped after 0\.5 s of the 3 s take/.test(e.message) && /device disconnected/.test(e.message));
  assert.equal(runningRecorders(), 0);
});

test('a recorder that never delivers audio times out and is killed', async () => {
  const dir = await fakeRecorder(`exec ${findExecutable('sleep')} 60`);
  const take = startTake({ modality: 'cough', seconds: 2, startTimeoutMs: 300, env: { ...process.env, PATH: dir } });
  await assert.rejects(take.result, (e: unknown) => e instanceof CaptureError && e.reason === 'noSignal');
  assert.equal(runningRecorders(), 0);
});

test('a take ends after its planned duration even when the recorder would go on', async () => {
  // SoX synthesising 60 s of white noise at about −20 dBFS, faster than real time.
  const dir = await fakeRecorder(`exec ${findExecutable('sox')} -q -n -r 16000 -c 1 -b 16 -e signed-integer -t raw - synth 60 whitenoise vol 0.3`);
  const levels: LevelEvent[] = [];
  const take = startTake({ modality: 'cough', seconds: 1.5, env: { ...process.env, PATH: dir }, onLevel: (e) => levels.push(e) });
  const result = await take.result;
  assert.equal(result.samples.length, 24000);
  assert.equal(result.stoppedEarly, false);
  assert.equal(levels.length, 30);
  assert.ok(levels.every((l) => l.takeId === take.takeId && l.rmsDbfs > -26 && l.rmsDbfs < -15 && l.peakDbfs > l.rmsDbfs + 6), JSON.stringify(levels[0]));
  // Steady noise has no quiet gaps: nothing but background.
  assert.deepEqual(result.quality.issues.map((i) => i.code), ['noisy']);
  assert.equal(runningRecorders(), 0);
});

// The real-capture tests share one PulseAudio server, started before the first test and killed after the last.
{
  const skip = virtualMicrophoneSkip || coswaraSkip;
  let mic: VirtualMicrophone | undefined;
  before(async () => {
    if (!skip) mic = await startVirtualMicrophone();
  });
  after(async () => {
    await mic?.close();
  });

  test('a take from a PulseAudio virtual microphone matches the recording played into it', { skip, timeout: 45_000 }, async () => {
    const source = await importWav(SOURCE);
    const seconds = Math.ceil(source.durationSeconds) + 4; // playback starts up to ~2 s late
    const levels: LevelEvent[] = [];
    const arrivals: number[] = [];
    let live!: () => void;
    const started = new Promise<void>((r) => (live = r));
    const take = startTake({
      modality: 'cough',
      seconds,
      env: mic!.env,
      onLevel: (e) => {
        levels.push(e);
        arrivals.push(performance.now());
        live();
      },
    });
    assert.equal(take.recorder, 'sox');
    await started; // only once the recorder hears the microphone is the cough played into it
    await mic!.play(SOURCE);
    const result = await take.result;
    assert.equal(runningRecorders(), 0, 'the recorder process has exited');

    assert.equal(result.sampleRate, 16000);
    assert.equal(result.samples.length, seconds * 16000);
    assert.equal(result.stoppedEarly, false);
    const { lag, r } = alignedCorrelation(source.samples, result.samples);
    console.log(`# captured ${result.durationSeconds} s with ${result.recorder}; source found at ${(lag / 16000).toFixed(3)} s, normalised correlation ${r.toFixed(4)}`);
    assert.ok(r >= 0.9, `normalised cross-correlation ${r.toFixed(3)} < 0.9`);

    // ~20 level readings per second of audio, arriving live rather than all at the end.
    assert.equal(levels.length, Math.floor(result.samples.length / 800));
    assert.deepEqual(levels.map((l) => l.t).slice(0, 3), [0.05, 0.1, 0.15]);
    const wallSeconds = (arrivals.at(-1)! - arrivals[0]!) / 1000;
    const perSecond = (levels.length - 1) / wallSeconds;
    console.log(`# ${levels.length} level events over ${wallSeconds.toFixed(2)} s of wall time (${perSecond.toFixed(1)}/s)`);
    assert.ok(perSecond > 14 && perSecond < 30, `${perSecond.toFixed(1)} level events per second`);
    const loudest = Math.max(...levels.map((l) => l.rmsDbfs));
    const coughWindow = levels.slice(Math.floor(lag / 800), Math.floor((lag + source.samples.length) / 800));
    assert.ok(levels.every((l) => l.rmsDbfs <= l.peakDbfs && l.peakDbfs <= 0 && l.rmsDbfs >= -100));
    assert.ok(loudest > -40 && loudest < -5, `loudest block ${loudest} dBFS`);
    assert.ok(Math.max(...coughWindow.map((l) => l.rmsDbfs)) === loudest, 'the loudest block is inside the played cough');

    assert.equal(result.quality.ok, true, JSON.stringify(result.quality));
    assert.ok(result.quality.measures.clippedFraction === 0 && result.quality.measures.snrDb > 30, JSON.stringify(result.quality.measures));
  });

  test('arecord works as the fallback recorder through the same virtual microphone', { skip: skip || (!findExecutable('arecord') && 'arecord not installed'), timeout: 30_000 }, async () => {
    const source = await importWav(SOURCE);
    const seconds = Math.ceil(source.durationSeconds) + 4;
    let live!: () => void;
    const started = new Promise<void>((r) => (live = r));
    const take = startTake({ modality: 'cough', seconds, env: mic!.env, recorder: 'arecord', onLevel: () => live() });
    assert.equal(take.recorder, 'arecord');
    await started;
    await mic!.play(SOURCE);
    // arecord exits with code 1 when stopped by a signal; the take must still succeed.
    const result = await take.result;
    assert.equal(runningRecorders(), 0);
    assert.equal(result.recorder, 'arecord');
    assert.equal(result.samples.length, seconds * 16000);
    const { r } = alignedCorrelation(source.samples, result.samples);
    console.log(`# arecord: normalised correlation ${r.toFixed(4)}`);
    assert.ok(r >= 0.9, `normalised cross-correlation ${r.toFixed(3)} < 0.9`);
  });

  test('stop() ends a live take early, keeps what was recorded, and the report says what is wrong', { skip, timeout: 30_000 }, async () => {
    const levels: LevelEvent[] = [];
    const take = startTake({ modality: 'speech', env: mic!.env, onLevel: (e) => levels.push(e) });
    assert.equal(take.expectedSeconds, 12);
    while (take.seconds < 1) await new Promise((r) => setTimeout(r, 50));
    take.stop();
    const result = await take.result;
    assert.equal(runningRecorders(), 0);
    assert.equal(result.stoppedEarly, true);
    assert.ok(result.durationSeconds >= 1 && result.durationSeconds < 4, `${result.durationSeconds} s`);
    // Nothing was played: the microphone hears only ±1 LSB of dither from PulseAudio's resampler.
    assert.deepEqual(result.quality.issues.map((i) => i.code), ['tooShort', 'silent']);
    assert.match(result.quality.issues[1]!.message, /almost silent — move closer to the microphone/);
    assert.ok(levels.length >= 20 && levels.every((l) => l.rmsDbfs < -90), JSON.stringify(levels.slice(-3)));
    assert.ok(Math.abs(levels.at(-1)!.t - result.durationSeconds) < 1e-9, 'the last reading covers the end of the take');
  });
}
