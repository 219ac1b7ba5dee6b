/**
 * Training-time augmentation. Each modality gets its own policy, chosen by its kind: audio log-mel
 * spectrograms get time shift, gain, noise mixing and SpecAugment-style masks; every kind can be
 * dropped now and then so the model learns to answer when a recording is missing or unusable.
 * All draws come from the seeded Random, so an augmented run is reproducible.
 */
import { ABSENT_FRAME_VALUE } from '../frames/frameFeatures';
import type { Random } from './random';

/** Alters one sample of one modality in place. `shape` is [H, W, C] (for audio: frames, mel bands, 1). */
export type ModalityAugmenter = (sample: Float32Array, shape: readonly [number, number, number], random: Random) => void;

export interface LogMelAugmentOptions {
  /** log(logFloor): the value silence has in these features; shifts and masks fill with it. */
  readonly floor: number;
  /** Largest time shift as a share of the frames. */
  readonly maxShift?: number;
  /** Gain range in dB (±). */
  readonly gainDb?: number;
  /** Probability of mixing in noise, and the SNR range in dB. */
  readonly noiseProbability?: number;
  readonly snrDb?: readonly [number, number];
  /** SpecAugment: widest time mask (share of frames) and frequency mask (share of bands). */
  readonly timeMask?: number;
  readonly freqMask?: number;
}

export function logMelAugmenter(o: LogMelAugmentOptions): ModalityAugmenter {
  const maxShift = o.maxShift ?? 0.1;
  const gainDb = o.gainDb ?? 6;
  const noiseProbability = o.noiseProbability ?? 0.3;
  const [snrLo, snrHi] = o.snrDb ?? [10, 30];
  const timeMask = o.timeMask ?? 0.1;
  const freqMask = o.freqMask ?? 0.15;
  return (x, [frames, bands], random) => {
    // Time shift: the sound starts a little earlier or later within the window.
    const shift = Math.round((random.next() * 2 - 1) * maxShift * frames);
    if (shift !== 0) {
      const copy = x.slice();
      x.fill(o.floor);
      for (let f = 0; f < frames; f++) {
        const src = f - shift;
        if (src >= 0 && src < frames) x.set(copy.subarray(src * bands, (src + 1) * bands), f * bands);
      }
    }
    // Gain: a multiplicative change in power is an additive one in log power; silence stays silence.
    const gain = ((random.next() * 2 - 1) * gainDb * Math.LN10) / 10;
    for (let i = 0; i < x.length; i++) if (x[i]! > o.floor) x[i] = x[i]! + gain;
    // Noise mixing at a random SNR, in the power domain, as a room's noise adds to the sound.
    if (random.next() < noiseProbability) {
      let mean = 0;
      for (let i = 0; i < x.length; i++) mean += Math.exp(x[i]!);
      mean /= x.length;
      const snr = snrLo + random.next() * (snrHi - snrLo);
      const noise = mean * 10 ** (-snr / 10);
      for (let i = 0; i < x.length; i++) x[i] = Math.log(Math.exp(x[i]!) + noise * (0.5 + random.next()));
    }
    // SpecAugment: one time band and one frequency band set to the sample's mean.
    let mean = 0;
    for (let i = 0; i < x.length; i++) mean += x[i]!;
    mean /= x.length;
    const tw = random.int(Math.max(1, Math.round(timeMask * frames)) + 1);
    const t0 = random.int(Math.max(1, frames - tw + 1));
    for (let f = t0; f < t0 + tw; f++) x.fill(mean, f * bands, (f + 1) * bands);
    const fw = random.int(Math.max(1, Math.round(freqMask * bands)) + 1);
    const f0 = random.int(Math.max(1, bands - fw + 1));
    for (let f = 0; f < frames; f++) x.fill(mean, f * bands + f0, f * bands + f0 + fw);
  };
}

/** Frames (depth, thermal): small shifts, flips and intensity jitter; range effects are already in the data. */
export function frameAugmenter(o: { readonly maxShift?: number; readonly jitter?: number } = {}): ModalityAugmenter {
  const maxShift = o.maxShift ?? 0.08;
  const jitter = o.jitter ?? 0.05;
  return (x, [h, w, c], random) => {
    const dy = Math.round((random.next() * 2 - 1) * maxShift * h);
    const dx = Math.round((random.next() * 2 - 1) * maxShift * w);
    const flip = random.next() < 0.5;
    const copy = x.slice();
    const scale = 1 + (random.next() * 2 - 1) * jitter;
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const sy = Math.min(h - 1, Math.max(0, y - dy));
        const sxRaw = Math.min(w - 1, Math.max(0, xx - dx));
        const sx = flip ? w - 1 - sxRaw : sxRaw;
        for (let k = 0; k < c; k++) x[(y * w + xx) * c + k] = copy[(sy * w + sx) * c + k]! * scale;
      }
    }
  };
}

export interface SampleAugmenter {
  readonly perModality: readonly (ModalityAugmenter | undefined)[];
  /** Probability that one modality of a sample is replaced by its silence value. */
  readonly dropModality?: number;
  /** The value each modality is filled with when dropped (silence for audio, "no reading" for frames). */
  readonly fill: readonly number[];
}

/** Augments sample `k` of every modality in place (the arrays are batch copies). */
export function augmentSample(a: SampleAugmenter, batch: readonly Float32Array[], shapes: readonly (readonly [number, number, number])[], k: number, random: Random): void {
  const dropped = a.dropModality && batch.length > 1 && random.next() < a.dropModality ? random.int(batch.length) : -1;
  batch.forEach((values, m) => {
    const shape = shapes[m]!;
    const size = shape[0] * shape[1] * shape[2];
    const sample = values.subarray(k * size, (k + 1) * size);
    if (m === dropped) sample.fill(a.fill[m]!);
    else a.perModality[m]?.(sample, shape, random);
  });
}

/**
 * Depth + thermal samples: each frame shifts and flips on its own (the branches meet only after global
 * pooling, and real modules are never perfectly aligned), one modality now and then goes missing. No
 * intensity jitter: scaling normalised depth rescales the room's metric distances, and the generator
 * already draws each thermal sensor's offset and drift (pose teacher 79.7 % without it, 79.0 % with). A
 * dropped frame reads "no reading", as an absent sensor does at inference.
 */
export function depthThermalAugmenter(): SampleAugmenter {
  return { perModality: [frameAugmenter({ jitter: 0 }), frameAugmenter({ jitter: 0 })], dropModality: 0.1, fill: [ABSENT_FRAME_VALUE, ABSENT_FRAME_VALUE] };
}
