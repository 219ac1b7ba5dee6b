/*
 * The app's log-mel features (src-main/dsp/melSpectrogram.ts) from raw 16-bit PCM, so a device can
 * classify audio it records itself: periodic Hann window, |FFT|², HTK-mel triangular filters peaking at
 * 1, trimming of frames more than trimDb under the loudest, centre crop or pad with log(logFloor),
 * natural log; then the model's int8 input quantization.
 *
 * Floating point (double for the FFT and sums, float for stored values as the app stores them): this
 * first version targets the Raspberry Pi and the host. GAP8 has no FPU; its port needs the fixed-point
 * version README.md describes, checked against this one.
 */
#ifndef TM2_LOGMEL_H
#define TM2_LOGMEL_H

#include <stdint.h>

#define TM2_LOGMEL_MAX_FFT 2048u
#define TM2_LOGMEL_MAX_BANDS 128u

typedef struct {
  uint32_t sample_rate;
  double window_ms;
  double hop_ms;
  uint32_t fft_size; /* power of two ≥ the window */
  uint32_t mel_bands;
  double f_min;
  double f_max;
  uint32_t frames;
  int has_trim;
  double trim_db;
  double log_floor; /* 1e-10 when the package gives none */
} tm2_logmel_params;

typedef enum { TM2_LOGMEL_OK = 0, TM2_LOGMEL_BAD_PARAMS, TM2_LOGMEL_SCRATCH_TOO_SMALL } tm2_logmel_status;

/* Frames the whole recording yields (the scratch needs frames × mel_bands floats). */
uint32_t tm2_logmel_frame_count(const tm2_logmel_params *p, uint32_t samples);

/* out: p->frames × p->mel_bands floats, time-major. scratch: tm2_logmel_frame_count × mel_bands floats. */
tm2_logmel_status tm2_logmel(const tm2_logmel_params *p, const int16_t *samples, uint32_t count, float *scratch, uint32_t scratch_floats, float *out,
                             uint32_t *content_frames);

/* round-half-up(x / scale) + zero_point, clamped to int8, as src-main/compress/quantize.ts does. */
void tm2_logmel_quantize(const float *values, uint32_t count, double scale, int32_t zero_point, int8_t *out);

#endif
