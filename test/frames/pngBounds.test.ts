import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import { decodeDepthPng, encodeDepthPng, loadDepthFile } from '../../src-main/frames/depthFrame';
import { FrameError } from '../../src-main/frames/frameError';
import { MAX_FRAME_SIDE } from '../../src-main/frames/frameLimits';
import { decodeGreyPng, FRAME_PNG_LIMITS } from '../../src-main/frames/png16';
import { decodeThermal, loadThermalFile } from '../../src-main/frames/thermalFrame';
import { chunk, chunkAt, grey16Adam7, grey16Png, grey16Rows, ihdr, png, zerosDeflated } from './pngBuilder';

const dir = mkdtempSync(join(tmpdir(), 'tinym2-png-bounds-'));
const MB = 1024 * 1024;

function put(name: string, bytes: Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** The FrameError `work` throws; anything else (another error type, or no error) fails the test. */
async function frameErrorFrom(work: () => unknown): Promise<FrameError> {
  try {
    await work();
  } catch (e) {
    assert.ok(e instanceof FrameError, `expected a FrameError, got ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`);
    return e;
  }
  assert.fail('expected a FrameError, nothing was thrown');
}

/** Runs `work` and reports how long it took and how much the process grew: a refusal must cost neither. */
async function cost<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; rssGrowthMb: number }> {
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const result = await work();
  return { result, ms: performance.now() - t0, rssGrowthMb: (process.memoryUsage().rss - rss0) / MB };
}

/**
 * Bounds for `cost`, generous on purpose. A 2-core CI machine runs other test files beside this one, and
 * resident memory measured in-process moves with the GC and with modules loaded on first use; the bugs
 * took seconds and gigabytes (65535 × 65535 × 2 bytes is 8 GB), far above both. What each refusal must
 * not do is asserted from its message: refused from the header, inflation stopped at the header's size.
 */
const MAX_MS = 5000;
const MAX_GROWTH_MB = 500;

function assertCheap(c: { ms: number; rssGrowthMb: number }): void {
  assert.ok(c.ms < MAX_MS, `${c.ms.toFixed(0)} ms`);
  assert.ok(c.rssGrowthMb < MAX_GROWTH_MB, `the process grew ${c.rssGrowthMb.toFixed(0)} MB`);
}

function assertNames(e: FrameError, file: string, reason: string): void {
  assert.equal(e.reason, reason, e.message);
  assert.equal(e.file, file);
  assert.ok(e.message.startsWith(`${file}: `), e.message);
}

const ramp = (x: number, y: number) => (x * 97 + y * 1013) % 9_000;

test('the frame bound is 4096 × 4096 grey pixels of 8 or 16 bits', () => {
  assert.equal(MAX_FRAME_SIDE, 4096);
  assert.deepEqual(FRAME_PNG_LIMITS, { maxSide: 4096, channels: 1, bitDepths: [8, 16], maxTextChunks: 64 });
});

test('a 60-byte PNG claiming 65535 × 65535 pixels is refused from its header, fast and without allocating', async () => {
  const bytes = png(chunk('IHDR', ihdr(65535, 65535)), chunk('IDAT', deflateSync(Buffer.alloc(16))), chunk('IEND'));
  assert.ok(bytes.length < 80, `${bytes.length} bytes`);
  const file = put('huge_depth.png', bytes);
  const c = await cost(() => frameErrorFrom(() => loadDepthFile(file)));
  const e = c.result;
  assertNames(e, file, 'too-large');
  assert.equal(e.message, `${file}: the PNG claims 65535 × 65535 pixels; frames are at most 4096 × 4096`);
  assertCheap(c);
  // One pixel over on either side is refused; the largest allowed width still decodes.
  for (const [w, h] of [[4097, 1], [1, 4097]] as const) {
    const over = png(chunk('IHDR', ihdr(w, h)), chunk('IDAT', deflateSync(Buffer.alloc(16))), chunk('IEND'));
    assert.equal((await frameErrorFrom(() => decodeGreyPng(over, 'over.png'))).reason, 'too-large');
  }
  const widest = decodeGreyPng(grey16Png(4096, 2, grey16Rows(4096, 2, ramp)), 'widest.png');
  assert.deepEqual([widest.width, widest.height, widest.data[4095]], [4096, 2, ramp(4095, 0)]);
});

