/*
 * int8 softmax over the last axis: TFLite's quantized reference on gemmlowp fixed point
 * (src-main/kernels/softmax.ts): exp in Q5.26 → Q0.31, sum in Q12.19, Newton–Raphson reciprocal,
 * output scale 1/256 with zero point −128.
 */
#include "kernels.h"

#define TM2_ACCUMULATION_INTEGER_BITS 12

static int32_t mul(int32_t a, int32_t b) { return tm2_saturating_rounding_doubling_high_mul(a, b); }

static int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t constant_term = 1895147668; /* exp(−1/8) */
  const int32_t constant_1_over_3 = 715827883;
  const int32_t x = tm2_wrap_add(a, 1 << 28);
  const int32_t x2 = mul(x, x);
  const int32_t x3 = mul(x2, x);
  const int32_t x4 = mul(x2, x2);
  const int32_t x4_over_4 = tm2_saturating_rounding_multiply_by_pot(x4, -2);
  const int32_t poly = tm2_saturating_rounding_multiply_by_pot(tm2_wrap_add(mul(tm2_wrap_add(x4_over_4, x3), constant_1_over_3), x2), -1);
  return tm2_wrap_add(constant_term, mul(constant_term, tm2_wrap_add(x, poly)));
}

static int32_t exp_on_negative_values(int32_t a) {
  static const int32_t multipliers[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int32_t one_quarter = 1 << 24;
  const int32_t a_mod_quarter_minus_one_quarter = tm2_wrap_sub(a & (one_quarter - 1), one_quarter);
  int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
      tm2_saturating_rounding_multiply_by_pot(a_mod_quarter_minus_one_quarter, 5));
  const int32_t remainder = tm2_wrap_sub(a_mod_quarter_minus_one_quarter, a);
  /* Barrel shifter: multiply by exp(−2^k) for each set bit k = −2..4 of the integer part (26 fractional bits). */
  for (int32_t k = 0; k < 7; k++) {
    if ((uint32_t)remainder & (1u << (24 + k))) result = mul(result, multipliers[k]);
  }
  return a == 0 ? TM2_INT32_MAX : result;
}

static int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int64_t sum = (int64_t)a + TM2_INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t constant_48_over_17 = 1515870810;
  const int32_t constant_neg_32_over_17 = -1010580540;
  int32_t x = tm2_wrap_add(constant_48_over_17, mul(half_denominator, constant_neg_32_over_17));
  const int32_t one_q2 = 1 << 29;
  for (int i = 0; i < 3; i++) {
    const int32_t half_denominator_times_x = mul(half_denominator, x);
    const int32_t one_minus = tm2_wrap_sub(one_q2, half_denominator_times_x);
    x = tm2_wrap_add(x, tm2_saturating_rounding_multiply_by_pot(mul(x, one_minus), 2));
  }
  return tm2_saturating_rounding_multiply_by_pot(x, 1);
}

static int32_t count_leading_zeros32(uint32_t x) {
  int32_t n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    n++;
  }
  return n;
}

/* exp of (diff · 2^left_shift) scaled by the input multiplier, as the reference's scaledDiff. */
static int32_t scaled_diff(const tm2_softmax_params *p, int32_t diff) {
  const int64_t shifted = (int64_t)diff * ((int64_t)1 << (p->input_left_shift & 31));
  return mul((int32_t)(uint32_t)(uint64_t)shifted, p->input_multiplier);
}

void tm2_softmax(const tm2_softmax_params *p, const int8_t *input, int8_t *output) {
  for (int32_t row = 0; row < p->outer_size; row++) {
    const int8_t *in = input + row * p->depth;
    int8_t *out = output + row * p->depth;
    int32_t max = -128;
    for (int32_t c = 0; c < p->depth; c++)
      if (in[c] > max) max = in[c];
    int32_t sum_of_exps = 0; /* Q12.19 */
    for (int32_t c = 0; c < p->depth; c++) {
      const int32_t diff = in[c] - max;
      if (diff >= p->diff_min) {
        sum_of_exps = tm2_wrap_add(sum_of_exps, tm2_saturating_rounding_multiply_by_pot(exp_on_negative_values(scaled_diff(p, diff)),
                                                                                       -TM2_ACCUMULATION_INTEGER_BITS));
      }
    }
    const int32_t headroom_plus_one = count_leading_zeros32((uint32_t)sum_of_exps);
    const int32_t bits_over_unit = TM2_ACCUMULATION_INTEGER_BITS - headroom_plus_one;
    const int32_t shifted_sum_minus_one = (int32_t)(((uint32_t)sum_of_exps << (headroom_plus_one & 31)) - 0x80000000u);
    const int32_t reciprocal = one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
    for (int32_t c = 0; c < p->depth; c++) {
      const int32_t diff = in[c] - max;
      if (diff >= p->diff_min) {
        const int32_t exp = exp_on_negative_values(scaled_diff(p, diff));
        const int32_t unsat = tm2_rounding_divide_by_pot(mul(reciprocal, exp), bits_over_unit + 31 - 8);
        out[c] = (int8_t)tm2_clamp((int64_t)unsat - 128, -128, 127);
      } else {
        out[c] = -128;
      }
    }
  }
}
