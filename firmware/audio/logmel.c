#include "logmel.h"

#include <math.h>

typedef struct {
  uint32_t window_length, hop, bins;
  float window[TM2_LOGMEL_MAX_FFT];
  uint32_t filter_start[TM2_LOGMEL_MAX_BANDS];
  uint32_t filter_length[TM2_LOGMEL_MAX_BANDS];
  float weights[TM2_LOGMEL_MAX_BANDS * 64];
  uint32_t weight_offset[TM2_LOGMEL_MAX_BANDS];
  double cos_table[TM2_LOGMEL_MAX_FFT / 2], sin_table[TM2_LOGMEL_MAX_FFT / 2];
} plan_t;

static plan_t plan;

static double hz_to_mel(double hz) { return 2595.0 * log10(1.0 + hz / 700.0); }
static double mel_to_hz(double mel) { return 700.0 * (pow(10.0, mel / 2595.0) - 1.0); }

/* Same checks and same arithmetic as planFor() and melFilterbank() in the app. */
static int make_plan(const tm2_logmel_params *p) {
  const double pi = 3.14159265358979323846;
  plan.window_length = (uint32_t)lround(p->window_ms * p->sample_rate / 1000.0);
  plan.hop = (uint32_t)lround(p->hop_ms * p->sample_rate / 1000.0);
  const uint32_t n = p->fft_size;
  if (plan.window_length < 2 || plan.hop < 1 || n > TM2_LOGMEL_MAX_FFT || n < 4 || (n & (n - 1)) != 0 || n < plan.window_length) return -1;
  if (p->mel_bands == 0 || p->mel_bands > TM2_LOGMEL_MAX_BANDS || p->frames == 0) return -1;
  if (!(p->f_min < p->f_max && p->f_max <= p->sample_rate / 2.0) || !(p->log_floor > 0)) return -1;
  for (uint32_t i = 0; i < plan.window_length; i++) plan.window[i] = (float)(0.5 - 0.5 * cos(2.0 * pi * i / plan.window_length));
  for (uint32_t k = 0; k < n / 2; k++) {
    plan.cos_table[k] = cos(2.0 * pi * k / n);
    plan.sin_table[k] = sin(2.0 * pi * k / n);
  }
  plan.bins = n / 2 + 1;
  const double lo = hz_to_mel(p->f_min);
  const double step = (hz_to_mel(p->f_max) - lo) / (p->mel_bands + 1);
  const double bin_hz = (double)p->sample_rate / n;
  uint32_t used = 0;
  for (uint32_t b = 0; b < p->mel_bands; b++) {
    const double left = mel_to_hz(lo + b * step);
    const double centre = mel_to_hz(lo + (b + 1) * step);
    const double right = b + 2 == p->mel_bands + 1 ? p->f_max : mel_to_hz(lo + (b + 2) * step);
    double first_d = ceil(left / bin_hz);
    if (first_d < 0) first_d = 0;
    double last_d = floor(right / bin_hz);
    if (last_d > plan.bins - 1) last_d = plan.bins - 1;
    const uint32_t first = (uint32_t)first_d;
    const uint32_t count = last_d >= first_d ? (uint32_t)(last_d - first_d) + 1 : 0;
    if (used + count > sizeof plan.weights / sizeof plan.weights[0]) return -1;
    plan.filter_start[b] = first;
    plan.filter_length[b] = count;
    plan.weight_offset[b] = used;
    for (uint32_t j = 0; j < count; j++) {
      const double f = (first + j) * bin_hz;
      double w = (f - left) / (centre - left);
      const double down = (right - f) / (right - centre);
      if (down < w) w = down;
      plan.weights[used + j] = (float)(w > 0 ? w : 0);
    }
    used += count;
  }
  return 0;
}