test('a decompression bomb (64 × 64 header, image data inflating to 100 MB) is refused fast and small', async () => {
  const bomb = png(chunk('IHDR', ihdr(64, 64)), chunk('IDAT', await zerosDeflated(100 * MB)), chunk('IEND'));
  assert.ok(bomb.length < 200 * 1024, `the bomb is ${bomb.length} bytes`);
  const file = put('bomb_depth.png', bomb);
  const c = await cost(() => frameErrorFrom(() => loadDepthFile(file)));
  const e = c.result;
  assertNames(e, file, 'too-large');
  // 64 rows of a filter byte and 64 16-bit samples: the inflation stopped there, not at 100 MB.
  assert.match(e.message, /inflates to more than the 8256 bytes its 64 × 64 header allows/);
  assertCheap(c);
  // The thermal reader shares the decoder, so the same file is refused there too.
  const thermalFile = put('bomb_thermal.png', bomb);
  const t = await cost(() => frameErrorFrom(() => loadThermalFile(thermalFile)));
  assertNames(t.result, thermalFile, 'too-large');
  assert.match(t.result.message, /inflates to more than the 8256 bytes/);
  assertCheap(t);
});

test('an ICC profile chunk that inflates to 100 MB is dropped unread; the frame itself decodes', async () => {
  // iCCP: profile name, NUL, compression method 0, zlib data. The decoder library would inflate it uncapped.
  const iccp = chunk('iCCP', Buffer.concat([Buffer.from('bomb\0\0', 'latin1'), await zerosDeflated(100 * MB)]));
  const bytes = grey16Png(8, 6, grey16Rows(8, 6, ramp), { extra: [iccp] });
  const c = await cost(async () => decodeDepthPng(bytes, 'icc_depth.png'));
  assert.deepEqual(Array.from(c.result.mm), Array.from({ length: 48 }, (_, i) => ramp(i % 8, Math.floor(i / 8))));
  assertCheap(c);
  // "Unread" as a fact rather than a measurement: a profile that is not zlib data at all, and one with an
  // unknown compression method, would each make the decoder throw if it ever looked at them.
  for (const body of [Buffer.from('junk\0\0\xff\xff\xff\xff not zlib', 'latin1'), Buffer.from('odd\0\x07\x78\x9c\x03\x00', 'latin1')]) {
    const frame = decodeDepthPng(grey16Png(8, 6, grey16Rows(8, 6, ramp), { extra: [chunk('iCCP', body)] }), 'icc_junk_depth.png');
    assert.equal(frame.mm[9], ramp(1, 1));
  }
});

test('truncated, damaged (bad CRC) and non-PNG files are FrameErrors naming the file', async () => {
  const good = encodeDepthPng({ width: 32, height: 24, mm: Uint16Array.from({ length: 768 }, (_, i) => ramp(i % 32, Math.floor(i / 32))) });
  const idat = chunkAt(good, 'IDAT');
  for (const cut of [9, 33, 40, idat.start + 5, idat.start + idat.length + 2, good.length - 12, good.length - 1]) {
    const file = put(`cut${cut}_depth.png`, good.subarray(0, cut));
    assertNames(await frameErrorFrom(() => loadDepthFile(file)), file, 'truncated');
  }
  const badData = Buffer.from(good);
  badData[idat.start + 3]! ^= 0x10;
  const badFile = put('badcrc_depth.png', badData);
  const e = await frameErrorFrom(() => loadDepthFile(badFile));
  assertNames(e, badFile, 'corrupt');
  assert.match(e.message, /IDAT chunk at byte \d+ fails its CRC check/);
  const badHeader = Buffer.from(good);
  badHeader[16]! ^= 0x01; // the width's low byte: the header's CRC no longer matches
  assert.match((await frameErrorFrom(() => decodeDepthPng(badHeader, 'h_depth.png'))).message, /IHDR chunk .* fails its CRC check/);
  for (const junk of [new Uint8Array(0), Buffer.from('depth,1,2,3'), Buffer.from(good).subarray(1)]) {
    assertNames(await frameErrorFrom(() => decodeDepthPng(junk, 'n_depth.png')), 'n_depth.png', 'not-png');
  }
});

test('image data that does not fill the header, or runs on past its stream, is corrupt', async () => {
  const short = png(chunk('IHDR', ihdr(8, 6)), chunk('IDAT', deflateSync(grey16Rows(8, 5, ramp))), chunk('IEND'));
  assert.match((await frameErrorFrom(() => decodeGreyPng(short, 's.png'))).message, /inflates to 85 bytes; its 8 × 6 16-bit header needs 102/);
  const trailing = png(chunk('IHDR', ihdr(8, 6)), chunk('IDAT', Buffer.concat([deflateSync(grey16Rows(8, 6, ramp)), Buffer.from('more')])), chunk('IEND'));
  assert.match((await frameErrorFrom(() => decodeGreyPng(trailing, 't.png'))).message, /4 bytes of image data after the end/);
  const noData = png(chunk('IHDR', ihdr(8, 6)), chunk('IEND'));
  assert.equal((await frameErrorFrom(() => decodeGreyPng(noData, 'e.png'))).reason, 'corrupt');
  const notZlib = png(chunk('IHDR', ihdr(8, 6)), chunk('IDAT', Buffer.alloc(40, 0x5a)), chunk('IEND'));
  assert.match((await frameErrorFrom(() => decodeGreyPng(notZlib, 'z.png'))).message, /image data cannot be inflated/);
  const headerLater = png(chunk('tEXt', Buffer.from('a\0b')), chunk('IHDR', ihdr(8, 6)), chunk('IDAT', deflateSync(grey16Rows(8, 6, ramp))), chunk('IEND'));
  assert.match((await frameErrorFrom(() => decodeGreyPng(headerLater, 'l.png'))).message, /does not start with its 13-byte IHDR/);
});

