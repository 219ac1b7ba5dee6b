import type { DepthFrame } from './depthFrame';
import { FrameError } from './frameError';
import type { ThermalFrame } from './thermalFrame';

/**
 * Area-averaging resampler: each output pixel is the overlap-weighted mean of the source pixels its
 * footprint covers. Downscaling then behaves like a bigger sensor pixel (what the model should see),
 * rather than point sampling, which aliases thin limbs away. Upscaling degenerates to box replication.
 */
interface AxisTaps {
  /** For output index o, taps are start[o] .. start[o]+count[o]-1 with weights in `weight` from offset[o]. */
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly offset: Int32Array;
  readonly weight: Float64Array;
}

function axisTaps(from: number, to: number): AxisTaps {
  const scale = from / to;
  const start = new Int32Array(to);
  const count = new Int32Array(to);
  const offset = new Int32Array(to);
  const weights: number[] = [];
  for (let o = 0; o < to; o++) {
    const lo = o * scale;
    const hi = (o + 1) * scale;
    const first = Math.floor(lo);
    const last = Math.min(from - 1, Math.ceil(hi) - 1);
    start[o] = first;
    count[o] = last - first + 1;
    offset[o] = weights.length;
    for (let s = first; s <= last; s++) weights.push(Math.min(hi, s + 1) - Math.max(lo, s));
  }
  return { start, count, offset, weight: Float64Array.from(weights) };
}

function resample(
  src: ArrayLike<number>,
  srcW: number,
  srcH: number,
  dstW: number,
  dstH: number,
  ignoreZero: boolean,
  minValidFraction: number,
): Float64Array {
  const tx = axisTaps(srcW, dstW);
  const ty = axisTaps(srcH, dstH);
  const out = new Float64Array(dstW * dstH);
  for (let oy = 0; oy < dstH; oy++) {
    for (let ox = 0; ox < dstW; ox++) {
      let sum = 0;
      let wValid = 0;
      let wAll = 0;
      for (let j = 0; j < ty.count[oy]!; j++) {
        const wy = ty.weight[ty.offset[oy]! + j]!;
        const row = (ty.start[oy]! + j) * srcW;
        for (let i = 0; i < tx.count[ox]!; i++) {
          const w = wy * tx.weight[tx.offset[ox]! + i]!;
          const v = src[row + tx.start[ox]! + i]!;
          wAll += w;
          if (ignoreZero && v === 0) continue;
          sum += v * w;
          wValid += w;
        }
      }
      out[oy * dstW + ox] = wValid > 0 && wValid >= minValidFraction * wAll ? sum / wValid : 0;
    }
  }
  return out;
}

export interface DepthResizeOptions {
  /**
   * An output pixel is reported missing unless at least this fraction of its footprint had readings.
   * 0 (default) keeps any reading: averaging a body edge with "missing" must not pull it towards 0 mm.
   */
  readonly minValidFraction?: number;
}

/** Resizes depth, averaging only the valid (non-zero) readings under each output pixel. */
export function resizeDepth(frame: DepthFrame, width: number, height: number, options: DepthResizeOptions = {}): DepthFrame {
  if (frame.width === width && frame.height === height) return frame;
  const v = resample(frame.mm, frame.width, frame.height, width, height, true, options.minValidFraction ?? 0);
  const mm = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) mm[i] = Math.round(v[i]!);
  return { width, height, mm };
}

/** Resizes thermal by plain area averaging (every pixel is a valid temperature). */
export function resizeThermal(frame: ThermalFrame, width: number, height: number): ThermalFrame {
  if (frame.width === width && frame.height === height) return frame;
  const v = resample(frame.celsius, frame.width, frame.height, width, height, false, 0);
  return { width, height, celsius: Float32Array.from(v) };
}

/**
 * Rejects a resize that would stretch the picture: a 4:3 sensor squeezed into 16:9 changes body
 * proportions, which is exactly what a pose model keys on.
 */
export function checkAspect(file: string, from: { width: number; height: number }, to: { width: number; height: number }, tolerance = 0.05): void {
  const a = from.width / from.height;
  const b = to.width / to.height;
  if (Math.abs(a / b - 1) > tolerance) {
    throw new FrameError(file, 'resolution', `${from.width}×${from.height} (aspect ${a.toFixed(2)}) cannot be resized to ${to.width}×${to.height} (aspect ${b.toFixed(2)}) without distortion`);
  }
}

/** Rejects a frame whose size differs from the one expected (e.g. the rest of its set). */
export function checkResolution(file: string, actual: { width: number; height: number }, expected: { width: number; height: number }): void {
  if (actual.width !== expected.width || actual.height !== expected.height) {
    throw new FrameError(file, 'resolution', `frame is ${actual.width}×${actual.height}, expected ${expected.width}×${expected.height}`);
  }
}
