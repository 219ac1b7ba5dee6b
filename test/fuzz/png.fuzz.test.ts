/**
 * Fuzzing the 16-bit PNG frame decoders (issue #21 item 5): mutated PNGs, with IHDR fields and chunk
 * lengths as favourite targets, image data re-compressed after mutation so the unfilter and de-interlace
 * code is reached, and CRCs usually repaired so a checking decoder still looks past them.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { assertRefused, FUZZ_BOUNDS, describeFailures, describeOutcome, describeReport, fuzz, fuzzInputs, fuzzSeed, readCorpus, TargetProcess } from './fuzzTarget';
import { chance, mutateBytes, pngLayout, type Random } from './mutator';

const corpus = readCorpus('png');
const byName = (name: string) => corpus.find((f) => f.name === name)!;
const target = new TargetProcess('png', new URL('./targets/png.ts', import.meta.url));
after(() => target.close());

interface Chunk {
  type: string;
  data: Uint8Array;
}

function chunksOf(png: Uint8Array): Chunk[] | undefined {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  for (let at = 8; at + 12 <= png.length; ) {
    const length = view.getUint32(at);
    if (at + 12 + length > png.length) return undefined;
    chunks.push({ type: String.fromCharCode(...png.subarray(at + 4, at + 8)), data: png.slice(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return chunks;
}

function pngOf(chunks: readonly Chunk[]): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)];
  for (const c of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(c.data.length, 0);
    head.write(c.type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(c.data, crc32(head.subarray(4))));
    parts.push(head, c.data, crc);
  }
  return Buffer.concat(parts);
}

/** Mutates the inflated image data (filter bytes, scanlines) and deflates it again into one IDAT. */
function mutateImageData(png: Uint8Array, random: Random): Uint8Array | undefined {
  const chunks = chunksOf(png);
  if (!chunks) return undefined;
  const idat = chunks.filter((c) => c.type === 'IDAT');
  if (!idat.length) return undefined;
  let raw: Uint8Array;
  try {
    raw = inflateSync(Buffer.concat(idat.map((c) => c.data)), { maxOutputLength: 1024 * 1024 });
  } catch {
    return undefined;
  }
  const data = deflateSync(mutateBytes(raw, random, { maxLength: 256 * 1024 }));
  const first = chunks.findIndex((c) => c.type === 'IDAT');
  return pngOf([...chunks.slice(0, first).filter((c) => c.type !== 'IDAT'), { type: 'IDAT', data }, ...chunks.slice(first).filter((c) => c.type !== 'IDAT')]);
}

/** Recomputes every CRC (when the chunk lengths still add up). */
function repairCrcs(png: Uint8Array): Uint8Array {
  const chunks = chunksOf(png);
  return chunks ? pngOf(chunks) : png;
}

function mutatePng(bytes: Uint8Array, random: Random, others: readonly Uint8Array[]): Uint8Array {
  if (chance(random, 0.3)) {
    const m = mutateImageData(bytes, random);
    if (m) return m;
  }
  const m = mutateBytes(bytes, random, { layout: pngLayout, corpus: others, maxLength: 64 * 1024 });
  return chance(random, 0.6) ? repairCrcs(m) : m;
}

describe('16-bit PNG frame decoding under fuzzing', () => {
  test('the seed frames decode (16-bit depth and thermal, split IDAT, every filter, Adam7); 8-bit and RGB are refused as such', async () => {
    for (const f of corpus.filter((c) => c.name.startsWith('seed-'))) {
      const o = await target.run(f.bytes, f.name);
      const expectation = f.name.includes('16bit') ? 'returned' : 'threw';
      assert.equal(o.status, expectation, `${f.name} ${describeOutcome(o)}`);
    }
  });

  test(`png-65535x65535.png: a header claiming 8 GiB of pixels over 69 bytes is a FrameError within ${FUZZ_BOUNDS.replayMs / 1000} s`, async () => {
    const f = byName('png-65535x65535.png');
    assertRefused(await target.run(f.bytes, f.name), { name: 'FrameError', maxMs: FUZZ_BOUNDS.replayMs, mentions: [f.name] }, f.name);
  });

  test('png-zero-width.png: an empty 0 × 6 image is a FrameError', async () => {
    const f = byName('png-zero-width.png');
    assertRefused(await target.run(f.bytes, f.name), { name: 'FrameError', maxMs: FUZZ_BOUNDS.replayMs, mentions: [f.name] }, f.name);
  });

  test(`png-idat-inflates-8mib.png: a 1 × 1 frame whose data inflates to 8 MiB is a FrameError within ${FUZZ_BOUNDS.replayMs / 1000} s`, async () => {
    const f = byName('png-idat-inflates-8mib.png');
    assertRefused(await target.run(f.bytes, f.name), { name: 'FrameError', maxMs: FUZZ_BOUNDS.replayMs, mentions: [f.name] }, f.name);
  });

  const inputs = fuzzInputs(20_000);
  const seed = fuzzSeed(21_05_02);
  test(`${inputs} mutated PNGs (seed ${seed}): no uncaught exception, none over 5 s, target peak RSS ≤ 1 GiB`, async (t) => {
    const report = await fuzz({
      target,
      corpus,
      seed,
      inputs,
      mutate: (parent, random) => mutatePng(parent.bytes, random, corpus.map((c) => c.bytes)),
      classify: (o) => (o.status === 'returned' ? `depth ${(o.value as { depth: string }).depth.startsWith('FrameError') ? 'refused' : 'decoded'}, thermal ${(o.value as { thermal: string }).thermal.startsWith('FrameError') ? 'refused' : 'decoded'}` : o.status === 'threw' ? `${o.error!.name} ${o.error!.reason ?? ''}` : o.status),
    });
    t.diagnostic(describeReport(report));
    assert.equal(report.failures.length, 0, describeFailures(report));
  });
});
