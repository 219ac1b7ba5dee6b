/**
 * Seeded PRNG (sfc32, Chris Doty-Humphrey's Small Fast Counting generator): 128-bit state, passes
 * PractRand, and is plain 32-bit integer math, so the same seed gives the same bytes on every machine.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seeds from any list of numbers/strings, e.g. (datasetSeed, sampleIndex), via a string hash. */
  constructor(...seed: readonly (number | string)[]) {
    const [a, b, c, d] = hash128(seed.join('\u0001'));
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    // The first outputs still correlate with the hash; discard them as the sfc32 authors recommend.
    for (let i = 0; i < 15; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Picks by relative weights: weighted([['a', 3], ['b', 1]]) returns 'a' 75 % of the time. */
  weighted<T>(options: readonly (readonly [T, number])[]): T {
    const total = options.reduce((s, o) => s + o[1], 0);
    let r = this.next() * total;
    for (const [v, w] of options) if ((r -= w) < 0) return v;
    return options[options.length - 1]![0];
  }

  /** Gaussian via Box–Muller (one value per call keeps the stream position simple to reason about). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** cyrb128: a fast 128-bit string hash, good enough to spread nearby seeds (1, 2, 3…) apart. */
function hash128(s: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < s.length; i++) {
    const k = s.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}
