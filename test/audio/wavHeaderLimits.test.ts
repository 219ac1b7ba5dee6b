/**
 * Crafted WAV headers: each used to cost seconds and gigabytes (a 40 KB file claiming 1 Hz became 320 M
 * samples) or escaped as a RangeError. Each must now fail at once with the importer's own error, naming
 * the file and the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AudioImportError, type AudioImportReason } from '../../src-main/audio/audioImportError';
import { WAV_LIMITS, decodeWav } from '../../src-main/audio/wavDecode';
import { importWavBytes } from '../../src-main/audio/wavImport';
import { MAX_POLYPHASE_TAPS } from '../../src-main/dsp/resample';
import { floatAllocations } from '../dsp/floatAllocations';

interface Header {
  container?: 'RIFF' | 'RIFX' | 'RF64';
  format?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  /** The data chunk's declared size; the real payload is `payloadBytes`. */
  declared?: number;
  payloadBytes?: number;
  /** Raw chunks placed between "fmt " and "data". */
  extraChunks?: Buffer[];
}

/** A WAV of 40 KB (unless told) whose header says whatever the test wants; the payload is a quiet 16-bit tone. */
function craft(h: Header = {}): Buffer {
  const be = h.container === 'RIFX';
  const payload = h.payloadBytes ?? 40000 - 44;
  const extra = Buffer.concat(h.extraChunks ?? []);
  const b = Buffer.alloc(44 + extra.length + payload);
  const u32 = (v: number, at: number): number => (be ? b.writeUInt32BE(v >>> 0, at) : b.writeUInt32LE(v >>> 0, at));
  const u16 = (v: number, at: number): number => (be ? b.writeUInt16BE(v, at) : b.writeUInt16LE(v, at));
  const channels = h.channels ?? 1;
  const bits = h.bits ?? 16;
  const rate = h.rate ?? 16000;
  b.write(h.container ?? 'RIFF', 0, 'latin1');
  u32(h.container === 'RF64' ? 0xffffffff : b.length - 8, 4);
  b.write('WAVE', 8, 'latin1');
  b.write('fmt ', 12, 'latin1');
  u32(16, 16);
  u16(h.format ?? 1, 20);
  u16(channels, 22);
  u32(rate, 24);
  // Byte rate and block align as a writer would wrap them; the decoder never trusts either.
  u32(((rate * channels * bits) / 8) % 2 ** 32, 28);
  u16(((channels * bits) / 8) & 0xffff, 32);
  u16(bits, 34);
  extra.copy(b, 36);
  const data = 36 + extra.length;
  b.write('data', data, 'latin1');
  u32(h.declared ?? payload, data + 4);
  for (let i = 0; i + 1 < payload; i += 2) b.writeInt16LE(Math.round(3000 * Math.sin(i / 9)), data + 8 + i);
  return b;
}

function chunk(id: string, body: Buffer, declared = body.length): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(declared >>> 0, 4);
  return Buffer.concat([head, body, Buffer.alloc(body.length & 1)]);
}

/**
 * Wall-clock slack for work that takes milliseconds when the machine is idle. The bugs these tests guard
 * against took 27 s or more, so a bound of seconds still catches them without failing on a loaded 2-core
 * CI machine; what is refused "before any allocation" is checked as such (`floatAllocations`).
 */
const SLACK_MS = 3000;

/**
 * Runs the whole import (decode + resample to 16 kHz), expecting the importer's error. A header refusal
 * allocates no sample buffer at all (the 1 Hz file once asked for 320 M samples, 1.3 GB); a sample found
 * bad while decoding ('nonFinite') costs at most the samples the file itself holds.
 */
function refused(bytes: Uint8Array, file: string, reason: AudioImportReason, mentions: RegExp): AudioImportError {
  const t = performance.now();
  const { outcome, sizes } = floatAllocations(() => importWavBytes(bytes, file));
  const ms = performance.now() - t;
  const caught = 'error' in outcome ? outcome.error : undefined;
  assert.ok(caught instanceof AudioImportError, `expected AudioImportError, got ${String(caught)}`);
  assert.equal(caught.reason, reason, caught.message);
  assert.equal(caught.file, file);
  assert.ok(caught.message.startsWith(`${file}: `), 'the message names the file');
  assert.match(caught.message, mentions);
  const allowed = reason === 'nonFinite' ? 4 * bytes.length : 0;
  assert.ok(
    sizes.every((n) => n <= allowed),
    `${file}: sample buffers of ${sizes.join(', ')} bytes were allocated before the refusal (at most ${allowed} allowed)`,
  );
  assert.ok(ms < SLACK_MS, `${file} took ${ms.toFixed(0)} ms to refuse`);
  return caught;
}

