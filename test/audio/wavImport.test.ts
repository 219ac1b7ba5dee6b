import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { AudioImportError, type AudioImportReason } from '../../src-main/audio/audioImportError';
import { importWav, importWavBytes } from '../../src-main/audio/wavImport';
import { decodeWav } from '../../src-main/audio/wavDecode';
import { COSWARA_DIR, coswaraSkip } from './coswaraFixture';

const dir = mkdtempSync(join(tmpdir(), 'tinym2-wav-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A 1 kHz sine at -6 dBFS in the integer range of the given layout, left channel, and its negation right. */
function writeTone(name: string, bitDepth: string, rate: number, channels: number): string {
  const n = Math.round(rate * 0.5);
  const full = bitDepth === '32f' ? 1 : 2 ** (Number(bitDepth) - 1);
  const offset = bitDepth === '8' ? 128 : 0;
  const chans: number[][] = [];
  for (let c = 0; c < channels; c++) {
    const ch: number[] = [];
    // Channel 1 carries the tone, the others silence, so the mono mix is the tone / channels.
    for (let i = 0; i < n; i++) {
      const v = c === 0 ? 0.5 * Math.sin((2 * Math.PI * 1000 * i) / rate) : 0;
      ch.push(bitDepth === '32f' ? v : Math.round(v * (full - 1)) + offset);
    }
    chans.push(ch);
  }
  const wav = new wavefile.WaveFile();
  wav.fromScratch(channels, rate, bitDepth, channels === 1 ? chans[0]! : chans);
  const path = join(dir, name);
  writeFileSync(path, wav.toBuffer());
  return path;
}

function peak(x: Float32Array): number {
  let p = 0;
  for (let i = Math.floor(x.length / 4); i < (3 * x.length) / 4; i++) p = Math.max(p, Math.abs(x[i]!));
  return p;
}

for (const bits of ['8', '16', '24', '32', '32f']) {
  for (const channels of [1, 2]) {
    test(`${bits}-bit ${channels}-channel WAV at 44.1 kHz imports as mono 16 kHz at the right level`, async () => {
      const path = writeTone(`tone-${bits}-${channels}.wav`, bits, 44100, channels);
      const rec = await importWav(path);
      assert.equal(rec.sampleRate, 16000);
      assert.equal(rec.samples.length, 8000);
      assert.equal(rec.source.sampleRate, 44100);
      assert.equal(rec.source.channels, channels);
      assert.equal(rec.source.encoding, bits === '32f' ? 'float' : 'pcm');
      const expected = 0.5 / channels;
      const tolerance = bits === '8' ? 0.01 : 0.002; // 8-bit quantisation step is 1/128
      assert.ok(Math.abs(peak(rec.samples) - expected) < tolerance, `peak ${peak(rec.samples)} vs ${expected}`);
    });
  }
}

test('WAVE_FORMAT_EXTENSIBLE float is read as float, not as integers', () => {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, 16000, '32f', [0.25, -0.5, 0.75]);
  const bytes = wav.toBuffer();
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  // Rewrite the 16-byte fmt chunk as a 40-byte extensible one: same samples, format code in the GUID.
  const fmtAt = 12;
  assert.equal(String.fromCharCode(...bytes.subarray(fmtAt, fmtAt + 4)), 'fmt ');
  const body = bytes.subarray(fmtAt + 8, fmtAt + 8 + 16);
  const rest = bytes.subarray(fmtAt + 8 + 16);
  const ext = new Uint8Array(40);
  ext.set(body);
  const ev = new DataView(ext.buffer);
  ev.setUint16(0, 0xfffe, true);
  ev.setUint16(16, 22, true);
  ev.setUint16(18, 32, true);
  ev.setUint32(24, 3, true); // KSDATAFORMAT_SUBTYPE_IEEE_FLOAT starts with 0x00000003
  const out = new Uint8Array(12 + 8 + 40 + rest.length);
  out.set(bytes.subarray(0, 12));
  out.set([0x66, 0x6d, 0x74, 0x20, 40, 0, 0, 0], 12);
  out.set(ext, 20);
  out.set(rest, 60);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  assert.equal(view.getUint16(20, true), 3);
  const decoded = decodeWav(out, 'extensible.wav');
  assert.deepEqual(Array.from(decoded.samples), [0.25, -0.5, 0.75]);
});

test('real Coswara recordings: a 48 kHz file and a 16 kHz file import at 16 kHz', { skip: coswaraSkip }, async () => {
  const native = await importWav(join(COSWARA_DIR, '0Rlzhiz6bybk77wdLjxwy7yLDhg1', 'cough-heavy.wav'));
  assert.equal(native.source.sampleRate, 48000);
  const bytes = readFileSync(join(COSWARA_DIR, '0Rlzhiz6bybk77wdLjxwy7yLDhg1', 'cough-heavy.wav'));
  const frames48 = (bytes.length - 44) / 2;
  assert.ok(Math.abs(native.samples.length - frames48 / 3) <= 1);
  assert.ok(Math.abs(native.durationSeconds - frames48 / 48000) < 1e-3);
  const ready = await importWav(join(COSWARA_DIR, '2TkAK2YVkYS7Ux3hAPBUgYgg9DI3', 'counting-normal.wav'));
  assert.equal(ready.source.sampleRate, 16000);
  assert.equal(ready.source.bitsPerSample, 16);
  assert.ok(ready.durationSeconds > 1, 'counting 1–20 lasts seconds');
  const max = ready.samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(max > 0.01 && max <= 1, `peak ${max}`);
});

async function reasonOf(action: () => unknown): Promise<AudioImportError> {
  try {
    await action();
  } catch (e) {
    assert.ok(e instanceof AudioImportError, `expected AudioImportError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an AudioImportError');
}

function expectReason(e: AudioImportError, file: string, reason: AudioImportReason, mentions: RegExp): void {
  assert.equal(e.reason, reason);
  assert.equal(e.file, file);
  assert.ok(e.message.startsWith(file), 'the message names the file');
  assert.match(e.message, mentions);
}

test('a real 0-sample Coswara recording is an "empty" error naming the file', { skip: coswaraSkip }, async () => {
  const file = join(COSWARA_DIR, 'TRK6gUseEUS7dbF0soG80W1uLm53', 'cough-heavy.wav');
  expectReason(await reasonOf(() => importWav(file)), file, 'empty', /0 samples/);
});

test('a header cut short is "truncated"', { skip: coswaraSkip }, async () => {
  const real = readFileSync(join(COSWARA_DIR, '2TkAK2YVkYS7Ux3hAPBUgYgg9DI3', 'cough-heavy.wav'));
  for (const keep of [8, 30, 40]) {
    const e = await reasonOf(() => importWavBytes(real.subarray(0, keep), `cut-${keep}.wav`));
    expectReason(e, `cut-${keep}.wav`, 'truncated', /cut off|ends before/);
  }
  const e = await reasonOf(() => importWavBytes(real.subarray(0, 5000), 'cut-data.wav'));
  expectReason(e, 'cut-data.wav', 'truncated', /data chunk declares \d+ bytes but only 4956/);
});

test('non-WAV bytes are "notWav"', { skip: coswaraSkip }, async () => {
  const file = join(COSWARA_DIR, '2TkAK2YVkYS7Ux3hAPBUgYgg9DI3', 'metadata.json');
  expectReason(await reasonOf(() => importWav(file)), file, 'notWav', /not a WAV file/);
  expectReason(await reasonOf(() => importWavBytes(new Uint8Array(0), 'zero.wav')), 'zero.wav', 'empty', /0 bytes/);
});

test('compressed codecs are "unsupportedCodec" and say what to do', async () => {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, 8000, '16', [0, 1000, -1000, 2000]);
  wav.toMuLaw();
  const e = await reasonOf(() => importWavBytes(wav.toBuffer(), 'mulaw.wav'));
  expectReason(e, 'mulaw.wav', 'unsupportedCodec', /µ-law.*16-bit PCM/);
});

test('NaN and infinite float samples are "nonFinite"', async () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, 16000, '32f', [0, 0.1, bad, 0.2]);
    const e = await reasonOf(() => importWavBytes(wav.toBuffer(), 'bad-float.wav'));
    expectReason(e, 'bad-float.wav', 'nonFinite', /sample 2 is (NaN|infinite)/);
  }
});

test('missing files and folders are "unreadable"', async () => {
  const missing = join(dir, 'nope.wav');
  expectReason(await reasonOf(() => importWav(missing)), missing, 'unreadable', /does not exist/);
  expectReason(await reasonOf(() => importWav(dir)), dir, 'unreadable', /folder/);
});
