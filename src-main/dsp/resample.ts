/**
 * Band-limited sample-rate conversion by a polyphase windowed-sinc filter (Kaiser window).
 *
 * Recordings arrive at 44.1/48 kHz from phones and laptops but the models see 16 kHz. Dropping samples
 * would fold everything above 8 kHz back into the band the model listens to, so the low-pass filter runs
 * at the lower of the two Nyquist frequencies before decimation.
 */
export interface ResamplerDesign {
  /** Sinc zero crossings on each side of the centre tap: more = sharper transition, more work. */
  readonly zeroCrossings: number;
  /** Cut-off as a fraction of the lower Nyquist frequency; below 1 so the transition band ends near Nyquist. */
  readonly cutoff: number;
  /** Kaiser β: 8.6 gives about 90 dB stop-band attenuation. */
  readonly kaiserBeta: number;
}

export const DEFAULT_RESAMPLER: ResamplerDesign = { zeroCrossings: 32, cutoff: 0.9, kaiserBeta: 8.6 };

/**
 * Largest ratio between the input and output rates, either way: 4 kHz ↔ 384 kHz, the span of audio rates
 * the WAV importer accepts. A larger ratio means a wrong rate, and its output (1 Hz → 16 kHz turns 40 KB
 * into 1.4 GB) would be sized by the error, not by the input.
 */
export const MAX_RATE_RATIO = 96;

/**
 * Most taps in one polyphase table (2 MB of float32, built in tens of milliseconds). Every pair of common
 * rates (8 kHz … 384 kHz, 11.025 kHz family included) fits exactly, the largest being 11.025 → 384 kHz at
 * 368 640 taps. A rate such as 44 101 Hz needs 16 000 phases (3 M taps, 12 MB); its ratio is approximated
 * instead (see `nearestRatio`).
 */
export const MAX_POLYPHASE_TAPS = 1 << 19;

/**
 * Most output samples one call may produce (512 MB of float32; 10 minutes at 192 kHz is 115 M). With the
 * ratio bounded this only binds when a caller asks for a rate far above any model's (a target rate read
 * from a damaged model package), which must fail with a message rather than try a 10 GB allocation.
 */
export const MAX_OUTPUT_SAMPLES = 2 ** 27;

