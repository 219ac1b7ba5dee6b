import { FrameError } from './frameError';
import { readFrameFile } from './frameFile';
import { decodeGreyPng, encodeGrey16Png } from './png16';

/** A depth frame in millimetres along the optical axis; 0 means "no reading" (out of range, shadow, glare). */
export interface DepthFrame {
  readonly width: number;
  readonly height: number;
  readonly mm: Uint16Array;
}

export interface DepthLoadOptions {
  /**
   * Largest distance the sensor can report. Values beyond it are not depth (often a vendor's
   * "invalid" code or a disparity image saved by mistake), so the file is rejected, not clipped.
   */
  readonly maxMm?: number;
}

/** Default ceiling: indoor depth cameras (RealSense, Kinect, ToF modules) stop well before 10 m. */
export const DEFAULT_MAX_DEPTH_MM = 10_000;

export const DEPTH_PNG_TEXT = { 'tinym2.modality': 'depth', 'tinym2.unit': 'mm' } as const;

export function decodeDepthPng(bytes: Uint8Array, file: string, options: DepthLoadOptions = {}): DepthFrame {
  const img = decodeGreyPng(bytes, file);
  if (img.bitDepth !== 16) {
    throw new FrameError(file, 'bit-depth', `depth PNG must be 16-bit millimetres, found ${img.bitDepth}-bit (an 8-bit preview has lost the distances)`);
  }
  const maxMm = options.maxMm ?? DEFAULT_MAX_DEPTH_MM;
  const mm = img.data as Uint16Array;
  for (let i = 0; i < mm.length; i++) {
    if (mm[i]! > maxMm) {
      const x = i % img.width;
      const y = (i - x) / img.width;
      throw new FrameError(file, 'out-of-range', `depth ${mm[i]} mm at pixel (${x}, ${y}) exceeds the sensor limit of ${maxMm} mm`);
    }
  }
  return { width: img.width, height: img.height, mm };
}

export async function loadDepthFile(file: string, options: DepthLoadOptions = {}): Promise<DepthFrame> {
  return decodeDepthPng(await readFrameFile(file), file, options);
}

export function encodeDepthPng(frame: DepthFrame): Uint8Array {
  return encodeGrey16Png(frame.width, frame.height, frame.mm, { ...DEPTH_PNG_TEXT });
}