test('a sample rate outside 4–384 kHz is refused, naming the field (1 Hz, 4294967295 Hz and neighbours of the bounds)', () => {
  refused(craft({ rate: 1 }), 'one-hz.wav', 'implausibleHeader', /sample rate 1 Hz is outside 4–384 kHz/);
  refused(craft({ rate: 4294967295 }), 'max-u32.wav', 'implausibleHeader', /sample rate 4294967295 Hz is outside 4–384 kHz/);
  refused(craft({ rate: 0 }), 'zero-hz.wav', 'implausibleHeader', /sample rate 0 Hz/);
  refused(craft({ rate: 3999 }), 'low.wav', 'implausibleHeader', /sample rate 3999 Hz/);
  refused(craft({ rate: 384001 }), 'high.wav', 'implausibleHeader', /sample rate 384001 Hz/);
  refused(craft({ rate: 1, container: 'RIFX' }), 'one-hz-be.wav', 'implausibleHeader', /sample rate 1 Hz/);
  for (const rate of [4000, 384000]) assert.equal(decodeWav(craft({ rate }), 'edge.wav').sampleRate, rate);
});

test('a channel count outside 1–32 is refused (0 and 65535 channels)', () => {
  refused(craft({ channels: 0 }), 'no-channels.wav', 'implausibleHeader', /channel count 0 is outside 1–32/);
  refused(craft({ channels: 65535 }), 'many-channels.wav', 'implausibleHeader', /channel count 65535 is outside 1–32/);
  refused(craft({ channels: 33 }), 'c33.wav', 'implausibleHeader', /channel count 33/);
  const wide = decodeWav(craft({ channels: 32, payloadBytes: 64 * 100 }), 'c32.wav');
  assert.equal(wide.channels, 32);
  assert.equal(wide.samples.length, 100);
});

test('a data chunk declaring 0xFFFFFFF0 bytes in a 40 KB file is refused without reading past the file', () => {
  refused(craft({ declared: 0xfffffff0 }), 'huge-data.wav', 'truncated', /data chunk declares 4294967280 bytes but only 39956 are present/);
});

test('RF64 and streamed placeholders decode what the file holds, never more', () => {
  for (const [container, declared] of [
    ['RF64', 0xffffffff],
    ['RF64', 0xfffffff0],
    ['RIFF', 0xffffffff],
    ['RIFF', 0x7fffffff],
  ] as const) {
    const wav = decodeWav(craft({ container, declared }), 'placeholder.wav');
    assert.equal(wav.samples.length, (40000 - 44) / 2, `${container} ${declared.toString(16)}`);
  }
});

test('recordings longer than the bounds are "tooLarge", before any decoding', () => {
  // 601 s at 4 kHz, 8-bit mono: 2.4 MB, a consistent header, just too long.
  const long = craft({ rate: 4000, bits: 8, payloadBytes: 601 * 4000 });
  refused(long, 'long.wav', 'tooLarge', /lasts 10\.0 minutes, longer than the 10 minutes this app reads/);
  // Within 10 minutes but more frames than 10 minutes at 48 kHz: 76 s at 384 kHz.
  const dense = craft({ rate: 384000, bits: 8, payloadBytes: WAV_LIMITS.maxFrames + 384000 });
  refused(dense, 'dense.wav', 'tooLarge', /28800000 \(10 minutes at 48 kHz\)/);
  // Just inside: exactly 600 s at 4 kHz decodes.
  assert.equal(decodeWav(craft({ rate: 4000, bits: 8, payloadBytes: 600 * 4000 }), 'ok.wav').samples.length, 2_400_000);
});