/** Tables kept for reuse: a session meets a handful of rates, and a crafted rate must not pin memory for ever. */
const MAX_CACHED_TABLES = 8;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * The fraction closest to `n / d` whose denominator is at most `maxDen` (continued fractions with the
 * best semiconvergent, as Python's `Fraction.limit_denominator`). Used only when the exact ratio needs more
 * than `MAX_POLYPHASE_TAPS`: the output then runs at most 70 ppm fast or slow (44 097 → 22 050 Hz is the
 * worst case over every rate from 4 to 384 kHz into 8, 16, 22.05, 44.1 or 48 kHz), inside the ±100 ppm a
 * recorder's clock may be off anyway and far below what anyone can hear (a semitone is about 59 000 ppm).
 */
export function nearestRatio(n: number, d: number, maxDen: number): [number, number] {
  let [p0, q0, p1, q1] = [0, 1, 1, 0];
  let [num, den] = [n, d];
  while (den !== 0) {
    const a = Math.floor(num / den);
    const q2 = q0 + a * q1;
    if (q2 > maxDen) break;
    [p0, q0, p1, q1] = [p1, q1, p0 + a * p1, q2];
    [num, den] = [den, num - a * den];
  }
  if (den === 0) return [p1, q1];
  const k = Math.floor((maxDen - q0) / q1);
  const semi: [number, number] = [p0 + k * p1, q0 + k * q1];
  const x = n / d;
  return Math.abs(p1 / q1 - x) <= Math.abs(semi[0] / semi[1] - x) ? [p1, q1] : semi;
}

/** Modified Bessel function of the first kind, order 0 (series form; converges fast for β < 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/** The shape of a polyphase filter: `up` phases stepping `down` input samples per `up` outputs. */
export interface PolyphaseShape {
  readonly up: number;
  readonly down: number;
  /** Half-width in input samples; each phase has 2·halfWidth taps. */
  readonly halfWidth: number;
  /** Cut-off in cycles per input sample. */
  readonly fc: number;
}

interface PolyphaseTable extends PolyphaseShape {
  readonly taps: Float32Array;
}

/**
 * The filter `resample` builds for these rates, without building it: the exact reduced ratio when its
 * table fits in `MAX_POLYPHASE_TAPS`, the nearest ratio that fits otherwise.
 */
export function polyphaseShape(fromRate: number, toRate: number, design: ResamplerDesign = DEFAULT_RESAMPLER): PolyphaseShape {
  const fc = (design.cutoff * Math.min(fromRate, toRate)) / 2 / fromRate;
  const halfWidth = Math.ceil(design.zeroCrossings / (2 * fc));
  const width = 2 * halfWidth;
  const maxPhases = Math.floor(MAX_POLYPHASE_TAPS / width);
  if (!(maxPhases >= 1)) throw new RangeError(`resample: a filter of ${width} taps for ${fromRate} → ${toRate} Hz exceeds the ${MAX_POLYPHASE_TAPS}-tap table limit (use fewer zero crossings)`);
  const g = gcd(fromRate, toRate);
  if (toRate / g <= maxPhases) return { up: toRate / g, down: fromRate / g, halfWidth, fc };
  const [down, up] = nearestRatio(fromRate, toRate, maxPhases);
  return { up, down, halfWidth, fc };
}

const tableCache = new Map<string, PolyphaseTable>();

function polyphaseTable(fromRate: number, toRate: number, design: ResamplerDesign): PolyphaseTable {
  const key = `${fromRate}/${toRate}/${design.zeroCrossings}/${design.cutoff}/${design.kaiserBeta}`;
  const cached = tableCache.get(key);
  if (cached) return cached;
  const { up, down, halfWidth, fc } = polyphaseShape(fromRate, toRate, design);
  const width = 2 * halfWidth;
  const taps = new Float32Array(up * width);
  const i0Beta = besselI0(design.kaiserBeta);
  for (let p = 0; p < up; p++) {
    const frac = p / up;
    let sum = 0;
    for (let j = 0; j < width; j++) {
      const t = j - halfWidth + 1 - frac; // distance from the output instant, in input samples
      const r = t / halfWidth;
      const window = Math.abs(r) >= 1 ? 0 : besselI0(design.kaiserBeta * Math.sqrt(1 - r * r)) / i0Beta;
      const x = 2 * fc * t;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const h = 2 * fc * sinc * window;
      taps[p * width + j] = h;
      sum += h;
    }
    // Unit DC gain per phase keeps a constant level exact whatever the fractional position.
    for (let j = 0; j < width; j++) taps[p * width + j]! /= sum;
  }
  const table = { up, down, halfWidth, fc, taps };
  if (tableCache.size >= MAX_CACHED_TABLES) tableCache.delete(tableCache.keys().next().value!);
  tableCache.set(key, table);
  return table;
}

/**
 * Resamples `input` (at `fromRate` Hz) to `toRate` Hz. Same rate returns a copy. Whatever the rates, the
 * output is at most `MAX_RATE_RATIO` times the input's length and at most `MAX_OUTPUT_SAMPLES`, and the
 * filter table at most `MAX_POLYPHASE_TAPS`; a conversion beyond those throws a RangeError first.
 */
export function resample(input: Float32Array, fromRate: number, toRate: number, design: ResamplerDesign = DEFAULT_RESAMPLER): Float32Array {
  if (!(Number.isInteger(fromRate) && Number.isInteger(toRate) && fromRate > 0 && toRate > 0)) {
    throw new RangeError(`resample: sample rates must be positive integers (got ${fromRate} → ${toRate})`);
  }
  if (fromRate === toRate) return input.slice();
  if (toRate > fromRate * MAX_RATE_RATIO || fromRate > toRate * MAX_RATE_RATIO) {
    throw new RangeError(`resample: ${fromRate} Hz → ${toRate} Hz is a ratio beyond 1:${MAX_RATE_RATIO}, wider than any two audio rates (4–384 kHz); the input's sample rate is wrong`);
  }
  const { up, down, halfWidth, taps } = polyphaseTable(fromRate, toRate, design);
  const n = input.length;
  const outLength = Math.round((n * up) / down);
  if (outLength > MAX_OUTPUT_SAMPLES) {
    throw new RangeError(`resample: ${n} samples at ${fromRate} Hz would become ${outLength} at ${toRate} Hz, more than the ${MAX_OUTPUT_SAMPLES} one conversion may produce`);
  }
  const out = new Float32Array(outLength);
  const width = 2 * halfWidth;
  for (let o = 0; o < outLength; o++) {
    const pos = o * down;
    const i = Math.floor(pos / up);
    const phase = pos - i * up;
    const base = phase * width;
    const first = i - halfWidth + 1;
    let acc = 0;
    if (first >= 0 && first + width <= n) {
      // Four independent sums let the CPU overlap the multiply-adds: ~1.5× faster on 44.1/48 kHz input
      // (bench/features.ts), and the result differs from one running sum only in the last float64 bits.
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let j = 0;
      for (; j + 3 < width; j += 4) {
        a0 += taps[base + j]! * input[first + j]!;
        a1 += taps[base + j + 1]! * input[first + j + 1]!;
        a2 += taps[base + j + 2]! * input[first + j + 2]!;
        a3 += taps[base + j + 3]! * input[first + j + 3]!;
      }
      for (; j < width; j++) a0 += taps[base + j]! * input[first + j]!;
      acc = a0 + a1 + (a2 + a3);
    } else {
      // Near the ends the signal is taken as zero outside the recording.
      const lo = Math.max(0, -first);
      const hi = Math.min(width, n - first);
      for (let j = lo; j < hi; j++) acc += taps[base + j]! * input[first + j]!;
    }
    out[o] = acc;
  }
  return out;
}
