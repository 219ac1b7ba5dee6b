import { z } from 'zod';
import { FrameError } from './frameError';
import { readFrameFile } from './frameFile';
import { checkFrameSize, MAX_FRAME_SIDE } from './frameLimits';
import { decodeGreyPng, encodeGrey16Png } from './png16';

/** A thermal frame in degrees Celsius, row-major. */
export interface ThermalFrame {
  readonly width: number;
  readonly height: number;
  readonly celsius: Float32Array;
}

/**
 * How a thermal file encodes temperature. Only 16-bit PNGs and CSV carry enough to be read without a
 * declaration; an 8-bit PNG is a rescaled picture, so its temperature range must be stated.
 */
export type ThermalEncoding =
  /** 16-bit counts; Lepton radiometric "TLinear" is 0.01 K per count (centi-kelvin), the default. */
  | { readonly kind: 'png16'; readonly kelvinPerCount?: number; readonly offsetKelvin?: number }
  /** 8-bit grey mapped linearly: 0 → minC, 255 → maxC. */
  | { readonly kind: 'png8'; readonly minC: number; readonly maxC: number }
  /** Comma/semicolon/whitespace-separated °C, one image row per line. */
  | { readonly kind: 'csv' }
  /** Raw float32 °C, row-major, no header. */
  | { readonly kind: 'f32'; readonly width: number; readonly height: number; readonly endian?: 'le' | 'be' };

/** A declared encoding read from a file (a frame set's manifest.json): checked, since it decides how every thermal frame is read. */
export const thermalEncodingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('png16'), kelvinPerCount: z.number().positive().optional(), offsetKelvin: z.number().optional() }),
  z.object({ kind: z.literal('png8'), minC: z.number(), maxC: z.number() }),
  z.object({ kind: z.literal('csv') }),
  z.object({
    kind: z.literal('f32'),
    width: z.number().int().min(1).max(MAX_FRAME_SIDE),
    height: z.number().int().min(1).max(MAX_FRAME_SIDE),
    endian: z.enum(['le', 'be']).optional(),
  }),
]);

export interface ThermalLoadOptions {
  readonly encoding?: ThermalEncoding;
  /** Plausible scene temperatures; MLX90640 and Lepton both report roughly −40…300 °C. */
  readonly validRangeC?: readonly [number, number];
}

export const DEFAULT_THERMAL_RANGE_C: readonly [number, number] = [-40, 300];
export const KELVIN_OFFSET = 273.15;
export const THERMAL_PNG_TEXT = { 'tinym2.modality': 'thermal', 'tinym2.unit': 'centikelvin' } as const;

/** Picks the encoding from the file name when none is declared. */
export function guessThermalEncoding(file: string): ThermalEncoding['kind'] | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.png')) return 'png16';
  if (lower.endsWith('.csv') || lower.endsWith('.txt')) return 'csv';
  if (lower.endsWith('.f32') || lower.endsWith('.raw') || lower.endsWith('.bin')) return 'f32';
  return undefined;
}

export function decodeThermal(bytes: Uint8Array, file: string, options: ThermalLoadOptions = {}): ThermalFrame {
  const kind = options.encoding?.kind ?? guessThermalEncoding(file);
  let frame: ThermalFrame;
  if (kind === 'png16' || kind === 'png8') frame = decodeThermalPng(bytes, file, options.encoding);
  else if (kind === 'csv') frame = decodeThermalCsv(bytes, file);
  else if (kind === 'f32') {
    if (options.encoding?.kind !== 'f32') {
      throw new FrameError(file, 'encoding', 'raw float thermal files need a declared width and height');
    }
    frame = decodeThermalF32(bytes, file, options.encoding);
  } else throw new FrameError(file, 'encoding', 'unknown thermal file type (expected .png, .csv or .f32/.raw with a declared size)');
  checkRange(frame, file, options.validRangeC ?? DEFAULT_THERMAL_RANGE_C);
  return frame;
}

export async function loadThermalFile(file: string, options: ThermalLoadOptions = {}): Promise<ThermalFrame> {
  return decodeThermal(await readFrameFile(file), file, options);
}

/** Writes °C as 16-bit centi-kelvin, the Lepton radiometric convention: 0.01 K steps from 0 to 655 K. */
export function encodeThermalPng(frame: ThermalFrame): Uint8Array {
  const counts = new Uint16Array(frame.celsius.length);
  for (let i = 0; i < counts.length; i++) {
    counts[i] = Math.max(0, Math.min(65535, Math.round((frame.celsius[i]! + KELVIN_OFFSET) * 100)));
  }
  return encodeGrey16Png(frame.width, frame.height, counts, { ...THERMAL_PNG_TEXT });
}

