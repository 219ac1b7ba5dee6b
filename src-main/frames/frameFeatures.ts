/**
 * A depth or thermal frame → the model's input values, from the feature parameters a package records
 * (size, unit, physical range). Training and inference both call these, so a frame is normalised the
 * same way on both sides: a fixed physical range (never per-frame statistics, which would erase the
 * distance and warmth the model keys on) linearly mapped to 0…1 and clipped.
 */
import type { FrameFeatureParams } from '../models/packageMeta';
import type { DepthFrame } from './depthFrame';
import { FrameError } from './frameError';
import { checkAspect, resizeDepth, resizeThermal } from './resize';
import type { ThermalFrame } from './thermalFrame';

/**
 * What a missing depth pixel (0 mm, "no reading") and an absent modality become: the bottom of the
 * range. Nothing real is nearer than a sensor's minimum range, so with min = 0 mm it stays distinct
 * from every true reading, and a wholly absent frame reads as "the sensor saw nothing".
 */
export const ABSENT_FRAME_VALUE = 0;

function checkParams(f: FrameFeatureParams, expected: FrameFeatureParams['unit'], what: string): void {
  if (f.unit !== expected) throw new Error(`${what} features must be in ${expected}, the package says ${f.unit}`);
  if (!(f.max > f.min)) throw new Error(`${what} features: max (${f.max}) must be above min (${f.min})`);
}

function normalise(values: ArrayLike<number>, f: FrameFeatureParams, missingIsZero: boolean): Float32Array {
  const out = new Float32Array(values.length);
  const span = f.max - f.min;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = missingIsZero && v === 0 ? ABSENT_FRAME_VALUE : Math.min(1, Math.max(0, (v - f.min) / span));
  }
  return out;
}

/** Depth in millimetres → [H, W, 1] floats; `file` names the frame in errors. */
export function depthFeatures(frame: DepthFrame, f: FrameFeatureParams, file = 'depth frame'): Float32Array {
  checkParams(f, 'mm', 'depth');
  let d = frame;
  if (d.width !== f.width || d.height !== f.height) {
    checkAspect(file, d, f);
    d = resizeDepth(d, f.width, f.height);
  }
  return normalise(d.mm, f, true);
}

/** Thermal in °C → [H, W, 1] floats; `file` names the frame in errors. */
export function thermalFeatures(frame: ThermalFrame, f: FrameFeatureParams, file = 'thermal frame'): Float32Array {
  checkParams(f, 'celsius', 'thermal');
  let t = frame;
  if (t.width !== f.width || t.height !== f.height) {
    checkAspect(file, t, f);
    t = resizeThermal(t, f.width, f.height);
  }
  for (let i = 0; i < t.celsius.length; i++) {
    if (!Number.isFinite(t.celsius[i]!)) throw new FrameError(file, 'out-of-range', `temperature at pixel ${i} is not a number`);
  }
  return normalise(t.celsius, f, false);
}
