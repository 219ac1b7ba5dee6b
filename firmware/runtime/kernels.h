/*
 * The int8 kernels, one per file, bit-exact with the TypeScript reference kernels in src-main/kernels/
 * (which are the specification). Parameter structs mirror prepareOp's output field for field; per-channel
 * int32 arrays (multipliers, shifts, bias) are little-endian byte pointers into the blob, read with
 * tm2_ld_i32, so the blob needs no particular alignment. No floating point, no allocation.
 */
#ifndef TM2_KERNELS_H
#define TM2_KERNELS_H

#include <stdint.h>
#include "fixed_point.h"

typedef struct {
  int32_t input_offset;  /* −input zero point */
  int32_t output_offset; /* output zero point */
  const uint8_t *multipliers; /* int32 LE, one per output channel */
  const uint8_t *shifts;      /* int32 LE, one per output channel */
} tm2_channel_requant;

typedef struct {
  int32_t input_shape[3];  /* H, W, C */
  int32_t output_shape[3];
  int32_t kernel[2];
  int32_t stride[2];
  int32_t padding[4]; /* top, left, bottom, right */
  int32_t groups;
  tm2_channel_requant requant;
  int32_t clamp[2];
} tm2_conv2d_params;

typedef struct {
  int32_t input_size;
  int32_t output_size;
  tm2_channel_requant requant;
  int32_t clamp[2];
} tm2_dense_params;

typedef struct {
  int32_t input_shape[3];
  int32_t output_shape[3];
  int32_t size[2];
  int32_t stride[2];
  int32_t padding[4];
  tm2_rescale rescale;
} tm2_pool_params;

typedef struct {
  int32_t input_shape[3];
  tm2_rescale rescale;
} tm2_global_avg_pool_params;

typedef struct {
  int32_t outer_size;
  int32_t input_count;
  const int32_t *axis_sizes;    /* input_count entries */
  const tm2_rescale *rescales;  /* input_count entries */
} tm2_concat_params;

typedef struct {
  int32_t left_shift;
  int32_t input1_offset;
  int32_t input2_offset;
  int32_t input1_multiplier;
  int32_t input1_shift;
  int32_t input2_multiplier;
  int32_t input2_shift;
  int32_t output_multiplier;
  int32_t output_shift;
  int32_t output_offset;
  int32_t clamp[2];
} tm2_add_params;

typedef struct {
  int32_t outer_size;
  int32_t depth;
  int32_t input_multiplier;
  int32_t input_left_shift;
  int32_t diff_min;
} tm2_softmax_params;

void tm2_conv2d(const tm2_conv2d_params *p, const int8_t *input, const int8_t *weights, const uint8_t *bias, int8_t *output);
void tm2_dense(const tm2_dense_params *p, const int8_t *input, const int8_t *weights, const uint8_t *bias, int8_t *output);
void tm2_max_pool(const tm2_pool_params *p, const int8_t *input, int8_t *output);
void tm2_avg_pool(const tm2_pool_params *p, const int8_t *input, int8_t *output);
void tm2_global_avg_pool(const tm2_global_avg_pool_params *p, const int8_t *input, int8_t *output);
/* inputs[k] has outer_size × axis_sizes[k] elements. */
void tm2_concat(const tm2_concat_params *p, const int8_t *const *inputs, int8_t *output);
void tm2_add(const tm2_add_params *p, const int8_t *a, const int8_t *b, int32_t count, int8_t *output);
void tm2_softmax(const tm2_softmax_params *p, const int8_t *input, int8_t *output);

/* TFLite's (acc ± n/2) / n with truncating division (avg_pool.c; shared with global_avg_pool.c). */
int32_t tm2_rounded_divide(int64_t acc, int32_t n);

#endif