test('palette, grey+alpha and 4-bit PNGs are refused from the header; an empty image is corrupt', async () => {
  const palette = png(chunk('IHDR', ihdr(4, 3, { bitDepth: 8, colourType: 3 })), chunk('PLTE', Buffer.alloc(6)), chunk('IDAT', deflateSync(Buffer.alloc(15))), chunk('IEND'));
  const p = await frameErrorFrom(() => decodeGreyPng(palette, 'p.png'));
  assert.equal(p.reason, 'channels');
  assert.match(p.message, /palette/);
  const greyAlpha = png(chunk('IHDR', ihdr(4, 3, { colourType: 4 })), chunk('IDAT', deflateSync(Buffer.alloc(51))), chunk('IEND'));
  assert.match((await frameErrorFrom(() => decodeGreyPng(greyAlpha, 'a.png'))).message, /found 2 channels/);
  const fourBit = png(chunk('IHDR', ihdr(4, 3, { bitDepth: 4 })), chunk('IDAT', deflateSync(Buffer.alloc(9))), chunk('IEND'));
  assert.equal((await frameErrorFrom(() => decodeGreyPng(fourBit, 'f.png'))).reason, 'bit-depth');
  const empty = png(chunk('IHDR', ihdr(0, 3)), chunk('IDAT', deflateSync(Buffer.alloc(0))), chunk('IEND'));
  assert.equal((await frameErrorFrom(() => decodeGreyPng(empty, 'z.png'))).reason, 'corrupt');
});

test('an interlaced (Adam7) 16-bit frame of odd size decodes to the same values as a plain one', () => {
  for (const [w, h] of [[13, 7], [1, 1], [3, 9]] as const) {
    const plain = decodeGreyPng(grey16Png(w, h, grey16Rows(w, h, ramp)), 'plain.png');
    const interlaced = decodeGreyPng(grey16Png(w, h, grey16Adam7(w, h, ramp), { interlace: 1 }), 'adam7.png');
    assert.deepEqual(Array.from(interlaced.data), Array.from(plain.data), `${w} × ${h}`);
  }
});

test('random damage to a frame, with or without repaired CRCs, always ends in a frame or a FrameError', () => {
  const good = encodeDepthPng({ width: 16, height: 12, mm: Uint16Array.from({ length: 192 }, (_, i) => ramp(i % 16, Math.floor(i / 16))) });
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const reasons = new Map<string, number>();
  for (let round = 0; round < 600; round++) {
    const bytes = Buffer.from(good);
    for (let k = 1 + Math.floor(random() * 4); k > 0; k--) bytes[8 + Math.floor(random() * (bytes.length - 20))] = Math.floor(random() * 256);
    if (round % 2 === 0) {
      // Repair every CRC so the damage reaches the header checks, the inflater and the decoder.
      for (let at = 8; at + 12 <= bytes.length; ) {
        const length = bytes.readUInt32BE(at);
        if (at + 12 + length > bytes.length) break;
        bytes.writeUInt32BE(crc32(bytes.subarray(at + 4, at + 8 + length)), at + 8 + length);
        at += 12 + length;
      }
    }
    try {
      decodeDepthPng(bytes, 'fuzz_depth.png', { maxMm: 65535 });
      reasons.set('decoded', (reasons.get('decoded') ?? 0) + 1);
    } catch (e) {
      assert.ok(e instanceof FrameError, `round ${round}: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`);
      assert.equal(e.file, 'fuzz_depth.png');
      reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
    }
  }
  assert.ok((reasons.get('corrupt') ?? 0) > 100, JSON.stringify([...reasons]));
});

test('thermal CSV and raw float frames are held to the same 4096 × 4096 bound', async () => {
  const wide = `${Array.from({ length: 4097 }, () => '20').join(',')}\n`;
  const e = await frameErrorFrom(() => decodeThermal(Buffer.from(wide), 'wide_thermal.csv'));
  assertNames(e, 'wide_thermal.csv', 'too-large');
  assert.match(e.message, /the CSV holds 4097 × 1 pixels; frames are at most 4096 × 4096/);
  const f32 = await frameErrorFrom(() => decodeThermal(new Uint8Array(4), 'r_thermal.f32', { encoding: { kind: 'f32', width: 1_000_000, height: 1_000_000 } }));
  assert.equal(f32.reason, 'too-large');
});
