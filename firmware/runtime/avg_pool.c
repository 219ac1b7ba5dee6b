/* int8 average pooling over the in-bounds taps (src-main/kernels/avgPool.ts). */
#include "kernels.h"

int32_t tm2_rounded_divide(int64_t acc, int32_t n) {
  if (n <= 0) return 0;
  const int64_t half = n / 2;
  const int64_t q = acc > 0 ? (acc + half) / n : (acc - half) / n;
  return q > TM2_INT32_MAX ? TM2_INT32_MAX : (q < TM2_INT32_MIN ? TM2_INT32_MIN : (int32_t)q);
}

void tm2_avg_pool(const tm2_pool_params *p, const int8_t *input, int8_t *output) {
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
      const int32_t count = (y1 - y0) * (x1 - x0); /* as the reference computes it, even for an empty window */
      for (int32_t c = 0; c < c_n; c++) {
        int32_t acc = 0;
        for (int32_t y = y0; y < y1; y++)
          for (int32_t x = x0; x < x1; x++) acc += input[(y * in_w + x) * c_n + c];
        const int32_t avg = count > 0 ? tm2_clamp(tm2_rounded_divide(acc, count), -128, 127) : p->rescale.input_zero_point;
        output[(oy * out_w + ox) * c_n + c] = tm2_rescale_value(&p->rescale, avg);
      }
    }
  }
}
