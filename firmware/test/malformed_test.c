/*
 * malformed_test CASES.bin — feeds damaged blobs to the parser (and, when one still parses, to the
 * interpreter) from buffers allocated at exactly the blob's length, so AddressSanitizer catches any read
 * past the end. Host-only test tool (it uses malloc; the runtime itself never does).
 *
 * File: "TM2M", u32 case count, then per case: u32 expected status (TM2_STATUS_COUNT + 1 = "any error",
 * TM2_STATUS_COUNT + 2 = "anything, even ok"), u32 flags (1 = also try every truncation of this blob),
 * u32 blob bytes, blob padded to 4.
 * Prints "malformed: N blobs, M as expected, K unexpected" and one line per unexpected status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/interpreter.h"

#define EXPECT_ANY_ERROR ((uint32_t)TM2_STATUS_COUNT + 1u)
#define EXPECT_ANYTHING ((uint32_t)TM2_STATUS_COUNT + 2u)

static uint32_t checked, as_expected, unexpected;
static uint32_t histogram[TM2_STATUS_COUNT];

static void check(uint32_t index, const uint8_t *source, uint32_t length, uint32_t expected) {
  uint8_t *blob = malloc(length ? length : 1);
  if (!blob) abort();
  memcpy(blob, source, length);
  tm2_model model;
  const tm2_status status = tm2_model_parse(blob, length, &model);
  if (status == TM2_OK) {
    /* A blob that parses must also run inside an arena of exactly the size it declares. */
    const uint32_t bytes = tm2_arena_bytes(&model);
    int8_t *arena = malloc(bytes ? bytes : 1);
    if (!arena) abort();
    memset(arena, 0, bytes);
    if (tm2_invoke(&model, arena, bytes) != TM2_OK) abort();
    free(arena);
  }
  free(blob);
  checked++;
  histogram[status]++;
  const int ok = expected == EXPECT_ANYTHING || (expected == EXPECT_ANY_ERROR ? status != TM2_OK : (uint32_t)status == expected);
  if (ok) {
    as_expected++;
  } else {
    unexpected++;
    printf("unexpected: case %lu length %lu: status %d (%s), expected %lu\n", (unsigned long)index, (unsigned long)length, (int)status,
           tm2_status_string(status), (unsigned long)expected);
  }
}

static uint32_t rd32(const uint8_t *p) { return tm2_rd_u32(p); }

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: malformed_test CASES.bin\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) return 2;
  fseek(f, 0, SEEK_END);
  const long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *file = malloc((size_t)size);
  if (!file || fread(file, 1, (size_t)size, f) != (size_t)size) return 2;
  fclose(f);
  if (size < 8 || memcmp(file, "TM2M", 4) != 0) return 2;
  const uint32_t cases = rd32(file + 4);
  long pos = 8;
  for (uint32_t c = 0; c < cases; c++) {
    if (size - pos < 12) return 2;
    const uint32_t expected = rd32(file + pos), flags = rd32(file + pos + 4), length = rd32(file + pos + 8);
    pos += 12;
    if ((uint64_t)length > (uint64_t)(size - pos)) return 2;
    check(c, file + pos, length, expected);
    if (flags & 1u) {
      for (uint32_t cut = 0; cut < length; cut++) check(c, file + pos, cut, cut < TM2_HEADER_BYTES ? TM2_ERR_TOO_SMALL : TM2_ERR_TOTAL_SIZE);
    }
    pos += (long)((length + 3u) & ~3u);
  }
  printf("malformed: %lu blobs, %lu as expected, %lu unexpected\n", (unsigned long)checked, (unsigned long)as_expected, (unsigned long)unexpected);
  printf("statuses:");
  for (int s = 0; s < TM2_STATUS_COUNT; s++)
    if (histogram[s]) printf(" %s=%lu", tm2_status_string((tm2_status)s), (unsigned long)histogram[s]);
  printf("\n");
  free(file);
  return unexpected == 0 ? 0 : 1;
}
