/* int8 element-wise add, TFLite's left-shift-20 scheme (src-main/kernels/add.ts). */
#include "kernels.h"

void tm2_add(const tm2_add_params *p, const int8_t *a, const int8_t *b, int32_t count, int8_t *output) {
  for (int32_t i = 0; i < count; i++) {
    /* Exact products, as the reference; a valid blob's left shift (≤ 22) keeps them inside int32. */
    const int64_t shifted1 = ((int64_t)p->input1_offset + a[i]) * ((int64_t)1 << (p->left_shift & 31));
    const int64_t shifted2 = ((int64_t)p->input2_offset + b[i]) * ((int64_t)1 << (p->left_shift & 31));
    const int64_t scaled1 = tm2_multiply_by_quantized_multiplier(shifted1, p->input1_multiplier, p->input1_shift);
    const int64_t scaled2 = tm2_multiply_by_quantized_multiplier(shifted2, p->input2_multiplier, p->input2_shift);
    const int64_t raw = tm2_multiply_by_quantized_multiplier(scaled1 + scaled2, p->output_multiplier, p->output_shift);
    output[i] = (int8_t)tm2_clamp(raw + p->output_offset, p->clamp[0], p->clamp[1]);
  }
}
