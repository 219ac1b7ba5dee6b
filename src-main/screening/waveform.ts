/** How many min/max pairs the capture step draws: about one per two pixels of the widest waveform strip. */
export const WAVEFORM_PAIRS = 400;

/**
 * A take reduced to min/max pairs over equal slices, so the renderer can draw its shape without the
 * samples (a 12 s take is 192 000 of them). Values are rounded to 1/10 000, which no screen can show.
 */
export function waveformPeaks(samples: Float32Array, pairs: number = WAVEFORM_PAIRS): [number, number][] {
  const n = samples.length;
  if (n === 0) return [];
  const count = Math.min(pairs, n);
  const out: [number, number][] = [];
  for (let p = 0; p < count; p++) {
    const start = Math.floor((p * n) / count);
    const end = Math.max(start + 1, Math.floor(((p + 1) * n) / count));
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = start; i < end; i++) {
      const v = samples[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    out.push([Math.round(lo * 1e4) / 1e4, Math.round(hi * 1e4) / 1e4]);
  }
  return out;
}
