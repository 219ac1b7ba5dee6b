/* SHA-256 (FIPS 180-4), small and allocation-free; written for this runtime, public-domain style. */
#ifndef TM2_SHA256_H
#define TM2_SHA256_H

#include <stddef.h>
#include <stdint.h>

void tm2_sha256(const uint8_t *data, size_t length, uint8_t digest[32]);

#endif
