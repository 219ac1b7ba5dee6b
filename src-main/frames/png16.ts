import { crc32, inflateSync } from 'node:zlib';
import { decode, encode } from 'fast-png';
import { FrameError } from './frameError';
import { checkFrameSize, MAX_FRAME_SIDE } from './frameLimits';

/** A decoded single-channel PNG: 8- or 16-bit grey values plus the PNG's text chunks (units live there). */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: 8 | 16;
  readonly data: Uint8Array | Uint16Array;
  readonly text: Readonly<Record<string, string>>;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IEND = [0x49, 0x45, 0x4e, 0x44];

/**
 * What a frame PNG may be, checked from its header before anything is inflated or allocated: at most
 * MAX_FRAME_SIDE (4096) pixels a side, one grey channel of 8 or 16 bits, so the largest decode is 32 MiB
 * and a 60-byte file claiming 65535 × 65535 pixels is refused instead of asking for 8 GB.
 */
export const FRAME_PNG_LIMITS = {
  maxSide: MAX_FRAME_SIDE,
  /** One grey channel: depth in millimetres or thermal counts; colour is a preview, not a measurement. */
  channels: 1,
  bitDepths: [8, 16],
  /** tEXt chunks kept for their units; a real frame has a handful, a crafted one could have millions. */
  maxTextChunks: 64,
} as const;

/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: 8 | 16;
  readonly interlaced: boolean;
}

/** The header as the frame bound allows it, or a FrameError saying what the file claims and what a frame may be. */
function checkHeader(ihdr: Uint8Array, file: string): PngHeader {
  const view = new DataView(ihdr.buffer, ihdr.byteOffset, ihdr.byteLength);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const [bitDepth, colourType, compression, filter, interlace] = ihdr.subarray(8, 13);
  if (width === 0 || height === 0) throw new FrameError(file, 'corrupt', `the PNG header gives an empty ${width} × ${height} image`);
  checkFrameSize(file, width, height, 'the PNG claims');
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colourType!];
  if (channels === undefined) throw new FrameError(file, 'corrupt', `the PNG header gives an unknown colour type ${colourType}`);
  if (colourType === 3) throw new FrameError(file, 'channels', 'expected a single-channel grey PNG, found a palette (indexed-colour) PNG, whose values are colours, not readings');
  if (channels !== FRAME_PNG_LIMITS.channels) throw new FrameError(file, 'channels', `expected a single-channel grey PNG, found ${channels} channels`);
  if (bitDepth !== 8 && bitDepth !== 16) throw new FrameError(file, 'bit-depth', `unsupported PNG bit depth ${bitDepth} (expected ${FRAME_PNG_LIMITS.bitDepths.join(' or ')})`);
  if (compression !== 0 || filter !== 0 || (interlace !== 0 && interlace !== 1)) {
    throw new FrameError(file, 'corrupt', `the PNG header names an unknown compression (${compression}), filter (${filter}) or interlace (${interlace}) method`);
  }
  return { width, height, bitDepth, interlaced: interlace === 1 };
}

/** Bytes the image data must inflate to: each row of each pass is a filter byte plus its pixels. */
function imageDataBytes(h: PngHeader): number {
  const bytesPerPixel = h.bitDepth / 8;
  const rows = (w: number, n: number) => (w > 0 && n > 0 ? n * (1 + w * bytesPerPixel) : 0);
  if (!h.interlaced) return rows(h.width, h.height);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy)), 0);
}

/**
 * Walks the chunks, checking every CRC, and keeps only what a grey frame needs (IHDR, IDAT, tEXt, IEND).
 * Dropping the rest matters: the decoder would otherwise inflate an iCCP profile with no size limit.
 */
function frameChunks(bytes: Uint8Array, file: string): { header: PngHeader; idat: Uint8Array[]; kept: Uint8Array[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (detail: string) => new FrameError(file, 'corrupt', detail);
  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  const idat: Uint8Array[] = [];
  let header: PngHeader | undefined;
  let texts = 0;
  for (let at = 8; ; ) {
    if (at + 12 > bytes.length) throw corrupt(`the PNG has a damaged chunk at byte ${at} (its chunk lengths do not add up)`);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) throw corrupt(`the PNG has a damaged chunk at byte ${at} (no chunk type)`);
    const end = at + 12 + length;
    if (end > bytes.length) throw corrupt(`the PNG's ${type} chunk at byte ${at} claims ${length} bytes, past the end of the file`);
    if (crc32(bytes.subarray(at + 4, end - 4)) !== view.getUint32(end - 4)) throw corrupt(`the PNG's ${type} chunk at byte ${at} fails its CRC check (the file is damaged)`);
    const data = bytes.subarray(at + 8, end - 4);
    const whole = bytes.subarray(at, end);
    if (header === undefined) {
      if (type !== 'IHDR' || length !== 13) throw corrupt('the PNG does not start with its 13-byte IHDR header chunk');
      header = checkHeader(data, file);
      kept.push(whole);
    } else if (type === 'IDAT') {
      idat.push(data);
      kept.push(whole);
    } else if (type === 'tEXt') {
      if (++texts > FRAME_PNG_LIMITS.maxTextChunks) throw corrupt(`the PNG has more than ${FRAME_PNG_LIMITS.maxTextChunks} text chunks; a frame needs a few`);
      kept.push(whole);
    } else if (type === 'IEND') {
      kept.push(whole);
      if (idat.length === 0) throw corrupt('the PNG has no image data (IDAT chunk)');
      return { header, idat, kept };
    } else if (type === 'IHDR') throw corrupt('the PNG has a second IHDR header chunk');
    at = end;
  }
}

