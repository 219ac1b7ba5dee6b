/* int8 2-D convolution incl. depthwise via groups (src-main/kernels/conv2d.ts). */
#include "kernels.h"

void tm2_conv2d(const tm2_conv2d_params *p, const int8_t *input, const int8_t *weights, const uint8_t *bias, int8_t *output) {
  const int32_t in_h = p->input_shape[0], in_w = p->input_shape[1], in_c = p->input_shape[2];
  const int32_t out_h = p->output_shape[0], out_w = p->output_shape[1], out_c = p->output_shape[2];
  const int32_t k_h = p->kernel[0], k_w = p->kernel[1];
  const int32_t in_per_group = in_c / p->groups;
  const int32_t out_per_group = out_c / p->groups;
  const int32_t input_offset = p->requant.input_offset;
  for (int32_t oy = 0; oy < out_h; oy++) {
    for (int32_t ox = 0; ox < out_w; ox++) {
      for (int32_t oc = 0; oc < out_c; oc++) {
        const int32_t ic_base = (oc / out_per_group) * in_per_group;
        /* The reference sums exactly and then truncates to int32 (`acc | 0`): a wrapping uint32 sum is the same. */
        uint32_t acc = 0;
        for (int32_t ky = 0; ky < k_h; ky++) {
          const int32_t iy = oy * p->stride[0] - p->padding[0] + ky;
          if (iy < 0 || iy >= in_h) continue;
          for (int32_t kx = 0; kx < k_w; kx++) {
            const int32_t ix = ox * p->stride[1] - p->padding[1] + kx;
            if (ix < 0 || ix >= in_w) continue;
            const int8_t *in_row = input + (iy * in_w + ix) * in_c + ic_base;
            const int8_t *w_row = weights + ((oc * k_h + ky) * k_w + kx) * in_per_group;
            for (int32_t ic = 0; ic < in_per_group; ic++) acc += (uint32_t)((in_row[ic] + input_offset) * w_row[ic]);
          }
        }
        acc += (uint32_t)tm2_ld_i32(bias, (uint32_t)oc);
        const int64_t scaled = tm2_multiply_by_quantized_multiplier((int32_t)acc, tm2_ld_i32(p->requant.multipliers, (uint32_t)oc),
                                                                    tm2_ld_i32(p->requant.shifts, (uint32_t)oc));
        output[(oy * out_w + ox) * out_c + oc] = (int8_t)tm2_clamp(scaled + p->requant.output_offset, p->clamp[0], p->clamp[1]);
      }
    }
  }
}
