#include "frame.h"

#include "../runtime/crc32.h"

uint16_t tm2_crc16(const uint8_t *data, uint32_t length) {
  uint16_t crc = 0xFFFFu;
  for (uint32_t i = 0; i < length; i++) {
    crc = (uint16_t)(crc ^ ((uint16_t)data[i] << 8));
    for (unsigned b = 0; b < 8; b++) crc = (uint16_t)((crc & 0x8000u) ? ((uint32_t)crc << 1) ^ 0x1021u : (uint32_t)crc << 1);
  }
  return crc;
}

void tm2_frame_decoder_init(tm2_frame_decoder *d) {
  d->fill = 0;
  d->candidates = 0;
  d->pending = 0;
  d->dropped = 0;
}

static void drop(tm2_frame_decoder *d, uint32_t count) {
  for (uint32_t i = count; i < d->fill; i++) d->buffer[i - count] = d->buffer[i];
  d->fill -= count;
  uint32_t kept = 0;
  for (uint32_t c = 0; c < d->candidates; c++) {
    if (d->candidate[c] > count) d->candidate[kept++] = d->candidate[c] - count;
  }
  d->candidates = kept;
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }

/* Frame length if a valid header starts at b (8 bytes available), else 0. */
static uint32_t header_total(const uint8_t *b) {
  if (b[0] != TM2_FRAME_SYNC0 || b[1] != TM2_FRAME_SYNC1) return 0;
  const uint16_t length = (uint16_t)(b[4] | (b[5] << 8));
  if (tm2_crc16(b + 2, 4) != (uint16_t)(b[6] | (b[7] << 8)) || length > TM2_FRAME_MAX_PAYLOAD) return 0;
  return TM2_FRAME_HEADER_BYTES + length + TM2_FRAME_TRAILER_BYTES;
}

static int frame_crc_ok(const uint8_t *b, uint32_t total) {
  return tm2_crc32(b + 2, total - 2 - TM2_FRAME_TRAILER_BYTES) == rd32(b + total - TM2_FRAME_TRAILER_BYTES);
}

/* While the first frame is incomplete: note new valid headers, and return 1 (after dropping what precedes
 * it) if a candidate frame ends exactly at the last byte received. */
static int later_frame_complete(tm2_frame_decoder *d) {
  if (d->fill > TM2_FRAME_HEADER_BYTES) {
    const uint32_t at = d->fill - TM2_FRAME_HEADER_BYTES;
    if (header_total(d->buffer + at) && d->candidates < TM2_FRAME_MAX_CANDIDATES) d->candidate[d->candidates++] = at;
  }
  for (uint32_t c = 0; c < d->candidates; c++) {
    const uint32_t at = d->candidate[c];
    const uint32_t total = header_total(d->buffer + at);
    if (at + total == d->fill && frame_crc_ok(d->buffer + at, total)) {
      d->dropped += at;
      drop(d, at);
      return 1;
    }
  }
  return 0;
}

int tm2_frame_push(tm2_frame_decoder *d, uint8_t byte, tm2_frame *frame) {
  if (d->pending) {
    drop(d, d->pending);
    d->pending = 0;
  }
  if (d->fill == TM2_FRAME_MAX_BYTES) {
    drop(d, 1);
    d->dropped++;
  }
  d->buffer[d->fill++] = byte;
  for (;;) {
    const uint8_t *b = d->buffer;
    if (d->fill >= 1 && b[0] != TM2_FRAME_SYNC0) goto resync;
    if (d->fill >= 2 && b[1] != TM2_FRAME_SYNC1) goto resync;
    if (d->fill < TM2_FRAME_HEADER_BYTES) return 0;
    const uint32_t total = header_total(b);
    if (total == 0) goto resync;
    if (d->fill < total) {
      if (!later_frame_complete(d)) return 0;
      continue;
    }
    if (!frame_crc_ok(b, total)) goto resync;
    const uint16_t length = (uint16_t)(total - TM2_FRAME_HEADER_BYTES - TM2_FRAME_TRAILER_BYTES);
    frame->type = b[2];
    frame->seq = b[3];
    frame->length = length;
    frame->payload = b + TM2_FRAME_HEADER_BYTES;
    /* Bytes after this frame (left from a resync) stay buffered; they are rescanned on the next push. */
    d->pending = total;
    return 1;
  resync:
    drop(d, 1);
    d->dropped++;
    if (d->fill == 0) return 0;
  }
}

uint32_t tm2_frame_encode(uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t length, uint8_t *out) {
  out[0] = TM2_FRAME_SYNC0;
  out[1] = TM2_FRAME_SYNC1;
  out[2] = type;
  out[3] = seq;
  out[4] = (uint8_t)length;
  out[5] = (uint8_t)(length >> 8);
  const uint16_t hcrc = tm2_crc16(out + 2, 4);
  out[6] = (uint8_t)hcrc;
  out[7] = (uint8_t)(hcrc >> 8);
  for (uint32_t i = 0; i < length; i++) out[TM2_FRAME_HEADER_BYTES + i] = payload[i];
  const uint32_t crc = tm2_crc32(out + 2, TM2_FRAME_HEADER_BYTES - 2 + length);
  uint8_t *t = out + TM2_FRAME_HEADER_BYTES + length;
  t[0] = (uint8_t)crc;
  t[1] = (uint8_t)(crc >> 8);
  t[2] = (uint8_t)(crc >> 16);
  t[3] = (uint8_t)(crc >> 24);
  return TM2_FRAME_HEADER_BYTES + length + TM2_FRAME_TRAILER_BYTES;
}
