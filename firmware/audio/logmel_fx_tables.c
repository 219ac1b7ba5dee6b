/* Host/build-time table generator for logmel_fx.c: the only floating point of the fixed-point path. */
#include <math.h>

#include "logmel_fx.h"

int tm2_logmel_fx_tables_make(const tm2_logmel_params *p, double scale, int32_t zero_point, tm2_logmel_fx_tables *t) {
  const double pi = 3.14159265358979323846;
  t->window_length = (uint32_t)lround(p->window_ms * p->sample_rate / 1000.0);
  t->hop = (uint32_t)lround(p->hop_ms * p->sample_rate / 1000.0);
  const uint32_t n = p->fft_size;
  if (t->window_length < 2 || t->hop < 1 || n > TM2_LOGMEL_MAX_FFT || n < 4 || (n & (n - 1)) != 0 || n < t->window_length) return -1;
  if (p->mel_bands == 0 || p->mel_bands > TM2_LOGMEL_MAX_BANDS || p->frames == 0 || !(scale > 0)) return -1;
  if (!(p->f_min < p->f_max && p->f_max <= p->sample_rate / 2.0) || !(p->log_floor > 0)) return -1;
  t->fft_size = n;
  t->log2_fft = 0;
  while ((1u << t->log2_fft) < n) t->log2_fft++;
  t->bands = p->mel_bands;
  t->frames = p->frames;
  for (uint32_t i = 0; i < t->window_length; i++) t->window_q30[i] = (int32_t)lround((0.5 - 0.5 * cos(2.0 * pi * i / t->window_length)) * 1073741824.0);
  for (uint32_t k = 0; k < n / 2; k++) {
    t->cos_q30[k] = (int32_t)lround(cos(2.0 * pi * k / n) * 1073741823.0);
    t->sin_q30[k] = (int32_t)lround(sin(2.0 * pi * k / n) * 1073741823.0);
  }
  /* The same filter edges and weights as the float version (and the app). */
  const double lo = 2595.0 * log10(1.0 + p->f_min / 700.0);
  const double step = (2595.0 * log10(1.0 + p->f_max / 700.0) - lo) / (p->mel_bands + 1);
  const double bin_hz = (double)p->sample_rate / n;
  const uint32_t bins = n / 2 + 1;
  uint32_t used = 0;
  for (uint32_t b = 0; b < p->mel_bands; b++) {
    const double left = 700.0 * (pow(10.0, (lo + b * step) / 2595.0) - 1.0);
    const double centre = 700.0 * (pow(10.0, (lo + (b + 1) * step) / 2595.0) - 1.0);
    const double right = b + 2 == p->mel_bands + 1 ? p->f_max : 700.0 * (pow(10.0, (lo + (b + 2) * step) / 2595.0) - 1.0);
    double first = ceil(left / bin_hz), last = floor(right / bin_hz);
    if (first < 0) first = 0;
    if (last > bins - 1) last = bins - 1;
    const uint32_t count = last >= first ? (uint32_t)(last - first) + 1 : 0;
    if (used + count > TM2_LOGMEL_FX_MAX_WEIGHTS) return -1;
    t->filter_start[b] = (uint16_t)first;
    t->filter_length[b] = (uint16_t)count;
    t->weight_offset[b] = (uint16_t)used;
    for (uint32_t j = 0; j < count; j++) {
      const double f = (first + j) * bin_hz;
      double w = (f - left) / (centre - left);
      const double down = (right - f) / (right - centre);
      if (down < w) w = down;
      t->weights_q15[used + j] = (uint16_t)lround((w > 0 ? w : 0) * 32768.0);
    }
    used += count;
  }
  t->has_trim = p->has_trim;
  t->trim_log2_q16 = (int32_t)lround(fabs(p->trim_db) / 10.0 * log2(10.0) * 65536.0);
  t->floor_ln_q16 = (int32_t)lround(log(p->log_floor) * 65536.0);
  t->inv_scale_q16 = (int64_t)llround(65536.0 / scale);
  t->zero_point = zero_point;
  return 0;
}
