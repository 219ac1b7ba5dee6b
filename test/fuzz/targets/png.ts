/**
 * Fuzz target: 16-bit PNG frames. Every input goes through both frame decoders that read PNGs: the depth
 * decoder (16-bit millimetres) and the thermal decoder (16-bit centi-kelvin), which share decodeGreyPng.
 */
import { decodeDepthPng } from '../../../src-main/frames/depthFrame';
import { FrameError } from '../../../src-main/frames/frameError';
import { decodeThermal } from '../../../src-main/frames/thermalFrame';
import { FuzzViolation, type FuzzTarget } from '../fuzzTarget';

/** The result of one decoder: the frame's size, or the FrameError reason; anything else propagates. */
function attempt(decode: () => { width: number; height: number; length: number }): string {
  try {
    const { width, height, length } = decode();
    if (length !== width * height) throw new FuzzViolation(`decoded ${length} values for a ${width}×${height} frame`);
    return `${width}x${height}`;
  } catch (e) {
    if (e instanceof FrameError) return `FrameError ${e.reason}`;
    throw e;
  }
}

export const target: FuzzTarget = {
  expected: [FrameError],
  run(input, name) {
    const depth = attempt(() => {
      const f = decodeDepthPng(input, name);
      return { width: f.width, height: f.height, length: f.mm.length };
    });
    const thermal = attempt(() => {
      const f = decodeThermal(input, name);
      if (f.celsius.some((c) => !Number.isFinite(c))) throw new FuzzViolation(`${name}: a thermal value is not finite`);
      return { width: f.width, height: f.height, length: f.celsius.length };
    });
    // Both refused: report it as the refusal it is, so the test can assert on the reason.
    if (depth.startsWith('FrameError') && thermal.startsWith('FrameError')) decodeDepthPng(input, name);
    return { depth, thermal };
  },
};
