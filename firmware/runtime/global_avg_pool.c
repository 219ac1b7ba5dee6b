/* int8 global average pooling = TFLite MEAN over H and W (src-main/kernels/globalAvgPool.ts). */
#include "kernels.h"

void tm2_global_avg_pool(const tm2_global_avg_pool_params *p, const int8_t *input, int8_t *output) {
  const int32_t n = p->input_shape[0] * p->input_shape[1];
  const int32_t c_n = p->input_shape[2];
  const tm2_rescale *r = &p->rescale;
  for (int32_t c = 0; c < c_n; c++) {
    int64_t acc = 0;
    for (int32_t i = 0; i < n; i++) acc += input[i * c_n + c] - r->input_zero_point;
    const int64_t scaled = tm2_multiply_by_quantized_multiplier(acc, r->multiplier, r->shift);
    output[c] = (int8_t)tm2_clamp((int64_t)tm2_rounded_divide(scaled, n) + r->output_zero_point, -128, 127);
  }
}
