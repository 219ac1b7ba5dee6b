/**
 * int8 softmax over the last axis, exactly TFLite's reference (reference/softmax.h, quantized path) built
 * on gemmlowp fixed point: exp of the scaled difference to the row max in Q5.26, sum in Q12.19,
 * Newton–Raphson reciprocal, output scale 1/256 with zero point −128.
 */
import {
  INT32_MAX,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul as mul,
  saturatingRoundingMultiplyByPOT,
} from '../compress/fixedPoint';
import type { SoftmaxRequant } from './requant';

const ACCUMULATION_INTEGER_BITS = 12;

/** exp(a) for a in [−1/4, 0), a and result with 0 integer bits (gemmlowp, Taylor series around −1/8). */
function expOnIntervalBetweenNegativeOneQuarterAnd0Excl(a: number): number {
  const constantTerm = 1895147668; // exp(−1/8)
  const constant1Over3 = 715827883;
  const x = (a + (1 << 28)) | 0;
  const x2 = mul(x, x);
  const x3 = mul(x2, x);
  const x4 = mul(x2, x2);
  const x4Over4 = saturatingRoundingMultiplyByPOT(x4, -2);
  const poly = saturatingRoundingMultiplyByPOT((mul((x4Over4 + x3) | 0, constant1Over3) + x2) | 0, -1);
  return (constantTerm + mul(constantTerm, (x + poly) | 0)) | 0;
}

/** exp(a) for a ≤ 0 given in Q5.26, result in Q0.31 (gemmlowp exp_on_negative_values). */
export function expOnNegativeValues(a: number): number {
  const fractionalBits = 26;
  const oneQuarter = 1 << 24;
  const aModQuarterMinusOneQuarter = ((a & (oneQuarter - 1)) - oneQuarter) | 0;
  let result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(saturatingRoundingMultiplyByPOT(aModQuarterMinusOneQuarter, 5));
  const remainder = (aModQuarterMinusOneQuarter - a) | 0;
  // Barrel shifter: multiply by exp(−2^k) for each set bit of the integer part.
  const multipliers: ReadonlyArray<readonly [number, number]> = [
    [-2, 1672461947],
    [-1, 1302514674],
    [0, 790015084],
    [1, 290630308],
    [2, 39332535],
    [3, 720401],
    [4, 242],
  ];
  for (const [exponent, multiplier] of multipliers) {
    if (remainder & (1 << (fractionalBits + exponent))) result = mul(result, multiplier);
  }
  return a === 0 ? INT32_MAX : result;
}

/** 1 / (1 + x) for x in [0, 1), both Q0.31 (gemmlowp one_over_one_plus_x_for_x_in_0_1). */
function oneOverOnePlusXForXIn01(a: number): number {
  // RoundingHalfSum(a, One) with One = INT32_MAX in Q0.31; C truncating division.
  const sum = a + INT32_MAX;
  const halfDenominator = Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
  const constant48Over17 = 1515870810; // Q2.29
  const constantNeg32Over17 = -1010580540; // Q2.29
  let x = (constant48Over17 + mul(halfDenominator, constantNeg32Over17)) | 0;
  const oneQ2 = 1 << 29;
  for (let i = 0; i < 3; i++) {
    const halfDenominatorTimesX = mul(halfDenominator, x);
    const oneMinus = (oneQ2 - halfDenominatorTimesX) | 0;
    x = (x + saturatingRoundingMultiplyByPOT(mul(x, oneMinus), 2)) | 0;
  }
  // ExactMulByPot<-1> keeps the raw value (Q2 → Q1); Rescale<0> from Q1 is a saturating ×2.
  return saturatingRoundingMultiplyByPOT(x, 1);
}

function countLeadingZeros32(x: number): number {
  return Math.clz32(x);
}

/** TFLite GetReciprocal: 1 / x for x in Q(integerDigits), returned with its extra exponent. */
function getReciprocal(x: number, integerDigits: number): { reciprocal: number; bitsOverUnit: number } {
  const headroomPlusOne = countLeadingZeros32(x);
  const bitsOverUnit = integerDigits - headroomPlusOne;
  const shiftedSumMinusOne = ((x << headroomPlusOne) - 0x80000000) | 0;
  return { reciprocal: oneOverOnePlusXForXIn01(shiftedSumMinusOne), bitsOverUnit };
}

export interface SoftmaxParams {
  readonly outerSize: number;
  readonly depth: number;
  readonly requant: SoftmaxRequant;
}

export function softmax(p: SoftmaxParams, input: Int8Array, output: Int8Array): void {
  const { inputMultiplier, inputLeftShift, diffMin } = p.requant;
  const scaledDiff = (diff: number): number => mul(diff * (1 << inputLeftShift), inputMultiplier);
  for (let row = 0; row < p.outerSize; row++) {
    const base = row * p.depth;
    let max = -128;
    for (let c = 0; c < p.depth; c++) max = Math.max(max, input[base + c]!);
    let sumOfExps = 0; // Q12.19
    for (let c = 0; c < p.depth; c++) {
      const diff = input[base + c]! - max;
      if (diff >= diffMin) {
        sumOfExps = (sumOfExps + saturatingRoundingMultiplyByPOT(expOnNegativeValues(scaledDiff(diff)), -ACCUMULATION_INTEGER_BITS)) | 0;
      }
    }
    const { reciprocal, bitsOverUnit } = getReciprocal(sumOfExps, ACCUMULATION_INTEGER_BITS);
    for (let c = 0; c < p.depth; c++) {
      const diff = input[base + c]! - max;
      if (diff >= diffMin) {
        const exp = expOnNegativeValues(scaledDiff(diff));
        const unsat = roundingDivideByPOT(mul(reciprocal, exp), bitsOverUnit + 31 - 8);
        output[base + c] = Math.min(Math.max(unsat - 128, -128), 127);
      } else {
        output[base + c] = -128;
      }
    }
  }
}
