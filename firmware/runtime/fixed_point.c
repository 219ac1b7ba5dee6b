#include "fixed_point.h"

int32_t tm2_saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == TM2_INT32_MIN && b == TM2_INT32_MIN) return TM2_INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  /* C99 division truncates toward zero, as gemmlowp relies on. */
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

int32_t tm2_rounding_divide_by_pot(int32_t x, int32_t exponent) {
  if (exponent <= 0) return x;
  if (exponent > 31) exponent = 31;
  const int32_t mask = exponent == 31 ? 0x7fffffff : (int32_t)((1u << exponent) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return tm2_asr(x, exponent) + (remainder > threshold ? 1 : 0);
}

int64_t tm2_multiply_by_quantized_multiplier(int64_t x, int32_t multiplier, int32_t shift) {
  if (x > TM2_INT32_MAX) x = TM2_INT32_MAX;
  if (x < TM2_INT32_MIN) x = TM2_INT32_MIN;
  if (shift < -31) shift = -31;
  if (shift > 30) shift = 30;
  const uint32_t total = (uint32_t)(31 - shift); /* 1..62 */
  /* The reference reads the multiplier as unsigned 32 bits; |x·M| < 2^63 then, and the rounding add wraps harmlessly. */
  const int64_t product = x * (int64_t)(uint32_t)multiplier;
  const uint64_t sum = (uint64_t)product + ((uint64_t)1 << (total - 1u));
  /* Arithmetic (flooring) shift right, portable for negatives. */
  return (sum >> 63) ? (int64_t)~(~sum >> total) : (int64_t)(sum >> total);
}

int32_t tm2_saturating_rounding_multiply_by_pot(int32_t x, int32_t exponent) {
  if (exponent == 0) return x;
  if (exponent < 0) return tm2_rounding_divide_by_pot(x, -exponent);
  if (exponent > 31) exponent = 31;
  const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
  if (x > threshold) return TM2_INT32_MAX;
  if (x < -threshold) return TM2_INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

int8_t tm2_rescale_value(const tm2_rescale *r, int32_t value) {
  const int64_t scaled = tm2_multiply_by_quantized_multiplier((int64_t)value - r->input_zero_point, r->multiplier, r->shift);
  return (int8_t)tm2_clamp(r->output_zero_point + scaled, -128, 127);
}
