/*
 * Two model slots and the active-slot record in flash (LOADER_PROTOCOL.md, "Flash layout").
 * The record is kept in two sectors; each write goes to the sector not holding the newest copy, with a
 * higher sequence number and a CRC, so a write torn by a reset leaves the previous record in force.
 */
#ifndef TM2_SLOTS_H
#define TM2_SLOTS_H

#include <stdint.h>

#define TM2_SLOT_COUNT 2u
#define TM2_SLOT_NONE 0xFFu
#define TM2_RECORD_MAGIC 0x53324d54u /* "TM2S" */
#define TM2_RECORD_BYTES 88u

typedef struct {
  uint32_t size; /* 0 = empty */
  uint8_t sha256[32];
} tm2_slot_entry;

typedef struct {
  uint32_t seq;
  uint8_t active; /* 0, 1 or TM2_SLOT_NONE */
  tm2_slot_entry slot[TM2_SLOT_COUNT];
  uint8_t copy; /* which sector holds this record (not stored) */
} tm2_slot_record;

/* Slot geometry for the flash size: two sectors of records, then two equal sector-aligned slots. */
uint32_t tm2_slot_bytes(void);
uint32_t tm2_slot_address(uint32_t slot);

/* The newest valid record, or an empty one (seq 0, nothing active) on a blank flash. 0 on success. */
int tm2_record_load(tm2_slot_record *record);
/* Stores `next` as the new record (seq = current.seq + 1) in the other copy; updates *current. */
int tm2_record_store(tm2_slot_record *current, const tm2_slot_record *next);

#endif
