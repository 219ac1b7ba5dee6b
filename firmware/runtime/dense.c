/* int8 fully-connected layer, weights [out, in] (src-main/kernels/dense.ts). */
#include "kernels.h"

void tm2_dense(const tm2_dense_params *p, const int8_t *input, const int8_t *weights, const uint8_t *bias, int8_t *output) {
  const int32_t input_offset = p->requant.input_offset;
  for (int32_t o = 0; o < p->output_size; o++) {
    const int8_t *w = weights + o * p->input_size;
    uint32_t acc = 0; /* wraps exactly like the reference's `acc | 0` */
    for (int32_t i = 0; i < p->input_size; i++) acc += (uint32_t)((input[i] + input_offset) * w[i]);
    acc += (uint32_t)tm2_ld_i32(bias, (uint32_t)o);
    const int64_t scaled = tm2_multiply_by_quantized_multiplier((int32_t)acc, tm2_ld_i32(p->requant.multipliers, (uint32_t)o),
                                                                tm2_ld_i32(p->requant.shifts, (uint32_t)o));
    output[o] = (int8_t)tm2_clamp(scaled + p->requant.output_offset, p->clamp[0], p->clamp[1]);
  }
}