/* In-place iterative radix-2 FFT of n complex values. */
static void fft(double *re, double *im, uint32_t n) {
  for (uint32_t i = 1, j = 0; i < n; i++) {
    uint32_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      double t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (uint32_t len = 2; len <= n; len <<= 1) {
    const uint32_t stride = n / len;
    for (uint32_t i = 0; i < n; i += len) {
      for (uint32_t k = 0; k < len / 2; k++) {
        const double wr = plan.cos_table[k * stride], wi = -plan.sin_table[k * stride];
        const uint32_t a = i + k, b = i + k + len / 2;
        const double xr = re[b] * wr - im[b] * wi;
        const double xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

uint32_t tm2_logmel_frame_count(const tm2_logmel_params *p, uint32_t samples) {
  const uint32_t window = (uint32_t)lround(p->window_ms * p->sample_rate / 1000.0);
  const uint32_t hop = (uint32_t)lround(p->hop_ms * p->sample_rate / 1000.0);
  if (hop == 0) return 0;
  return samples < window ? (samples > 0 ? 1u : 0u) : 1u + (samples - window) / hop;
}

tm2_logmel_status tm2_logmel(const tm2_logmel_params *p, const int16_t *samples, uint32_t count, float *scratch, uint32_t scratch_floats, float *out,
                             uint32_t *content_frames) {
  if (make_plan(p) != 0) return TM2_LOGMEL_BAD_PARAMS;
  const uint32_t frames_in = tm2_logmel_frame_count(p, count);
  const uint32_t bands = p->mel_bands;
  if ((uint64_t)frames_in * bands > scratch_floats) return TM2_LOGMEL_SCRATCH_TOO_SMALL;
  static double re[TM2_LOGMEL_MAX_FFT], im[TM2_LOGMEL_MAX_FFT];
  const uint32_t n = p->fft_size;
  for (uint32_t f = 0; f < frames_in; f++) {
    const uint32_t at = f * plan.hop;
    const uint32_t avail = count - at < plan.window_length ? count - at : plan.window_length;
    for (uint32_t i = 0; i < n; i++) {
      /* int16 / 32768 is exactly the app's float sample; the product of two floats is exact in double. */
      re[i] = i < avail ? (double)(float)(samples[at + i] / 32768.0) * (double)plan.window[i] : 0.0;
      im[i] = 0.0;
    }
    fft(re, im, n);
    for (uint32_t b = 0; b < bands; b++) {
      double acc = 0;
      const float *w = plan.weights + plan.weight_offset[b];
      for (uint32_t j = 0; j < plan.filter_length[b]; j++) {
        const uint32_t k = plan.filter_start[b] + j;
        acc += (double)w[j] * (re[k] * re[k] + im[k] * im[k]);
      }
      scratch[f * bands + b] = (float)acc;
    }
  }

  uint32_t first = 0, end = frames_in;
  if (p->has_trim && frames_in > 0) {
    double max = 0;
    for (uint32_t f = 0; f < frames_in; f++) {
      double e = 0;
      for (uint32_t b = 0; b < bands; b++) e += scratch[f * bands + b];
      if (e > max) max = e;
    }
    if (max > 0) {
      const double threshold = max * pow(10.0, -fabs(p->trim_db) / 10.0);
      for (;; first++) {
        double e = 0;
        for (uint32_t b = 0; b < bands; b++) e += scratch[first * bands + b];
        if (!(e < threshold)) break;
      }
      for (;; end--) {
        double e = 0;
        for (uint32_t b = 0; b < bands; b++) e += scratch[(end - 1) * bands + b];
        if (!(e < threshold)) break;
      }
    }
  }
  const uint32_t content = end - first;
  const uint32_t take = content < p->frames ? content : p->frames;
  const uint32_t dst_start = (p->frames - take) / 2;
  const uint32_t src_start = first + (content - take) / 2;
  const float fill = (float)log(p->log_floor);
  for (uint32_t i = 0; i < p->frames * bands; i++) out[i] = fill;
  for (uint32_t f = 0; f < take; f++) {
    for (uint32_t b = 0; b < bands; b++) {
      const double v = scratch[(src_start + f) * bands + b];
      out[(dst_start + f) * bands + b] = (float)log(v > p->log_floor ? v : p->log_floor);
    }
  }
  if (content_frames) *content_frames = content;
  return TM2_LOGMEL_OK;
}

void tm2_logmel_quantize(const float *values, uint32_t count, double scale, int32_t zero_point, int8_t *out) {
  for (uint32_t i = 0; i < count; i++) {
    const double q = floor((double)values[i] / scale + 0.5) + zero_point;
    out[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
  }
}
