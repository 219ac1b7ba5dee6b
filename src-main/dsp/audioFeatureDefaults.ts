import type { AudioFeatureParams } from '../models/packageMeta';

/** The three audio modalities a screening takes (Coswara protocol). */
export type AudioModality = 'cough' | 'speech' | 'breathing';
export const AUDIO_MODALITIES: readonly AudioModality[] = ['cough', 'speech', 'breathing'];

const common = {
  kind: 'logMel',
  sampleRate: 16000,
  windowMs: 25,
  hopMs: 10,
  fftSize: 512,
  melBands: 40,
  fMin: 0,
  fMax: 8000,
  // Leading/trailing frames 40 dB under the loudest are the pause before and after the sound.
  trimDb: 40,
  // About 60 dB under a quiet room's noise in these units: far enough not to matter, near enough that the
  // padding does not stretch the int8 input range.
  logFloor: 1e-6,
} as const;

/**
 * Frame counts follow what each sound needs once silence is trimmed: a burst of coughs fits in 2 s,
 * counting needs several words to carry voice quality, and one slow breath cycle lasts about 4 s.
 */
export const DEFAULT_AUDIO_FEATURES: Readonly<Record<AudioModality, AudioFeatureParams>> = {
  cough: { ...common, frames: 200 },
  speech: { ...common, frames: 300 },
  breathing: { ...common, frames: 400 },
};
