/* CRC-32 (IEEE 802.3, reflected, as zlib.crc32): bitwise, no table, so it costs no flash. */
#ifndef TM2_CRC32_H
#define TM2_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t tm2_crc32(const uint8_t *data, size_t length);

#endif
