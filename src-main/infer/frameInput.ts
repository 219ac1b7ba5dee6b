/**
 * A depth or thermal frame (file or decoded frame) → the model input for that modality, computed exactly
 * as at training time from the feature parameters stored in the package (size, unit, physical range).
 * A missing or unusable frame becomes an absent modality (filled with "no reading") together with the
 * reason, naming the file, so a pose answer can carry on from the other sensor.
 */
import { loadDepthFile, type DepthFrame } from '../frames/depthFrame';
import { FrameError } from '../frames/frameError';
import { ABSENT_FRAME_VALUE, depthFeatures, thermalFeatures } from '../frames/frameFeatures';
import { loadThermalFile, type ThermalEncoding, type ThermalFrame } from '../frames/thermalFrame';
import type { FrameFeatureParams, ModalitySpec } from '../models/packageMeta';
import type { ModalityInput } from './classify';
import { InferenceError } from './inferenceError';

export interface FrameModalityInput extends ModalityInput {
  /** Why the modality is absent, for the person reading the result. */
  readonly problem?: string;
}

function frameParams(m: ModalitySpec): FrameFeatureParams {
  if (m.features.kind !== 'frame' || (m.kind !== 'depth' && m.kind !== 'thermal')) throw new InferenceError(`modality '${m.name}' is not a depth or thermal frame`);
  return m.features;
}

/** The value an absent frame modality takes (the classifier fills it in and names it as missing). */
export function absentFrameFill(m: ModalitySpec): number {
  frameParams(m);
  return ABSENT_FRAME_VALUE;
}

/** An already decoded frame → model features; throws FrameError (naming `file`) when it cannot be used. */
export function frameFeaturesFor(m: ModalitySpec, frame: DepthFrame | ThermalFrame, file = `${m.name} frame`): Float32Array {
  const f = frameParams(m);
  if (m.kind === 'depth') {
    if (!('mm' in frame)) throw new InferenceError(`modality '${m.name}' takes a depth frame in millimetres, got a thermal frame`);
    return depthFeatures(frame, f, file);
  }
  if (!('celsius' in frame)) throw new InferenceError(`modality '${m.name}' takes a thermal frame in °C, got a depth frame`);
  return thermalFeatures(frame, f, file);
}

export interface FrameFileOptions {
  /** How a thermal file stores temperature when its name does not say (e.g. 8-bit PNG with its range). */
  readonly thermalEncoding?: ThermalEncoding;
}

export async function frameModalityInput(m: ModalitySpec, file: string | undefined, o: FrameFileOptions = {}): Promise<FrameModalityInput> {
  const fill = absentFrameFill(m);
  if (!file) return { features: undefined, fill, problem: `no ${m.name} frame` };
  try {
    const frame = m.kind === 'depth' ? await loadDepthFile(file) : await loadThermalFile(file, o.thermalEncoding ? { encoding: o.thermalEncoding } : {});
    return { features: frameFeaturesFor(m, frame, file), fill };
  } catch (e) {
    if (e instanceof FrameError) return { features: undefined, fill, problem: e.message };
    throw e;
  }
}