function decodeThermalPng(bytes: Uint8Array, file: string, encoding: ThermalEncoding | undefined): ThermalFrame {
  const img = decodeGreyPng(bytes, file);
  const celsius = new Float32Array(img.data.length);
  if (img.bitDepth === 16) {
    if (encoding && encoding.kind !== 'png16') {
      throw new FrameError(file, 'bit-depth', `declared as ${encoding.kind} but the PNG is 16-bit`);
    }
    const unit = img.text['tinym2.unit'];
    if (unit !== undefined && unit !== 'centikelvin' && encoding === undefined) {
      throw new FrameError(file, 'encoding', `16-bit thermal PNG declares unit '${unit}'; pass its scale explicitly`);
    }
    const scale = encoding?.kind === 'png16' ? (encoding.kelvinPerCount ?? 0.01) : 0.01;
    const offset = encoding?.kind === 'png16' ? (encoding.offsetKelvin ?? 0) : 0;
    for (let i = 0; i < celsius.length; i++) celsius[i] = img.data[i]! * scale + offset - KELVIN_OFFSET;
  } else {
    if (encoding?.kind !== 'png8') {
      throw new FrameError(file, 'bit-depth', '8-bit thermal PNG has no temperatures of its own; declare its range ({ kind: "png8", minC, maxC }) or supply 16-bit centi-kelvin');
    }
    const step = (encoding.maxC - encoding.minC) / 255;
    for (let i = 0; i < celsius.length; i++) celsius[i] = encoding.minC + img.data[i]! * step;
  }
  return { width: img.width, height: img.height, celsius };
}

function decodeThermalCsv(bytes: Uint8Array, file: string): ThermalFrame {
  const text = new TextDecoder().decode(bytes);
  const rows = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('#'));
  if (rows.length === 0) throw new FrameError(file, 'malformed', 'CSV holds no rows');
  // Checked before the values are gathered, so a huge CSV is refused before its numbers are held twice.
  checkFrameSize(file, rows[0]!.split(/[,;\t ]+/).filter((c) => c.length > 0).length, rows.length, 'the CSV holds');
  const values: number[] = [];
  let width = -1;
  rows.forEach((row, r) => {
    const cells = row.split(/[,;\t ]+/).filter((c) => c.length > 0);
    if (width < 0) width = cells.length;
    else if (cells.length !== width) {
      throw new FrameError(file, rows.length - 1 === r ? 'truncated' : 'malformed', `CSV row ${r + 1} has ${cells.length} values, expected ${width}`);
    }
    for (const c of cells) {
      const v = Number(c);
      if (!Number.isFinite(v)) throw new FrameError(file, 'malformed', `CSV row ${r + 1}: '${c}' is not a number`);
      values.push(v);
    }
  });
  return { width, height: rows.length, celsius: Float32Array.from(values) };
}

function decodeThermalF32(bytes: Uint8Array, file: string, enc: { width: number; height: number; endian?: 'le' | 'be' }): ThermalFrame {
  if (!Number.isInteger(enc.width) || !Number.isInteger(enc.height) || enc.width < 1 || enc.height < 1) {
    throw new FrameError(file, 'encoding', `raw float files need a declared width and height of whole pixels (got ${enc.width} × ${enc.height})`);
  }
  checkFrameSize(file, enc.width, enc.height, 'the declared raw float size is');
  const expected = enc.width * enc.height * 4;
  if (bytes.length < expected) {
    throw new FrameError(file, 'truncated', `raw float file has ${bytes.length} bytes, expected ${expected} for ${enc.width}×${enc.height}`);
  }
  if (bytes.length > expected) {
    throw new FrameError(file, 'resolution', `raw float file has ${bytes.length} bytes, more than ${expected} for ${enc.width}×${enc.height}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = (enc.endian ?? 'le') === 'le';
  const celsius = new Float32Array(enc.width * enc.height);
  for (let i = 0; i < celsius.length; i++) celsius[i] = view.getFloat32(i * 4, little);
  return { width: enc.width, height: enc.height, celsius };
}

function checkRange(frame: ThermalFrame, file: string, [lo, hi]: readonly [number, number]): void {
  for (let i = 0; i < frame.celsius.length; i++) {
    const v = frame.celsius[i]!;
    if (!(v >= lo && v <= hi)) {
      const x = i % frame.width;
      throw new FrameError(file, 'out-of-range', `temperature ${Number.isNaN(v) ? 'NaN' : `${v.toFixed(2)} °C`} at pixel (${x}, ${(i - x) / frame.width}) is outside ${lo}…${hi} °C`);
    }
  }
}
