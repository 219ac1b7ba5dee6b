/* platform_io.h on a hosted C library (the host build and aarch64 Linux). */
#include <stdio.h>

#include "platform_io.h"

int tm2_io_read_file(const char *path, uint8_t *buffer, uint32_t capacity, uint32_t *length) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  const size_t n = fread(buffer, 1, capacity, f);
  const int more = fgetc(f) != EOF;
  const int failed = ferror(f);
  fclose(f);
  if (more || failed) return -1;
  *length = (uint32_t)n;
  return 0;
}

int tm2_io_write_file(const char *path, const uint8_t *data, uint32_t length) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  const size_t n = fwrite(data, 1, length, f);
  const int closed = fclose(f);
  return n == length && closed == 0 ? 0 : -1;
}

void tm2_io_print(const char *text) {
  fputs(text, stdout);
  fflush(stdout);
}

void tm2_io_print_u32(uint32_t value) {
  printf("%lu", (unsigned long)value);
  fflush(stdout);
}