test('the chunk walk is bounded: thousands of chunks, huge chunk sizes and a cue chunk claiming 4 billion points', () => {
  const tiny = Array.from({ length: 5000 }, () => chunk('JUNK', Buffer.alloc(0)));
  refused(craft({ extraChunks: tiny }), 'many-chunks.wav', 'implausibleHeader', /more than 256 chunks/);
  refused(craft({ extraChunks: [chunk('LIST', Buffer.from('INFO'), 0xfffffff0)] }), 'big-list.wav', 'truncated', /ends before its "data" chunk/);
  // wavefile looped once per claimed cue point (10 M took 27 s and 2.2 GB); the decoder never reads it.
  const cue = Buffer.alloc(4);
  cue.writeUInt32LE(0xffffffff, 0);
  const t = performance.now();
  const { outcome, sizes } = floatAllocations(() => decodeWav(craft({ extraChunks: [chunk('cue ', cue)] }), 'cue.wav'));
  const ms = performance.now() - t;
  assert.ok('value' in outcome, String('error' in outcome && outcome.error));
  assert.equal(outcome.value.samples.length, (40000 - 44) / 2);
  assert.deepEqual(sizes, [((40000 - 44) / 2) * 4], 'only the samples the file holds are allocated');
  assert.ok(ms < SLACK_MS, `${ms.toFixed(0)} ms`);
});

test('a fmt chunk shorter than 16 bytes is "truncated", not read past its end', () => {
  const b = craft();
  b.writeUInt32LE(8, 16);
  refused(b, 'short-fmt.wav', 'truncated', /"fmt " chunk is 8 bytes/);
});

test('a 40 KB WAV at any rate from 4 to 384 kHz imports at 16 kHz quickly and in bounded memory (primes included)', () => {
  let seed = 11;
  const next = (): number => (seed = (seed * 48271) % 2147483647);
  const rates = [4000, 4001, 11127, 44101, 100003, 383999, 384000, ...Array.from({ length: 20 }, () => 4000 + (next() % 380001))];
  let worst = 0;
  for (const rate of rates) {
    const t = performance.now();
    const { outcome, largestBytes } = floatAllocations(() => importWavBytes(craft({ rate }), `r${rate}.wav`));
    worst = Math.max(worst, performance.now() - t);
    assert.ok('value' in outcome, `${rate} Hz: ${String('error' in outcome && outcome.error)}`);
    const rec = outcome.value;
    assert.ok(Math.abs(rec.samples.length - (19978 * 16000) / rate) <= 1, `${rate} Hz: ${rec.samples.length} samples`);
    // Samples, output and at most the largest filter table the resampler builds: never more.
    assert.ok(largestBytes <= MAX_POLYPHASE_TAPS * 4, `${rate} Hz: a ${largestBytes}-byte buffer`);
  }
  assert.ok(worst < SLACK_MS, `slowest rate took ${worst.toFixed(0)} ms`);
});

test('float samples too large for audio are "nonFinite", not imported as infinity (found by the WAV fuzzer)', () => {
  const float = (bits: 32 | 64, values: number[]): Buffer => {
    const b = craft({ format: 3, bits, payloadBytes: values.length * (bits / 8) });
    values.forEach((v, i) => (bits === 32 ? b.writeFloatLE(v, 44 + 4 * i) : b.writeDoubleLE(v, 44 + 8 * i)));
    return b;
  };
  // 1e300 is a finite float64 but infinite as float32.
  refused(float(64, [0, 0.5, 1e300, 0]), 'float64-huge.wav', 'nonFinite', /sample 2 is 1e\+300, far beyond full scale/);
  // Near the float32 limit, a step overshoots to infinity in the resampler and the power spectra.
  const step = Array.from({ length: 4000 }, (_, i) => (i < 2000 ? 3.4e38 : -3.4e38));
  refused(float(32, step), 'float32-edge.wav', 'nonFinite', /sample 0 is .*far beyond full scale/);
  // Floats written at integer scale (some programs do) still import.
  const loud = importWavBytes(float(32, Array.from({ length: 4000 }, (_, i) => 32767 * Math.sin(i / 5))), 'int-scale.wav');
  assert.ok(loud.samples.every(Number.isFinite));
  assert.ok(Math.max(...loud.samples) > 30000);
});
