/*
 * Fixed-point log-mel front end for devices without an FPU (GAP8): the same features as logmel.h,
 * straight to the model's int8 input, with integer arithmetic only on the per-recording path.
 *
 *   samples × Q30 periodic Hann, block-scaled per frame by 2^-e  → int32, |x| < 2^27
 *   radix-2 FFT, Q30 twiddles, every stage halved with rounding → Y = X_app · 2^(21 − e)
 *   |Y|² in uint64, Q15 mel weights, 96-bit sums (two uint64 words) → T = mel power · 2^(57 − 2e)
 *   log2 of T in Q16 (normalise + 257-entry table + linear interpolation) → ln in Q16
 *   trim and floor compared in the log domain; round-half-up(ln / scale) + zero point → int8
 *
 * The tables (window, twiddles, filters, constants) depend only on the feature parameters and the
 * input quantization: tm2_logmel_fx_tables() computes them with floating point on the host (or at
 * build time for a board, as a const array); tm2_logmel_fx() itself uses no float.
 */
#ifndef TM2_LOGMEL_FX_H
#define TM2_LOGMEL_FX_H

#include <stdint.h>

#include "logmel.h"

#define TM2_LOGMEL_FX_MAX_WEIGHTS (TM2_LOGMEL_MAX_BANDS * 64u)

typedef struct {
  uint32_t window_length, hop, fft_size, log2_fft, bands, frames;
  int32_t window_q30[TM2_LOGMEL_MAX_FFT]; /* Q30: a Q15 window leaks −96 dB, above the quietest mel bands */
  int32_t cos_q30[TM2_LOGMEL_MAX_FFT / 2], sin_q30[TM2_LOGMEL_MAX_FFT / 2];
  uint16_t filter_start[TM2_LOGMEL_MAX_BANDS], filter_length[TM2_LOGMEL_MAX_BANDS], weight_offset[TM2_LOGMEL_MAX_BANDS];
  uint16_t weights_q15[TM2_LOGMEL_FX_MAX_WEIGHTS];
  int has_trim;
  int32_t trim_log2_q16; /* |trimDb| / 10 · log2(10), Q16 */
  int32_t floor_ln_q16;  /* ln(logFloor), Q16 */
  int64_t inv_scale_q16; /* 1 / input scale, Q16 */
  int32_t zero_point;
} tm2_logmel_fx_tables;

/* Host/build-time: the tables for these parameters and this input quantization. 0 on success. */
int tm2_logmel_fx_tables_make(const tm2_logmel_params *p, double scale, int32_t zero_point, tm2_logmel_fx_tables *t);

/* scratch: frame_count × (bands + 1) int32; ln_q16 (optional): frames × bands natural-log features, Q16. */
tm2_logmel_status tm2_logmel_fx(const tm2_logmel_fx_tables *t, const int16_t *samples, uint32_t count, int32_t *scratch, uint32_t scratch_words,
                                int8_t *out, int32_t *ln_q16);

#endif
