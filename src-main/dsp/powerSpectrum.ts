import FFT from 'fft.js';

/**
 * |X[k]|² for k = 0 … N/2 of a real frame, via fft.js (radix-4, the fastest well-kept pure-JS FFT).
 * One instance per FFT size holds the twiddle table and scratch buffers so the per-frame path allocates nothing.
 */
export class PowerSpectrum {
  readonly size: number;
  private readonly fft: FFT;
  private readonly complex: number[];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 4 || (size & (size - 1)) !== 0) {
      throw new RangeError(`FFT size must be a power of two ≥ 4 (got ${size})`);
    }
    this.size = size;
    this.fft = new FFT(size);
    this.complex = this.fft.createComplexArray() as number[];
  }

  /** `frame` has `size` real samples; `out` receives size/2 + 1 powers, unnormalised (Parseval: Σ|X|² = N·Σx²). */
  compute(frame: Float32Array | Float64Array, out: Float32Array | Float64Array): void {
    this.fft.realTransform(this.complex, frame);
    const c = this.complex;
    const half = this.size / 2;
    for (let k = 0; k <= half; k++) {
      const re = c[2 * k]!;
      const im = c[2 * k + 1]!;
      out[k] = re * re + im * im;
    }
  }
}
