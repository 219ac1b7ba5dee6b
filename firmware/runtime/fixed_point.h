/*
 * Fixed-point requantization, bit-exact with src-main/compress/fixedPoint.ts: single-rounding
 * MultiplyByQuantizedMultiplier (TFLITE_SINGLE_ROUNDING, as CMSIS-NN) for every requantization, and
 * gemmlowp's SaturatingRoundingDoublingHighMul / RoundingDivideByPOT for softmax's fixed-point math.
 * Every function is defined for all int32 inputs (no signed overflow, no out-of-range shifts), because
 * a corrupted blob must never make the runtime invoke undefined behaviour; on the parameters a valid
 * blob carries they equal TFLite's reference results.
 */
#ifndef TM2_FIXED_POINT_H
#define TM2_FIXED_POINT_H

#include <stdint.h>

#define TM2_INT32_MIN (-2147483647 - 1)
#define TM2_INT32_MAX 2147483647

/* Two's-complement wrapping arithmetic (JavaScript's `| 0`), without signed-overflow UB. */
static inline int32_t tm2_wrap_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t tm2_wrap_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

/* Arithmetic shift right by n in [0, 31], portable (C leaves >> of negatives implementation-defined). */
static inline int32_t tm2_asr(int32_t x, int32_t n) {
  uint32_t s = (uint32_t)n & 31u;
  return x >= 0 ? (int32_t)((uint32_t)x >> s) : (int32_t)~(~(uint32_t)x >> s);
}

static inline int32_t tm2_clamp(int64_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : (int32_t)v);
}

/* Little-endian int32 from bytes: no alignment or aliasing assumptions about the blob. */
static inline int32_t tm2_ld_i32(const uint8_t *p, uint32_t index) {
  const uint8_t *q = p + 4u * index;
  return (int32_t)((uint32_t)q[0] | ((uint32_t)q[1] << 8) | ((uint32_t)q[2] << 16) | ((uint32_t)q[3] << 24));
}

int32_t tm2_saturating_rounding_doubling_high_mul(int32_t a, int32_t b);
int32_t tm2_rounding_divide_by_pot(int32_t x, int32_t exponent);
/*
 * round(x · M / 2^(31 − shift)), halves up: (x·M + 2^(30 − shift)) >> (31 − shift) in int64, exact (the
 * reference returns the exact value too; callers clamp). x is saturated to int32 and shift to [−31, 30],
 * which never bites on a valid model (the parser checks shifts and multipliers).
 */
int64_t tm2_multiply_by_quantized_multiplier(int64_t x, int32_t multiplier, int32_t shift);
int32_t tm2_saturating_rounding_multiply_by_pot(int32_t x, int32_t exponent);

/* out = zpOut + M·(in − zpIn), clamped to int8 (src-main/kernels/rescale.ts). */
typedef struct {
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t multiplier;
  int32_t shift;
} tm2_rescale;

int8_t tm2_rescale_value(const tm2_rescale *r, int32_t value);

#endif
