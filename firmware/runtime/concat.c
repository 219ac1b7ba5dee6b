/* int8 concatenation along the last axis with integer rescaling (src-main/kernels/concat.ts). */
#include "kernels.h"

void tm2_concat(const tm2_concat_params *p, const int8_t *const *inputs, int8_t *output) {
  int32_t out_axis = 0;
  for (int32_t k = 0; k < p->input_count; k++) out_axis += p->axis_sizes[k];
  int32_t axis_offset = 0;
  for (int32_t k = 0; k < p->input_count; k++) {
    const int32_t size = p->axis_sizes[k];
    const int8_t *in = inputs[k];
    for (int32_t o = 0; o < p->outer_size; o++)
      for (int32_t i = 0; i < size; i++) output[o * out_axis + axis_offset + i] = tm2_rescale_value(&p->rescales[k], in[o * size + i]);
    axis_offset += size;
  }
}