/**
 * Inflates the image data once, capped at the size the header implies, so a small IDAT that inflates to
 * gigabytes (a decompression bomb) stops at the cap. Exactly the implied size, with no bytes after the
 * compressed stream, is what lets the decoder inflate the same data again without a cap of its own.
 */
function checkImageData(idat: readonly Uint8Array[], h: PngHeader, file: string): void {
  const compressed = Buffer.concat(idat);
  const expected = imageDataBytes(h);
  let out: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    // `info: true` returns the engine too, whose bytesWritten is how much input the stream used.
    out = inflateSync(compressed, { maxOutputLength: expected, info: true }) as unknown as typeof out;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new FrameError(file, 'too-large', `the PNG's image data inflates to more than the ${expected} bytes its ${h.width} × ${h.height} header allows (a decompression bomb or a damaged file)`);
    }
    throw new FrameError(file, 'corrupt', `the PNG's image data cannot be inflated (${e instanceof Error ? e.message : String(e)})`);
  }
  if (out.buffer.length !== expected) {
    throw new FrameError(file, 'corrupt', `the PNG's image data inflates to ${out.buffer.length} bytes; its ${h.width} × ${h.height} ${h.bitDepth}-bit header needs ${expected}`);
  }
  if (out.engine.bytesWritten !== compressed.length) {
    throw new FrameError(file, 'corrupt', `the PNG has ${compressed.length - out.engine.bytesWritten} bytes of image data after the end of its compressed stream`);
  }
}

/**
 * Decodes a grey PNG. Everything that could cost memory is checked first: the header against
 * FRAME_PNG_LIMITS, every chunk's CRC, and the image data's inflated size against the header. Only then
 * does the decoder see the file, rebuilt from the chunks a frame needs. The decoder's own errors for a
 * short file are bare RangeErrors, so a file without its closing IEND chunk reads as 'truncated' up front.
 */
export function decodeGreyPng(bytes: Uint8Array, file: string): GreyImage {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new FrameError(file, 'not-png', 'not a PNG file (wrong signature)');
  }
  const iendAt = bytes.length - 8;
  if (bytes.length < 20 || IEND.some((b, i) => bytes[iendAt + i] !== b)) {
    throw new FrameError(file, 'truncated', `PNG is truncated (${bytes.length} bytes, no IEND chunk at the end)`);
  }
  const { header, idat, kept } = frameChunks(bytes, file);
  checkImageData(idat, header, file);
  let png;
  try {
    png = decode(Buffer.concat(kept));
  } catch (e) {
    throw new FrameError(file, 'corrupt', `PNG could not be decoded: ${e instanceof Error ? e.message : String(e)}`);
  }
  // The header was checked above; these guard against the decoder reading it differently.
  if (png.channels !== 1) {
    throw new FrameError(file, 'channels', `expected a single-channel grey PNG, found ${png.channels} channels`);
  }
  if (png.depth !== 8 && png.depth !== 16) {
    throw new FrameError(file, 'bit-depth', `unsupported PNG bit depth ${png.depth} (expected 8 or 16)`);
  }
  if (png.width !== header.width || png.height !== header.height || png.data.length !== png.width * png.height) {
    throw new FrameError(file, 'corrupt', `PNG holds ${png.data.length} pixels, expected ${header.width}×${header.height}`);
  }
  const data = png.depth === 16 ? (png.data as Uint16Array) : Uint8Array.from(png.data);
  return { width: png.width, height: png.height, bitDepth: png.depth, data, text: png.text };
}

/** Encodes a single-channel 16-bit PNG; the text chunks carry units so a file explains itself. */
export function encodeGrey16Png(width: number, height: number, data: Uint16Array, text: Record<string, string> = {}): Uint8Array {
  return encode({ width, height, data, depth: 16, channels: 1, text });
}

/** Encodes a single-channel 8-bit PNG. */
export function encodeGrey8Png(width: number, height: number, data: Uint8Array, text: Record<string, string> = {}): Uint8Array {
  return encode({ width, height, data, depth: 8, channels: 1, text });
}

/** Encodes an 8-bit RGB PNG (false-colour previews, contact sheets). */
export function encodeRgbPng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  return encode({ width, height, data: rgb, depth: 8, channels: 3 });
}
