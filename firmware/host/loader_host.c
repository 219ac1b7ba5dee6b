/*
 * tm2_loader --flash IMAGE [--flash-bytes N]
 *
 * The UART model loader on a POSIX host: the flash is the file IMAGE (created erased, N bytes, when
 * missing), the UART is stdin/stdout. The app's simulated GAPuino runs this as a child process, so
 * the bytes on its pipes are the bytes a real board's UART carries.
 *
 * TM2_FLASH_CRASH_AT=K (tests only) kills the process with SIGKILL inside the K-th flash erase or
 * write, after half of it reached the file: a reset in the middle of a flash operation.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../loader/loader.h"
#include "../loader/loader_hal.h"

static int flash_fd = -1;
static uint32_t flash_bytes;
static long crash_at = -1;
static long flash_ops;

uint32_t tm2_flash_size(void) { return flash_bytes; }

static int in_range(uint32_t address, uint32_t length) { return address <= flash_bytes && length <= flash_bytes - address; }

int tm2_flash_read(uint32_t address, uint8_t *data, uint32_t length) {
  if (!in_range(address, length)) return -1;
  return pread(flash_fd, data, length, (off_t)address) == (ssize_t)length ? 0 : -1;
}

/* Counts flash operations; at the chosen one, writes only half and dies. Returns the bytes to write. */
static uint32_t maybe_crash_length(uint32_t length) {
  flash_ops++;
  return crash_at >= 0 && flash_ops == crash_at ? length / 2 : length;
}

static void crash_if_due(void) {
  if (crash_at >= 0 && flash_ops == crash_at) raise(SIGKILL);
}

int tm2_flash_erase(uint32_t address, uint32_t length) {
  if (!in_range(address, length) || address % TM2_FLASH_SECTOR_BYTES || length % TM2_FLASH_SECTOR_BYTES) return -1;
  static uint8_t erased[TM2_FLASH_SECTOR_BYTES];
  memset(erased, 0xFF, sizeof erased);
  const uint32_t todo = maybe_crash_length(length);
  for (uint32_t done = 0; done < todo; done += TM2_FLASH_SECTOR_BYTES) {
    const uint32_t n = todo - done < TM2_FLASH_SECTOR_BYTES ? todo - done : TM2_FLASH_SECTOR_BYTES;
    if (pwrite(flash_fd, erased, n, (off_t)(address + done)) != (ssize_t)n) return -1;
  }
  crash_if_due();
  return 0;
}

int tm2_flash_write(uint32_t address, const uint8_t *data, uint32_t length) {
  if (!in_range(address, length)) return -1;
  uint8_t cell[256];
  const uint32_t todo = maybe_crash_length(length);
  for (uint32_t done = 0; done < todo;) {
    const uint32_t n = todo - done < sizeof cell ? todo - done : (uint32_t)sizeof cell;
    if (pread(flash_fd, cell, n, (off_t)(address + done)) != (ssize_t)n) return -1;
    for (uint32_t i = 0; i < n; i++) cell[i] &= data[done + i];
    if (pwrite(flash_fd, cell, n, (off_t)(address + done)) != (ssize_t)n) return -1;
    done += n;
  }
  crash_if_due();
  return 0;
}

uint32_t tm2_uart_read(uint8_t *data, uint32_t capacity) {
  for (;;) {
    const ssize_t n = read(STDIN_FILENO, data, capacity);
    if (n > 0) return (uint32_t)n;
    if (n == 0 || errno != EINTR) return 0;
  }
}

void tm2_uart_write(const uint8_t *data, uint32_t length) {
  while (length > 0) {
    const ssize_t n = write(STDOUT_FILENO, data, length);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      exit(0); /* the host went away */
    }
    data += n;
    length -= (uint32_t)n;
  }
}

/* Host build: nanoseconds of this process's CPU time (a real board counts core cycles). */
uint64_t tm2_cycle_counter(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int open_flash(const char *path, uint32_t create_bytes) {
  flash_fd = open(path, O_RDWR);
  if (flash_fd < 0 && errno == ENOENT) {
    /* Create erased, completely, under a temporary name: a half-created image must never be used. */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    const int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    uint8_t erased[TM2_FLASH_SECTOR_BYTES];
    memset(erased, 0xFF, sizeof erased);
    for (uint32_t done = 0; done < create_bytes; done += sizeof erased) {
      if (write(fd, erased, sizeof erased) != (ssize_t)sizeof erased) return -1;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) return -1;
    flash_fd = open(path, O_RDWR);
  }
  if (flash_fd < 0) return -1;
  struct stat st;
  if (fstat(flash_fd, &st) != 0) return -1;
  flash_bytes = (uint32_t)st.st_size;
  return 0;
}

int main(int argc, char **argv) {
  const char *path = NULL;
  unsigned long create_bytes = 2u * TM2_FLASH_SECTOR_BYTES + 2u * 256u * 1024u;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--flash") == 0 && i + 1 < argc) {
      path = argv[++i];
    } else if (strcmp(argv[i], "--flash-bytes") == 0 && i + 1 < argc) {
      create_bytes = strtoul(argv[++i], NULL, 10);
    } else {
      fprintf(stderr, "tm2_loader: unknown argument '%s'\nusage: tm2_loader --flash IMAGE [--flash-bytes N]\n", argv[i]);
      return 100;
    }
  }
  if (!path) {
    fprintf(stderr, "usage: tm2_loader --flash IMAGE [--flash-bytes N]\n");
    return 100;
  }
  if (create_bytes < 4u * TM2_FLASH_SECTOR_BYTES || create_bytes % TM2_FLASH_SECTOR_BYTES || create_bytes > 64ul * 1024u * 1024u) {
    fprintf(stderr, "tm2_loader: --flash-bytes must be a multiple of %u between 16 KB and 64 MB\n", TM2_FLASH_SECTOR_BYTES);
    return 100;
  }
  const char *crash = getenv("TM2_FLASH_CRASH_AT");
  if (crash) crash_at = strtol(crash, NULL, 10);
  signal(SIGPIPE, SIG_IGN);
  if (open_flash(path, (uint32_t)create_bytes) != 0) {
    fprintf(stderr, "tm2_loader: %s: cannot open or create the flash image (%s)\n", path, strerror(errno));
    return 101;
  }
  tm2_loader_run();
  return 0;
}
