#include "slots.h"

#include "../runtime/crc32.h"
#include "loader_hal.h"

uint32_t tm2_slot_bytes(void) {
  const uint32_t usable = tm2_flash_size() - 2u * TM2_FLASH_SECTOR_BYTES;
  return usable / 2u / TM2_FLASH_SECTOR_BYTES * TM2_FLASH_SECTOR_BYTES;
}

uint32_t tm2_slot_address(uint32_t slot) { return 2u * TM2_FLASH_SECTOR_BYTES + slot * tm2_slot_bytes(); }

static void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }

/* magic u32 | seq u32 | active u8, 3 zero bytes | 2 × (size u32, sha256[32]) | crc32 of the 84 bytes before */
static void encode(const tm2_slot_record *r, uint8_t out[TM2_RECORD_BYTES]) {
  for (uint32_t i = 0; i < TM2_RECORD_BYTES; i++) out[i] = 0;
  wr32(out, TM2_RECORD_MAGIC);
  wr32(out + 4, r->seq);
  out[8] = r->active;
  for (uint32_t s = 0; s < TM2_SLOT_COUNT; s++) {
    uint8_t *e = out + 12 + 36 * s;
    wr32(e, r->slot[s].size);
    for (uint32_t i = 0; i < 32; i++) e[4 + i] = r->slot[s].sha256[i];
  }
  wr32(out + 84, tm2_crc32(out, 84));
}

static int decode(const uint8_t in[TM2_RECORD_BYTES], tm2_slot_record *r) {
  if (rd32(in) != TM2_RECORD_MAGIC || rd32(in + 84) != tm2_crc32(in, 84)) return -1;
  r->seq = rd32(in + 4);
  r->active = in[8];
  if (r->active != TM2_SLOT_NONE && r->active >= TM2_SLOT_COUNT) return -1;
  for (uint32_t s = 0; s < TM2_SLOT_COUNT; s++) {
    const uint8_t *e = in + 12 + 36 * s;
    r->slot[s].size = rd32(e);
    if (r->slot[s].size > tm2_slot_bytes()) return -1;
    for (uint32_t i = 0; i < 32; i++) r->slot[s].sha256[i] = e[4 + i];
  }
  return 0;
}

int tm2_record_load(tm2_slot_record *record) {
  tm2_slot_record copies[2];
  int valid[2];
  for (uint32_t c = 0; c < 2; c++) {
    uint8_t bytes[TM2_RECORD_BYTES];
    valid[c] = tm2_flash_read(c * TM2_FLASH_SECTOR_BYTES, bytes, TM2_RECORD_BYTES) == 0 && decode(bytes, &copies[c]) == 0;
    copies[c].copy = (uint8_t)c;
  }
  if (valid[0] && valid[1]) {
    *record = copies[1].seq > copies[0].seq ? copies[1] : copies[0];
  } else if (valid[0] || valid[1]) {
    *record = copies[valid[0] ? 0 : 1];
  } else {
    record->seq = 0;
    record->active = TM2_SLOT_NONE;
    for (uint32_t s = 0; s < TM2_SLOT_COUNT; s++) record->slot[s].size = 0;
    /* Copy 1 "holds" the blank record, so the first write goes to copy 0. */
    record->copy = 1;
  }
  return 0;
}

int tm2_record_store(tm2_slot_record *current, const tm2_slot_record *next) {
  tm2_slot_record r = *next;
  r.seq = current->seq + 1u;
  r.copy = (uint8_t)(current->copy ^ 1u);
  uint8_t bytes[TM2_RECORD_BYTES];
  encode(&r, bytes);
  const uint32_t address = r.copy * TM2_FLASH_SECTOR_BYTES;
  if (tm2_flash_erase(address, TM2_FLASH_SECTOR_BYTES) != 0) return -1;
  if (tm2_flash_write(address, bytes, TM2_RECORD_BYTES) != 0) return -1;
  /* Read back: a write that did not stick must not be reported as the new state. */
  uint8_t check[TM2_RECORD_BYTES];
  tm2_slot_record readback;
  if (tm2_flash_read(address, check, TM2_RECORD_BYTES) != 0 || decode(check, &readback) != 0 || readback.seq != r.seq) return -1;
  *current = r;
  return 0;
}
