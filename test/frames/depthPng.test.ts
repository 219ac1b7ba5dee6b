import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeDepthPng, encodeDepthPng, loadDepthFile } from '../../src-main/frames/depthFrame';
import { FrameError } from '../../src-main/frames/frameError';
import { encodeGrey8Png, encodeGrey16Png, encodeRgbPng } from '../../src-main/frames/png16';

function ramp(width: number, height: number): Uint16Array {
  // Covers 0 (missing), low, and high millimetre values so both bytes of every 16-bit sample matter.
  return Uint16Array.from({ length: width * height }, (_, i) => (i * 131) % 9_999);
}

function assertFrameError(fn: () => unknown, file: string, reason: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FrameError, `expected FrameError, got ${String(e)}`);
    assert.equal(e.reason, reason);
    assert.equal(e.file, file);
    assert.ok(e.message.startsWith(`${file}: `), e.message);
    return true;
  });
}

test('16-bit depth PNG round-trips every millimetre value exactly', async () => {
  const mm = ramp(64, 48);
  const bytes = encodeDepthPng({ width: 64, height: 48, mm });
  const dir = await mkdtemp(join(tmpdir(), 'tinym2-depth-'));
  const file = join(dir, 'a_depth.png');
  await writeFile(file, bytes);
  const back = await loadDepthFile(file);
  assert.equal(back.width, 64);
  assert.equal(back.height, 48);
  assert.deepEqual(Array.from(back.mm), Array.from(mm));
});

test('an 8-bit depth PNG is rejected as wrong bit depth, naming the file', () => {
  const png = encodeGrey8Png(4, 3, new Uint8Array(12).fill(100));
  assertFrameError(() => decodeDepthPng(png, 'rec/x_depth.png'), 'rec/x_depth.png', 'bit-depth');
});

test('a colour PNG is rejected as the wrong channel count', () => {
  const png = encodeRgbPng(2, 2, new Uint8Array(12));
  assertFrameError(() => decodeDepthPng(png, 'c_depth.png'), 'c_depth.png', 'channels');
});

test('depth beyond the sensor limit is out of range and the message says where', () => {
  const mm = new Uint16Array(12).fill(1500);
  mm[5] = 65535;
  const png = encodeGrey16Png(4, 3, mm);
  assert.throws(() => decodeDepthPng(png, 'd_depth.png'), (e: unknown) => e instanceof FrameError && e.reason === 'out-of-range' && /\(1, 1\)/.test(e.message) && /10000 mm/.test(e.message));
  // A declared longer-range sensor accepts the same file.
  assert.equal(decodeDepthPng(png, 'd_depth.png', { maxMm: 65535 }).mm[5], 65535);
});

test('truncated and non-PNG files are told apart', () => {
  const png = encodeDepthPng({ width: 64, height: 48, mm: ramp(64, 48) });
  for (const cut of [png.length - 1, png.length - 13, Math.floor(png.length / 2), 40]) {
    assertFrameError(() => decodeDepthPng(png.subarray(0, cut), 't_depth.png'), 't_depth.png', 'truncated');
  }
  assertFrameError(() => decodeDepthPng(new TextEncoder().encode('depth,1,2,3'), 'n_depth.png'), 'n_depth.png', 'not-png');
});

test('a missing file is unreadable, naming it', async () => {
  await assert.rejects(loadDepthFile('/nonexistent/q_depth.png'), (e: unknown) => e instanceof FrameError && e.reason === 'unreadable' && e.file === '/nonexistent/q_depth.png');
});
