/**
 * Builds PNGs chunk by chunk, including ones no encoder would write (a header claiming 65535 × 65535
 * pixels, image data that inflates a thousandfold, a bad CRC), for the decoder's hostile-input tests.
 */
import { once } from 'node:events';
import { crc32, createDeflate, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One chunk: length, type, data and the CRC of type + data, as the PNG spec lays it out. */
export function chunk(type: string, data: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export function png(...chunks: Uint8Array[]): Buffer {
  return Buffer.concat([SIGNATURE, ...chunks]);
}

/** IHDR data: colour type 0 is grey, 3 palette; interlace 1 is Adam7. */
export function ihdr(width: number, height: number, o: { bitDepth?: number; colourType?: number; interlace?: number } = {}): Buffer {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(width, 0);
  d.writeUInt32BE(height, 4);
  d.set([o.bitDepth ?? 16, o.colourType ?? 0, 0, 0, o.interlace ?? 0], 8);
  return d;
}

/** Unfiltered (filter type 0) rows of 16-bit big-endian grey samples. */
export function grey16Rows(width: number, height: number, value: (x: number, y: number) => number): Buffer {
  const out = Buffer.alloc(height * (1 + 2 * width));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out.writeUInt16BE(value(x, y), y * (1 + 2 * width) + 1 + 2 * x);
  }
  return out;
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** The same samples as seven Adam7 passes, each a small unfiltered image (empty passes contribute nothing). */
export function grey16Adam7(width: number, height: number, value: (x: number, y: number) => number): Buffer {
  const passes: Buffer[] = [];
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = Math.max(0, Math.ceil((width - x0) / dx));
    const h = Math.max(0, Math.ceil((height - y0) / dy));
    if (w > 0 && h > 0) passes.push(grey16Rows(w, h, (x, y) => value(x0 + x * dx, y0 + y * dy)));
  }
  return Buffer.concat(passes);
}

/** A whole 16-bit grey PNG from its raw rows. */
export function grey16Png(width: number, height: number, raw: Uint8Array, o: { interlace?: number; extra?: Uint8Array[] } = {}): Buffer {
  return png(chunk('IHDR', ihdr(width, height, { interlace: o.interlace ?? 0 })), ...(o.extra ?? []), chunk('IDAT', deflateSync(raw)), chunk('IEND'));
}

/** A zlib stream of `bytes` zeros, deflated in 1 MB steps so building it never holds the inflated size. */
export async function zerosDeflated(bytes: number): Promise<Buffer> {
  const d = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  d.on('data', (c: Buffer) => parts.push(c));
  const zero = Buffer.alloc(1 << 20);
  for (let left = bytes; left > 0; left -= zero.length) {
    if (!d.write(zero.subarray(0, Math.min(left, zero.length)))) await once(d, 'drain');
  }
  d.end();
  await once(d, 'end');
  return Buffer.concat(parts);
}

/** Byte offsets of each chunk's data, by type (first of each), for tests that damage one chunk. */
export function chunkAt(file: Uint8Array, type: string): { start: number; length: number } {
  const b = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  for (let at = 8; at + 12 <= b.length; ) {
    const length = b.readUInt32BE(at);
    if (b.toString('latin1', at + 4, at + 8) === type) return { start: at + 8, length };
    at += 12 + length;
  }
  throw new Error(`no ${type} chunk`);
}
