/*
 * The few I/O calls the host tools need, so one tool source builds for the host, for aarch64 Linux and
 * for bare-metal rv32 (whose I/O goes through rv32/linux_syscalls.c when it runs under qemu-riscv32).
 */
#ifndef TM2_PLATFORM_IO_H
#define TM2_PLATFORM_IO_H

#include <stdint.h>

/* 0 on success; fails if the file is missing or larger than capacity. */
int tm2_io_read_file(const char *path, uint8_t *buffer, uint32_t capacity, uint32_t *length);
/* 0 on success. */
int tm2_io_write_file(const char *path, const uint8_t *data, uint32_t length);
void tm2_io_print(const char *text);
void tm2_io_print_u32(uint32_t value);

#endif
