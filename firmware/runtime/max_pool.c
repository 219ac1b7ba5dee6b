/* int8 max pooling over the in-bounds window, then rescaled (src-main/kernels/maxPool.ts). */
#include "kernels.h"

void tm2_max_pool(const tm2_pool_params *p, const int8_t *input, int8_t *output) {
  const int32_t in_h = p->input_shape[0], in_w = p->input_shape[1], c_n = p->input_shape[2];
  const int32_t out_h = p->output_shape[0], out_w = p->output_shape[1];
  for (int32_t oy = 0; oy < out_h; oy++) {
    const int32_t ys = oy * p->stride[0] - p->padding[0];
    const int32_t y0 = ys > 0 ? ys : 0;
    const int32_t y1 = ys + p->size[0] < in_h ? ys + p->size[0] : in_h;
    for (int32_t ox = 0; ox < out_w; ox++) {
      const int32_t xs = ox * p->stride[1] - p->padding[1];
      const int32_t x0 = xs > 0 ? xs : 0;
      const int32_t x1 = xs + p->size[1] < in_w ? xs + p->size[1] : in_w;
      for (int32_t c = 0; c < c_n; c++) {
        int32_t max = -128;
        for (int32_t y = y0; y < y1; y++)
          for (int32_t x = x0; x < x1; x++) {
            const int32_t v = input[(y * in_w + x) * c_n + c];
            if (v > max) max = v;
          }
        output[(oy * out_w + ox) * c_n + c] = tm2_rescale_value(&p->rescale, max);
      }
    }
  }
}
