import { hzToMel, melToHz } from './melScale';

/**
 * Triangular filters equally spaced on the mel scale, each peaking at 1 (no area normalisation), so
 * neighbouring filters sum to exactly 1 between the first and last centre: energy is neither created nor
 * lost across the band. Stored sparsely because each filter touches only a few FFT bins.
 */
export interface MelFilter {
  /** First FFT bin with a non-zero weight. */
  readonly start: number;
  readonly weights: Float32Array;
}

export interface MelFilterbank {
  readonly sampleRate: number;
  readonly fftSize: number;
  /** bands + 2 frequencies in Hz: edge i is the lower edge of filter i, the centre of i-1, the top of i-2. */
  readonly edgesHz: Float64Array;
  readonly filters: readonly MelFilter[];
}

export interface MelFilterbankSpec {
  readonly sampleRate: number;
  readonly fftSize: number;
  readonly melBands: number;
  readonly fMin: number;
  readonly fMax: number;
}

export function melFilterbank(spec: MelFilterbankSpec): MelFilterbank {
  const { sampleRate, fftSize, melBands, fMin, fMax } = spec;
  const lo = hzToMel(fMin);
  const step = (hzToMel(fMax) - lo) / (melBands + 1);
  const edgesHz = new Float64Array(melBands + 2);
  for (let i = 0; i < edgesHz.length; i++) edgesHz[i] = melToHz(lo + i * step);
  edgesHz[edgesHz.length - 1] = fMax; // exact, not 7999.999…
  const binHz = sampleRate / fftSize;
  const bins = fftSize / 2 + 1;
  const filters: MelFilter[] = [];
  for (let b = 0; b < melBands; b++) {
    const left = edgesHz[b]!;
    const centre = edgesHz[b + 1]!;
    const right = edgesHz[b + 2]!;
    const first = Math.max(0, Math.ceil(left / binHz));
    const last = Math.min(bins - 1, Math.floor(right / binHz));
    const weights: number[] = [];
    for (let k = first; k <= last; k++) {
      const f = k * binHz;
      weights.push(Math.max(0, Math.min((f - left) / (centre - left), (right - f) / (right - centre))));
    }
    filters.push({ start: first, weights: Float32Array.from(weights) });
  }
  return { sampleRate, fftSize, edgesHz, filters };
}
