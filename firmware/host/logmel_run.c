/*
 * logmel_run SAMPLES.s16 FEATURES.f32 INPUT.i8 RATE WINDOW_MS HOP_MS FFT BANDS FMIN FMAX FRAMES TRIM_DB|none LOG_FLOOR SCALE ZERO_POINT
 *            FX_INPUT.i8 FX_LN.q16
 *
 * FX_* are the fixed-point front end's outputs (audio/logmel_fx.h): the int8 input and the natural-log
 * features as int32 Q16.
 * Raw little-endian int16 mono samples → the model's log-mel features (float32, frames × bands) and the
 * int8 model input quantized with SCALE/ZERO_POINT (audio/logmel.h). Used by the tests to compare the C
 * front end with the app's, and by the end-to-end check C features → int8 → C runtime.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audio/logmel.h"
#include "../audio/logmel_fx.h"

static int fail(const char *what) {
  fprintf(stderr, "logmel_run: %s\n", what);
  return 100;
}

int main(int argc, char **argv) {
  if (argc != 18) return fail("usage: logmel_run SAMPLES.s16 FEATURES.f32 INPUT.i8 RATE WINDOW_MS HOP_MS FFT BANDS FMIN FMAX FRAMES TRIM_DB|none LOG_FLOOR SCALE ZERO_POINT FX_INPUT.i8 FX_LN.q16");
  tm2_logmel_params p;
  p.sample_rate = (uint32_t)strtoul(argv[4], NULL, 10);
  p.window_ms = strtod(argv[5], NULL);
  p.hop_ms = strtod(argv[6], NULL);
  p.fft_size = (uint32_t)strtoul(argv[7], NULL, 10);
  p.mel_bands = (uint32_t)strtoul(argv[8], NULL, 10);
  p.f_min = strtod(argv[9], NULL);
  p.f_max = strtod(argv[10], NULL);
  p.frames = (uint32_t)strtoul(argv[11], NULL, 10);
  p.has_trim = strcmp(argv[12], "none") != 0;
  p.trim_db = p.has_trim ? strtod(argv[12], NULL) : 0;
  p.log_floor = strtod(argv[13], NULL);
  const double scale = strtod(argv[14], NULL);
  const int32_t zero_point = (int32_t)strtol(argv[15], NULL, 10);

  FILE *f = fopen(argv[1], "rb");
  if (!f) return fail("cannot read the samples file");
  fseek(f, 0, SEEK_END);
  const long bytes = ftell(f);
  fseek(f, 0, SEEK_SET);
  const uint32_t count = (uint32_t)(bytes / 2);
  int16_t *samples = malloc((size_t)count * 2 + 2);
  uint8_t *raw = malloc((size_t)count * 2 + 2);
  if (!samples || !raw || fread(raw, 1, (size_t)count * 2, f) != (size_t)count * 2) return fail("cannot read the samples");
  fclose(f);
  for (uint32_t i = 0; i < count; i++) samples[i] = (int16_t)(uint16_t)(raw[2 * i] | (raw[2 * i + 1] << 8));

  const uint32_t scratch_floats = tm2_logmel_frame_count(&p, count) * p.mel_bands + 1;
  float *scratch = malloc((size_t)scratch_floats * sizeof(float));
  float *features = malloc((size_t)p.frames * p.mel_bands * sizeof(float) + 4);
  int8_t *input = malloc((size_t)p.frames * p.mel_bands + 1);
  if (!scratch || !features || !input) return fail("out of memory");
  uint32_t content;
  const tm2_logmel_status s = tm2_logmel(&p, samples, count, scratch, scratch_floats, features, &content);
  if (s != TM2_LOGMEL_OK) return fail(s == TM2_LOGMEL_BAD_PARAMS ? "feature parameters out of range" : "scratch too small");
  const uint32_t n = p.frames * p.mel_bands;
  tm2_logmel_quantize(features, n, scale, zero_point, input);
  FILE *o = fopen(argv[2], "wb");
  FILE *q = fopen(argv[3], "wb");
  if (!o || !q || fwrite(features, sizeof(float), n, o) != n || fwrite(input, 1, n, q) != n || fclose(o) != 0 || fclose(q) != 0) return fail("cannot write the outputs");

  static tm2_logmel_fx_tables tables;
  if (tm2_logmel_fx_tables_make(&p, scale, zero_point, &tables) != 0) return fail("fixed-point tables: parameters out of range");
  const uint32_t words = tm2_logmel_frame_count(&p, count) * (p.mel_bands + 1) + 1;
  int32_t *fx_scratch = malloc((size_t)words * sizeof(int32_t));
  int32_t *fx_ln = malloc((size_t)n * sizeof(int32_t) + 4);
  if (!fx_scratch || !fx_ln) return fail("out of memory");
  if (tm2_logmel_fx(&tables, samples, count, fx_scratch, words, input, fx_ln) != TM2_LOGMEL_OK) return fail("fixed point: scratch too small");
  FILE *fi = fopen(argv[16], "wb");
  FILE *fl = fopen(argv[17], "wb");
  if (!fi || !fl || fwrite(input, 1, n, fi) != n || fwrite(fx_ln, sizeof(int32_t), n, fl) != n || fclose(fi) != 0 || fclose(fl) != 0) return fail("cannot write the fixed-point outputs");
  free(fx_scratch);
  free(fx_ln);
  printf("content_frames=%u\n", content);
  free(samples);
  free(raw);
  free(scratch);
  free(features);
  free(input);
  return 0;
}
