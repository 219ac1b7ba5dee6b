import { decode, encode } from 'fast-png';
import { FrameError } from './frameError';

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
 * Decodes a grey PNG. The decoder's own errors for a short file are bare RangeErrors, so the file is
 * checked for its signature and closing IEND chunk first: a cut-off download then reads as 'truncated'.
 */
export function decodeGreyPng(bytes: Uint8Array, file: string): GreyImage {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new FrameError(file, 'not-png', 'not a PNG file (wrong signature)');
  }
  const iendAt = bytes.length - 8;
  if (bytes.length < 20 || IEND.some((b, i) => bytes[iendAt + i] !== b)) {
    throw new FrameError(file, 'truncated', `PNG is truncated (${bytes.length} bytes, no IEND chunk at the end)`);
  }
  let png;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new FrameError(file, 'corrupt', `PNG could not be decoded: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (png.channels !== 1) {
    throw new FrameError(file, 'channels', `expected a single-channel grey PNG, found ${png.channels} channels`);
  }
  if (png.depth !== 8 && png.depth !== 16) {
    throw new FrameError(file, 'bit-depth', `unsupported PNG bit depth ${png.depth} (expected 8 or 16)`);
  }
  if (png.data.length !== png.width * png.height) {
    throw new FrameError(file, 'truncated', `PNG holds ${png.data.length} pixels, expected ${png.width}×${png.height}`);
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
