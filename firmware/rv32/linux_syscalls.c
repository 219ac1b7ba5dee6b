/*
 * Bare-metal rv32 startup and platform_io.h for running under qemu-riscv32 (user mode): _start takes
 * argc/argv from the stack as the Linux ABI lays them out and I/O uses Linux ecalls. Only the test tools
 * link this file; the runtime itself (firmware/runtime/) needs no OS at all. See firmware/README.md for
 * why this beats picolibc's semihosting crt0 under qemu-user.
 */
#include <stddef.h>
#include <stdint.h>

#include "../host/platform_io.h"

#define SYS_OPENAT 56
#define SYS_CLOSE 57
#define SYS_READ 63
#define SYS_WRITE 64
#define SYS_EXIT 93
#define AT_FDCWD (-100)
#define LINUX_O_RDONLY 0
#define LINUX_O_WRONLY_CREAT_TRUNC (01 | 0100 | 01000)

static long syscall3(long n, long a, long b, long c) {
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  register long a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return a0;
}

static long syscall4(long n, long a, long b, long c, long d) {
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  register long a3 __asm__("a3") = d;
  register long a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a7) : "memory");
  return a0;
}

int tm2_io_read_file(const char *path, uint8_t *buffer, uint32_t capacity, uint32_t *length) {
  const long fd = syscall4(SYS_OPENAT, AT_FDCWD, (long)path, LINUX_O_RDONLY, 0);
  if (fd < 0) return -1;
  uint32_t total = 0;
  for (;;) {
    uint8_t probe;
    const int full = total == capacity;
    const long n = full ? syscall3(SYS_READ, fd, (long)&probe, 1) : syscall3(SYS_READ, fd, (long)(buffer + total), (long)(capacity - total));
    if (n < 0 || (full && n > 0)) {
      syscall3(SYS_CLOSE, fd, 0, 0);
      return -1;
    }
    if (n == 0) break;
    total += (uint32_t)n;
  }
  syscall3(SYS_CLOSE, fd, 0, 0);
  *length = total;
  return 0;
}

int tm2_io_write_file(const char *path, const uint8_t *data, uint32_t length) {
  const long fd = syscall4(SYS_OPENAT, AT_FDCWD, (long)path, LINUX_O_WRONLY_CREAT_TRUNC, 0644);
  if (fd < 0) return -1;
  uint32_t done = 0;
  while (done < length) {
    const long n = syscall3(SYS_WRITE, fd, (long)(data + done), (long)(length - done));
    if (n <= 0) break;
    done += (uint32_t)n;
  }
  return syscall3(SYS_CLOSE, fd, 0, 0) == 0 && done == length ? 0 : -1;
}

void tm2_io_print(const char *text) {
  size_t n = 0;
  while (text[n]) n++;
  syscall3(SYS_WRITE, 1, (long)text, (long)n);
}

void tm2_io_print_u32(uint32_t value) {
  char digits[11];
  int i = 10;
  digits[i] = 0;
  do {
    digits[--i] = (char)('0' + value % 10u);
    value /= 10u;
  } while (value);
  tm2_io_print(digits + i);
}

int main(int argc, char **argv);

void tm2_rv32_cstart(long *sp);
void tm2_rv32_cstart(long *sp) {
  const long code = main((int)sp[0], (char **)(sp + 1));
  for (;;) syscall3(SYS_EXIT, code, 0, 0);
}

__asm__(
    ".section .text._start\n"
    ".globl _start\n"
    "_start:\n"
    ".option push\n"
    ".option norelax\n"
    "  la gp, __global_pointer$\n"
    ".option pop\n"
    "  mv a0, sp\n"
    "  andi sp, sp, -16\n"
    "  call tm2_rv32_cstart\n");
