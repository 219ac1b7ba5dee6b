/*
 * libFuzzer target: the blob parser, then the interpreter on every blob the parser accepts, and the
 * loader's frame decoder on the same bytes. Built with clang -fsanitize=fuzzer,address,undefined by
 * test/firmware/fuzz.test.ts (make fuzz). Inputs that crashed once live in test/regressions/.
 *
 * The harness rewrites totalBytes, SHA-256 and CRC-32 of inputs long enough to have a header, so
 * mutations get past the integrity checks and reach the structural ones (malformed_test.c covers the
 * integrity checks themselves).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../loader/frame.h"
#include "../runtime/crc32.h"
#include "../runtime/interpreter.h"
#include "../runtime/sha256.h"

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static int8_t arena[1u << 20];
static tm2_frame_decoder decoder;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1u << 20)) return 0;
  uint8_t *blob = malloc(size ? size : 1);
  if (!blob) return 0;
  memcpy(blob, data, size);
  if (size >= TM2_HEADER_BYTES) {
    put32(blob + 8, (uint32_t)size);
    tm2_sha256(blob + TM2_HEADER_BYTES, size - TM2_HEADER_BYTES, blob + 16);
    put32(blob + 12, tm2_crc32(blob + 16, size - 16));
  }
  tm2_model model;
  if (tm2_model_parse(blob, (uint32_t)size, &model) == TM2_OK) {
    const uint32_t need = tm2_arena_bytes(&model);
    if (need <= sizeof arena) {
      memset(arena, (int)(size & 0x7f), need);
      (void)tm2_invoke(&model, arena, need);
      for (uint32_t k = 0; k < model.output_count; k++) {
        int8_t *out;
        uint32_t bytes;
        if (tm2_output(&model, arena, k, &out, &bytes) == TM2_OK && bytes > need) abort();
      }
    }
  }
  free(blob);

  tm2_frame_decoder_init(&decoder);
  for (size_t i = 0; i < size; i++) {
    tm2_frame frame;
    if (tm2_frame_push(&decoder, data[i], &frame) && frame.length > TM2_FRAME_MAX_PAYLOAD) abort();
  }
  return 0;
}
