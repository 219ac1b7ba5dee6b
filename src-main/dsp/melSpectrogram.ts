import type { AudioFeatureParams } from '../models/packageMeta';
import { resample } from './resample';
import { melFilterbank, type MelFilterbank } from './melFilterbank';
import { PowerSpectrum } from './powerSpectrum';

export { DEFAULT_AUDIO_FEATURES, AUDIO_MODALITIES, type AudioModality } from './audioFeatureDefaults';

/** Model input: `data` is [frames, melBands], time-major (row = one 10 ms frame), natural-log mel power. */
export interface LogMelFeatures {
  readonly data: Float32Array;
  readonly frames: number;
  readonly melBands: number;
  /** Frames of real audio that went into the output after trimming, before crop/pad (for quality checks). */
  readonly contentFrames: number;
}

export class FeatureParamsError extends Error {
  override readonly name = 'FeatureParamsError';
}

export const DEFAULT_LOG_FLOOR = 1e-10;

interface Plan {
  readonly windowLength: number;
  readonly hop: number;
  readonly window: Float32Array;
  readonly spectrum: PowerSpectrum;
  readonly bank: MelFilterbank;
}

const plans = new Map<string, Plan>();

/** Rejects parameter sets that would silently compute something else on the device. */
function planFor(p: AudioFeatureParams): Plan {
  const key = JSON.stringify([p.sampleRate, p.windowMs, p.hopMs, p.fftSize, p.melBands, p.fMin, p.fMax]);
  const cached = plans.get(key);
  if (cached) return cached;
  const windowLength = Math.round((p.windowMs * p.sampleRate) / 1000);
  const hop = Math.round((p.hopMs * p.sampleRate) / 1000);
  if (windowLength < 2 || hop < 1) throw new FeatureParamsError(`windowMs ${p.windowMs} / hopMs ${p.hopMs} are too short at ${p.sampleRate} Hz`);
  if ((p.fftSize & (p.fftSize - 1)) !== 0 || p.fftSize < windowLength) {
    throw new FeatureParamsError(`fftSize ${p.fftSize} must be a power of two ≥ the ${windowLength}-sample window`);
  }
  if (!(p.fMin < p.fMax && p.fMax <= p.sampleRate / 2)) throw new FeatureParamsError(`need fMin < fMax ≤ ${p.sampleRate / 2} Hz (got ${p.fMin}–${p.fMax})`);
  // Periodic Hann: the window used by librosa/torchaudio, so features can be cross-checked against them.
  const window = new Float32Array(windowLength);
  for (let i = 0; i < windowLength; i++) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / windowLength);
  const plan = { windowLength, hop, window, spectrum: new PowerSpectrum(p.fftSize), bank: melFilterbank(p) };
  plans.set(key, plan);
  return plan;
}

/** Mel power (linear) of every frame, [count, melBands], frames snipped at the edges (no centre padding). */
export function melPowerFrames(samples: Float32Array, params: AudioFeatureParams): { power: Float32Array; count: number } {
  const { windowLength, hop, window, spectrum, bank } = planFor(params);
  const count = samples.length < windowLength ? (samples.length > 0 ? 1 : 0) : 1 + Math.floor((samples.length - windowLength) / hop);
  const bands = params.melBands;
  const power = new Float32Array(count * bands);
  const frame = new Float64Array(params.fftSize);
  const spec = new Float64Array(params.fftSize / 2 + 1);
  for (let f = 0; f < count; f++) {
    const at = f * hop;
    const n = Math.min(windowLength, samples.length - at);
    for (let i = 0; i < n; i++) frame[i] = samples[at + i]! * window[i]!;
    frame.fill(0, n);
    spectrum.compute(frame, spec);
    const row = f * bands;
    for (let b = 0; b < bands; b++) {
      const { start, weights } = bank.filters[b]!;
      let acc = 0;
      for (let j = 0; j < weights.length; j++) acc += weights[j]! * spec[start + j]!;
      power[row + b] = acc;
    }
  }
  return { power, count };
}

/** First and one-past-last frame within `trimDb` of the loudest frame; silence inside the sound is kept. */
function trimRange(power: Float32Array, count: number, bands: number, trimDb: number | undefined): [number, number] {
  if (trimDb === undefined || count === 0) return [0, count];
  const energy = new Float64Array(count);
  let max = 0;
  for (let f = 0; f < count; f++) {
    let e = 0;
    for (let b = 0; b < bands; b++) e += power[f * bands + b]!;
    energy[f] = e;
    if (e > max) max = e;
  }
  if (max === 0) return [0, count];
  const threshold = max * 10 ** (-Math.abs(trimDb) / 10);
  let first = 0;
  while (energy[first]! < threshold) first++;
  let end = count;
  while (energy[end - 1]! < threshold) end--;
  return [first, end];
}

/**
 * Log-mel spectrogram exactly as described by `params` (the same object stored in the model package).
 * Samples are mono floats in [-1, 1]; if `sampleRate` differs from `params.sampleRate` they are resampled.
 * Leading/trailing silence is trimmed (`trimDb`), then the middle `params.frames` frames are kept, or the
 * content is centred between rows of silence (log of `logFloor`).
 */
export function logMelSpectrogram(samples: Float32Array, params: AudioFeatureParams, sampleRate: number = params.sampleRate): LogMelFeatures {
  return logMelCrops(samples, params, sampleRate, [0.5])[0]!;
}

/**
 * Several `params.frames`-long crops of one recording's trimmed content, computed from one spectrogram.
 * `positions` run from 0 (crop at the start of the sound) to 1 (at its end); 0.5 is the centre crop that
 * inference and the devices use. Training takes several positions so a long recording (counting to 20)
 * teaches the model more than its middle seconds.
 */
export function logMelCrops(samples: Float32Array, params: AudioFeatureParams, sampleRate: number, positions: readonly number[]): LogMelFeatures[] {
  const input = sampleRate === params.sampleRate ? samples : resample(samples, sampleRate, params.sampleRate);
  const bands = params.melBands;
  const { power, count } = melPowerFrames(input, params);
  const [first, end] = trimRange(power, count, bands, params.trimDb);
  const content = end - first;
  const frames = params.frames;
  const floor = params.logFloor ?? DEFAULT_LOG_FLOOR;
  const take = Math.min(content, frames);
  const dstStart = Math.floor((frames - take) / 2);
  return positions.map((position) => {
    const data = new Float32Array(frames * bands).fill(Math.log(floor));
    const srcStart = first + Math.floor((content - take) * Math.min(1, Math.max(0, position)));
    for (let f = 0; f < take; f++) {
      const src = (srcStart + f) * bands;
      const dst = (dstStart + f) * bands;
      for (let b = 0; b < bands; b++) {
        const v = power[src + b]!;
        data[dst + b] = Math.log(v > floor ? v : floor);
      }
    }
    return { data, frames, melBands: bands, contentFrames: content };
  });
}
