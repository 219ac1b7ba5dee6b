/**
 * TFLite's fixed-point requantization (tensorflow/lite/kernels/internal/common.h, quantization_util.cc,
 * gemmlowp/fixedpoint). Every int8 kernel, the firmware blob writer and the C runtime share these exact
 * semantics, so a float scale becomes an int32 multiplier + power-of-two shift once, here, and devices
 * never see a float.
 *
 * The 64-bit products are computed exactly with doubles split into 16-bit halves (no BigInt in the hot
 * path); test/compress/fixedPoint.test.ts checks them against a BigInt model of the C code.
 */

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO_31 = 2147483648;

export interface QuantizedMultiplier {
  /** Q31 mantissa in [2^30, 2^31) (or 0). */
  readonly multiplier: number;
  /** Power-of-two exponent: positive = left shift, negative = right shift. */
  readonly shift: number;
}

/** C's frexp: x = m * 2^e with |m| in [0.5, 1). */
function frexp(x: number): { mantissa: number; exponent: number } {
  if (x === 0 || !Number.isFinite(x)) return { mantissa: x, exponent: 0 };
  let exponent = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1);
  let mantissa = x * 2 ** -exponent;
  // log2 can be off by one near powers of two; fix up so |m| lands in [0.5, 1).
  while (Math.abs(mantissa) < 0.5) {
    mantissa *= 2;
    exponent -= 1;
  }
  while (Math.abs(mantissa) >= 1) {
    mantissa /= 2;
    exponent += 1;
  }
  return { mantissa, exponent };
}

/** std::round: halves away from zero (Math.round rounds -2.5 to -2). */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** TFLite QuantizeMultiplier. */
export function quantizeMultiplier(realMultiplier: number): QuantizedMultiplier {
  if (realMultiplier === 0) return { multiplier: 0, shift: 0 };
  if (!(realMultiplier > 0) || !Number.isFinite(realMultiplier)) {
    throw new RangeError(`quantizeMultiplier: multiplier must be a positive finite number, got ${realMultiplier}`);
  }
  const { mantissa, exponent } = frexp(realMultiplier);
  let shift = exponent;
  let qFixed = roundHalfAwayFromZero(mantissa * TWO_31);
  if (qFixed === TWO_31) {
    qFixed /= 2;
    shift += 1;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: qFixed, shift };
}

/** TFLite QuantizeMultiplierGreaterThanOne (softmax input scaling): shift must come out ≥ 0. */
export function quantizeMultiplierGreaterThanOne(realMultiplier: number): QuantizedMultiplier {
  if (!(realMultiplier > 1)) throw new RangeError(`multiplier must be > 1, got ${realMultiplier}`);
  return quantizeMultiplier(realMultiplier);
}

/** TFLite QuantizeMultiplierSmallerThanOneExp (add): shift must come out ≤ 0. */
export function quantizeMultiplierSmallerThanOne(realMultiplier: number): QuantizedMultiplier {
  if (!(realMultiplier > 0 && realMultiplier < 1)) throw new RangeError(`multiplier must be in (0, 1), got ${realMultiplier}`);
  return quantizeMultiplier(realMultiplier);
}


/**
 * gemmlowp SaturatingRoundingDoublingHighMul: (a * b * 2 + 2^31 rounding nudge) >> 32 with the division
 * truncating toward zero, saturating the single overflow case a = b = INT32_MIN.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  // ab = a*bh*2^16 + a*bl, each part exact in a double (|part| < 2^47).
  const bh = b >> 16;
  const bl = b & 0xffff;
  const hi = a * bh;
  const lo = a * bl;
  const nudge = a * b >= 0 ? 1 << 30 : 1 - (1 << 30);
  // hi * 2^16 = q1 * 2^31 + r1 * 2^16 with r1 in [0, 2^15); the rest stays below 2^53.
  const q1 = Math.floor(hi / 32768);
  const r1 = hi - q1 * 32768;
  const t = r1 * 65536 + lo + nudge;
  const floorT = Math.floor(t / TWO_31);
  const remT = t - floorT * TWO_31;
  let quotient = q1 + floorT; // floor((ab + nudge) / 2^31)
  if (quotient < 0 && remT !== 0) quotient += 1; // C division truncates toward zero
  return quotient;
}

/** gemmlowp RoundingDivideByPOT: arithmetic shift right rounding half away from zero. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent < 0 || exponent > 31) throw new RangeError(`exponent ${exponent} outside [0, 31]`);
  if (exponent === 0) return x;
  const mask = exponent === 31 ? 0x7fffffff : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * TFLite MultiplyByQuantizedMultiplier, single-rounding variant (TFLITE_SINGLE_ROUNDING, as in CMSIS-NN's
 * arm_nn_requantize): round(x · M / 2^(31 − shift)) with halves rounded up, in one step:
 *   total = 31 − shift; result = (x · M + 2^(total − 1)) >> total   (int64, arithmetic shift).
 * Why not TFLite's default double rounding (SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT)?
 * Its first rounding lands on a tie for about 2^−rightShift of all values and then rounds the wrong way,
 * so it differs from the exact result (and from onnxruntime, which rounds the exact product) on ~0.4 %
 * of outputs; those 1-LSB differences compound through layers. One rounding agrees with onnxruntime
 * except at exact ties, and costs one 32×32→64 multiply on the device (rv32imc: mul + mulh).
 *
 * The int64 arithmetic is done exactly in doubles by splitting M into 16-bit halves (no BigInt in the
 * hot path); test/compress/fixedPoint.test.ts checks it against a BigInt transcription of the C code.
 * The caller guarantees that the result fits int32 (it does for every requantization we generate).
 */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  if (shift < -31 || shift > 30) throw new RangeError(`multiplyByQuantizedMultiplier: shift ${shift} outside [-31, 30]`);
  const total = 31 - shift;
  const a = x * (multiplier >>> 16); // |a| < 2^46
  const b = x * (multiplier & 0xffff); // |b| < 2^47
  if (total > 16) {
    // floor((a·2^16 + b + 2^(total−1)) / 2^total) = floor((a + floor(b / 2^16) + 2^(total−17)) / 2^(total−16)).
    return Math.floor((a + Math.floor(b / 65536) + 2 ** (total - 17)) / 2 ** (total - 16));
  }
  // total ≤ 16: a·2^(16−total) is the integer part's bulk and fits because the result fits int32.
  return a * 2 ** (16 - total) + Math.floor((b + 2 ** (total - 1)) / 2 ** total);
}

/** gemmlowp SaturatingRoundingMultiplyByPOT: left shifts saturate, right shifts round. */
export function saturatingRoundingMultiplyByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  if (exponent < 0) return roundingDivideByPOT(x, -exponent);
  const threshold = (1 << (31 - exponent)) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * 2 ** exponent;
}
