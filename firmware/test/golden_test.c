/*
 * golden_test VECTORS.bin — runs every case of a golden-vector file written by
 * test/firmware/goldenVectors.ts and compares the outputs with the TypeScript reference bit for bit.
 *
 * File: "TM2V", u32 case count, then per case (each field little-endian, each blob/array padded to 4):
 *   u32 blob bytes, blob; u32 input bytes, inputs (all input sets back to back);
 *   u32 output bytes, expected outputs (all sets back to back).
 * Prints "golden: C cases, N values compared, M mismatches" and exits non-zero unless M is 0.
 */
#include <stdint.h>

#include "../host/platform_io.h"
#include "../runtime/interpreter.h"

#ifndef TM2_GOLDEN_MAX_FILE
#define TM2_GOLDEN_MAX_FILE (8u * 1024u * 1024u)
#endif
#ifndef TM2_GOLDEN_MAX_ARENA
#define TM2_GOLDEN_MAX_ARENA (256u * 1024u)
#endif

static uint8_t file[TM2_GOLDEN_MAX_FILE];
static int8_t arena[TM2_GOLDEN_MAX_ARENA];

static int fail(const char *what, uint32_t index) {
  tm2_io_print("golden_test: ");
  tm2_io_print(what);
  tm2_io_print(" (case ");
  tm2_io_print_u32(index);
  tm2_io_print(")\n");
  return 2;
}

/* Takes the next length-prefixed field, or returns 0 if it would run past the file. */
static const uint8_t *field(uint32_t *pos, uint32_t size, uint32_t *length) {
  if (*pos > size || size - *pos < 4) return 0;
  *length = tm2_rd_u32(file + *pos);
  *pos += 4;
  if (*length > size - *pos) return 0;
  const uint8_t *start = file + *pos;
  *pos += (*length + 3u) & ~3u;
  return start;
}

int main(int argc, char **argv) {
  uint32_t size;
  if (argc != 2) return fail("usage: golden_test VECTORS.bin", 0);
  if (tm2_io_read_file(argv[1], file, sizeof file, &size) != 0) return fail("cannot read the vectors file", 0);
  if (size < 8 || file[0] != 'T' || file[1] != 'M' || file[2] != '2' || file[3] != 'V') return fail("not a TM2V file", 0);
  const uint32_t cases = tm2_rd_u32(file + 4);
  uint32_t pos = 8, compared = 0, mismatches = 0;
  for (uint32_t c = 0; c < cases; c++) {
    uint32_t blob_bytes, in_bytes, out_bytes;
    const uint8_t *blob = field(&pos, size, &blob_bytes);
    const uint8_t *in = blob ? field(&pos, size, &in_bytes) : 0;
    const uint8_t *expected = in ? field(&pos, size, &out_bytes) : 0;
    if (!expected) return fail("truncated vectors file", c);
    tm2_model model;
    const tm2_status parsed = tm2_model_parse(blob, blob_bytes, &model);
    if (parsed != TM2_OK) return fail(tm2_status_string(parsed), c);
    if (tm2_arena_bytes(&model) > sizeof arena) return fail("arena larger than this build's buffer", c);
    uint32_t set_in = 0, set_out = 0;
    int8_t *data;
    uint32_t bytes;
    for (uint32_t k = 0; k < model.input_count; k++) set_in += tm2_input(&model, arena, k, &data, &bytes) == TM2_OK ? bytes : 0;
    for (uint32_t k = 0; k < model.output_count; k++) set_out += tm2_output(&model, arena, k, &data, &bytes) == TM2_OK ? bytes : 0;
    if (set_in == 0 || in_bytes % set_in != 0 || out_bytes != in_bytes / set_in * set_out) return fail("input/output sizes do not match the model", c);
    for (uint32_t s = 0; s < in_bytes / set_in; s++) {
      const uint8_t *src = in + s * set_in;
      for (uint32_t k = 0; k < model.input_count; k++) {
        tm2_input(&model, arena, k, &data, &bytes);
        for (uint32_t i = 0; i < bytes; i++) data[i] = (int8_t)src[i];
        src += bytes;
      }
      const tm2_status ran = tm2_invoke(&model, arena, sizeof arena);
      if (ran != TM2_OK) return fail(tm2_status_string(ran), c);
      const uint8_t *want = expected + s * set_out;
      for (uint32_t k = 0; k < model.output_count; k++) {
        tm2_output(&model, arena, k, &data, &bytes);
        for (uint32_t i = 0; i < bytes; i++) {
          compared++;
          if ((uint8_t)data[i] != want[i]) {
            if (mismatches < 10) {
              tm2_io_print("mismatch: case ");
              tm2_io_print_u32(c);
              tm2_io_print(" set ");
              tm2_io_print_u32(s);
              tm2_io_print(" byte ");
              tm2_io_print_u32(i);
              tm2_io_print("\n");
            }
            mismatches++;
          }
        }
        want += bytes;
      }
    }
  }
  tm2_io_print("golden: ");
  tm2_io_print_u32(cases);
  tm2_io_print(" cases, ");
  tm2_io_print_u32(compared);
  tm2_io_print(" values compared, ");
  tm2_io_print_u32(mismatches);
  tm2_io_print(" mismatches\n");
  return mismatches == 0 && compared > 0 ? 0 : 1;
}
