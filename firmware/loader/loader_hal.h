/*
 * What the UART model loader needs from a board: a NOR-like flash (erase to 0xFF in sectors, writes only
 * clear bits) and a byte UART. The host build backs the flash with a file and the UART with
 * stdin/stdout (host/loader_host.c); a GAP8 port backs them with HyperFlash and the FTDI UART.
 */
#ifndef TM2_LOADER_HAL_H
#define TM2_LOADER_HAL_H

#include <stdint.h>

#define TM2_FLASH_SECTOR_BYTES 4096u

/* Total flash bytes the loader may use, from address 0. */
uint32_t tm2_flash_size(void);
/* 0 on success. */
int tm2_flash_read(uint32_t address, uint8_t *data, uint32_t length);
/* Sets bits to 1 (0xFF) in whole sectors; address and length are sector-aligned. */
int tm2_flash_erase(uint32_t address, uint32_t length);
/* Programs bytes: each stored byte becomes (old & new), as NOR flash does. */
int tm2_flash_write(uint32_t address, const uint8_t *data, uint32_t length);

/* Blocks until at least one byte arrives; returns the count, 0 when the link is gone for good. */
uint32_t tm2_uart_read(uint8_t *data, uint32_t capacity);
void tm2_uart_write(const uint8_t *data, uint32_t length);

/* Free-running counter for the INFER reply (see LOADER_PROTOCOL.md for what it counts per build). */
uint64_t tm2_cycle_counter(void);

#endif
