/*
 * Loader frames (LOADER_PROTOCOL.md): A5 5A | type | seq | len u16 | crc16(type..len) | payload | crc32.
 * The header CRC rejects a corrupted length before the decoder waits for bytes that will never come;
 * any bad frame costs one byte of resynchronisation, so a valid frame after garbage is always found, and
 * a complete frame inside the bytes an earlier, truncated frame claimed is found as soon as it ends.
 */
#ifndef TM2_FRAME_H
#define TM2_FRAME_H

#include <stdint.h>

#define TM2_FRAME_SYNC0 0xA5u
#define TM2_FRAME_SYNC1 0x5Au
#define TM2_FRAME_HEADER_BYTES 8u
#define TM2_FRAME_TRAILER_BYTES 4u
#define TM2_FRAME_MAX_PAYLOAD 4096u
#define TM2_FRAME_MAX_BYTES (TM2_FRAME_HEADER_BYTES + TM2_FRAME_MAX_PAYLOAD + TM2_FRAME_TRAILER_BYTES)

typedef struct {
  uint8_t type;
  uint8_t seq;
  uint16_t length;
  const uint8_t *payload;
} tm2_frame;

#define TM2_FRAME_MAX_CANDIDATES 8u

typedef struct {
  uint8_t buffer[TM2_FRAME_MAX_BYTES];
  uint32_t fill;
  /* Later offsets with a valid header while the first frame is incomplete: a frame cut short (host
   * restarted, cable pulled) must not swallow the complete frames that follow it. */
  uint32_t candidate[TM2_FRAME_MAX_CANDIDATES];
  uint32_t candidates;
  uint32_t pending; /* bytes of the frame last returned, dropped on the next push */
  uint32_t dropped; /* bytes skipped while resynchronising, for diagnostics */
} tm2_frame_decoder;

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection). */
uint16_t tm2_crc16(const uint8_t *data, uint32_t length);

void tm2_frame_decoder_init(tm2_frame_decoder *d);
/* Feeds one byte; returns 1 and fills *frame (valid until the next push) when a frame is complete. */
int tm2_frame_push(tm2_frame_decoder *d, uint8_t byte, tm2_frame *frame);
/* Writes a frame into out (capacity ≥ length + 12); returns its size. */
uint32_t tm2_frame_encode(uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t length, uint8_t *out);

#endif
