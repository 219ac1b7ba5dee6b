import { FrameError } from './frameError';

/**
 * The widest and tallest frame read, in pixels, whatever its file type. Depth and thermal sensors give at
 * most 1280 × 720 (a Lepton gives 160 × 120), so 4096 × 4096 is far above any real frame, while its
 * largest decode (16-bit grey, 32 MiB; as °C floats, 64 MiB) is far below what hurts the machine.
 */
export const MAX_FRAME_SIDE = 4096;

/**
 * Refuses a frame larger than MAX_FRAME_SIDE before anything of its size is allocated. `claim` says where
 * the size came from, for the message: "the PNG claims", "the CSV holds".
 */
export function checkFrameSize(file: string, width: number, height: number, claim: string): void {
  if (width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE) {
    throw new FrameError(file, 'too-large', `${claim} ${width} × ${height} pixels; frames are at most ${MAX_FRAME_SIDE} × ${MAX_FRAME_SIDE}`);
  }
}
