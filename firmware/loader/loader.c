#include "loader.h"

#include "../runtime/interpreter.h"
#include "../runtime/sha256.h"
#include "frame.h"
#include "loader_hal.h"
#include "slots.h"

#ifndef TM2_LOADER_MODEL_BYTES
#define TM2_LOADER_MODEL_BYTES (512u * 1024u)
#endif
#ifndef TM2_LOADER_ARENA_BYTES
#define TM2_LOADER_ARENA_BYTES (256u * 1024u)
#endif
#ifndef TM2_LOADER_INPUT_BYTES
#define TM2_LOADER_INPUT_BYTES (64u * 1024u)
#endif

/* The running model is copied from its slot into RAM (GAP8's HyperFlash is not memory-mapped). */
static uint8_t model_ram[TM2_LOADER_MODEL_BYTES];
static int8_t arena[TM2_LOADER_ARENA_BYTES];
static uint8_t staged_inputs[TM2_LOADER_INPUT_BYTES];
static tm2_model model;
static int model_ok;
static uint8_t loaded_slot = TM2_SLOT_NONE;
static tm2_slot_record record;

static struct {
  int active;
  uint8_t slot;
  uint32_t size;
  uint32_t received;
  uint8_t sha256[32];
} transfer;

static tm2_frame_decoder decoder;
static uint8_t reply[TM2_FRAME_MAX_PAYLOAD];
static uint8_t wire[TM2_FRAME_MAX_BYTES];
/* The last reply, resent unchanged when the host retransmits a request whose reply it lost. */
static uint32_t last_wire_bytes;
static uint8_t last_type, last_seq;
static int have_last;

static void wr16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void wr32(uint8_t *p, uint32_t v) {
  wr16(p, v);
  wr16(p + 2, v >> 16);
}
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }

static int same_digest(const uint8_t *a, const uint8_t *b) {
  uint8_t diff = 0;
  for (uint32_t i = 0; i < 32; i++) diff |= (uint8_t)(a[i] ^ b[i]);
  return diff == 0;
}

/* Loads a slot into RAM and checks it end to end; on success `model` describes it. */
static tm2_loader_status load_slot(uint32_t slot, uint8_t *parse_status) {
  *parse_status = 0;
  model_ok = 0;
  const tm2_slot_entry *e = &record.slot[slot];
  if (e->size == 0 || e->size > sizeof model_ram) return TM2_LD_NO_MODEL;
  if (tm2_flash_read(tm2_slot_address(slot), model_ram, e->size) != 0) return TM2_LD_FLASH;
  uint8_t digest[32];
  tm2_sha256(model_ram, e->size, digest);
  if (!same_digest(digest, e->sha256)) return TM2_LD_SHA_MISMATCH;
  const tm2_status parsed = tm2_model_parse(model_ram, e->size, &model);
  if (parsed != TM2_OK) {
    *parse_status = (uint8_t)parsed;
    return TM2_LD_BLOB_REJECTED;
  }
  if (tm2_arena_bytes(&model) > sizeof arena) return TM2_LD_ARENA_TOO_SMALL;
  model_ok = 1;
  loaded_slot = (uint8_t)slot;
  return TM2_LD_OK;
}

/* At boot and after a failed switch: the recorded active slot, else the other one if it still checks out. */
static void load_active(void) {
  uint8_t ignored;
  model_ok = 0;
  if (record.active == TM2_SLOT_NONE) return;
  if (load_slot(record.active, &ignored) == TM2_LD_OK) return;
  (void)load_slot(record.active ^ 1u, &ignored);
}

static uint32_t ack(tm2_loader_status status, uint8_t detail, uint32_t value) {
  reply[0] = (uint8_t)status;
  reply[1] = detail;
  wr16(reply + 2, 0);
  wr32(reply + 4, value);
  return 8;
}

/* u8 length + bytes; strings longer than `max` are cut (INFO is informative, the blob is the truth). */
static uint32_t put_string(uint8_t *p, const uint8_t *text, uint32_t length, uint32_t max) {
  if (length > max) length = max;
  p[0] = (uint8_t)length;
  for (uint32_t i = 0; i < length; i++) p[1 + i] = text[i];
  return 1 + length;
}

/* Model id and version straight from a slot's blob header and strings section, without loading it. */
static uint32_t put_slot_names(uint8_t *p, uint32_t slot) {
  const uint32_t size = record.slot[slot].size;
  uint8_t header[TM2_HEADER_BYTES];
  uint8_t strings[2 + 64 + 2 + 64];
  uint32_t n = 0;
  if (size >= TM2_HEADER_BYTES && tm2_flash_read(tm2_slot_address(slot), header, TM2_HEADER_BYTES) == 0) {
    const uint32_t offset = rd32(header + 76);
    uint32_t avail = offset < size ? size - offset : 0;
    if (avail > sizeof strings) avail = sizeof strings;
    if (avail >= 2 && tm2_flash_read(tm2_slot_address(slot) + offset, strings, avail) == 0) {
      const uint32_t id_len = (uint32_t)(strings[0] | (strings[1] << 8));
      if (2 + id_len + 2 <= avail) {
        const uint32_t ver_len = (uint32_t)(strings[2 + id_len] | (strings[3 + id_len] << 8));
        if (4 + id_len + ver_len <= avail) {
          n += put_string(p, strings + 2, id_len, 64);
          n += put_string(p + n, strings + 4 + id_len, ver_len, 64);
          return n;
        }
      }
    }
  }
  p[0] = 0;
  p[1] = 0;
  return 2;
}

static uint32_t handle_hello(void) {
  uint32_t n = 0;
  reply[n++] = TM2_LD_OK;
  reply[n++] = TM2_LOADER_PROTOCOL_VERSION;
  wr16(reply + n, TM2_FRAME_MAX_PAYLOAD);
  n += 2;
  wr32(reply + n, tm2_slot_bytes() < sizeof model_ram ? tm2_slot_bytes() : (uint32_t)sizeof model_ram);
  n += 4;
  wr32(reply + n, sizeof arena);
  n += 4;
  wr32(reply + n, record.seq);
  n += 4;
  /* The slot actually running: the recorded one, or the fallback load_active() chose, or none. */
  reply[n++] = model_ok ? loaded_slot : TM2_SLOT_NONE;
  reply[n++] = record.active;
  reply[n++] = TM2_SLOT_COUNT;
  for (uint32_t s = 0; s < TM2_SLOT_COUNT; s++) {
    wr32(reply + n, record.slot[s].size);
    n += 4;
    for (uint32_t i = 0; i < 8; i++) reply[n + i] = record.slot[s].sha256[i];
    n += 8;
    n += put_slot_names(reply + n, s);
  }
  if (model_ok) {
    n += put_string(reply + n, model.model_id.text, model.model_id.length, 64);
    n += put_string(reply + n, model.model_version.text, model.model_version.length, 64);
  } else {
    reply[n++] = 0;
    reply[n++] = 0;
  }
  const char *fw = TM2_LOADER_FIRMWARE_VERSION;
  uint32_t fw_len = 0;
  while (fw[fw_len]) fw_len++;
  n += put_string(reply + n, (const uint8_t *)fw, fw_len, 64);
  return n;
}

static uint32_t handle_begin(const tm2_frame *f) {
  if (f->length != 36) return ack(TM2_LD_BAD_REQUEST, 0, 0);
  const uint32_t size = rd32(f->payload);
  if (size == 0 || size > tm2_slot_bytes() || size > sizeof model_ram) return ack(TM2_LD_TOO_LARGE, 0, tm2_slot_bytes());
  const uint8_t target = record.active == TM2_SLOT_NONE ? 0 : (uint8_t)(record.active ^ 1u);
  transfer.active = 0;
  /* Forget the slot's old model first: from here on only the active slot is trusted. */
  if (record.slot[target].size != 0) {
    tm2_slot_record next = record;
    next.slot[target].size = 0;
    if (tm2_record_store(&record, &next) != 0) return ack(TM2_LD_FLASH, 0, 0);
  }
  const uint32_t erase = (size + TM2_FLASH_SECTOR_BYTES - 1) / TM2_FLASH_SECTOR_BYTES * TM2_FLASH_SECTOR_BYTES;
  if (tm2_flash_erase(tm2_slot_address(target), erase) != 0) return ack(TM2_LD_FLASH, 0, 0);
  transfer.active = 1;
  transfer.slot = target;
  transfer.size = size;
  transfer.received = 0;
  for (uint32_t i = 0; i < 32; i++) transfer.sha256[i] = f->payload[4 + i];
  return ack(TM2_LD_OK, 0, target);
}

static uint32_t handle_data(const tm2_frame *f) {
  if (f->length < 4) return ack(TM2_LD_BAD_REQUEST, 0, 0);
  if (!transfer.active) return ack(TM2_LD_NO_TRANSFER, 0, 0);
  const uint32_t offset = rd32(f->payload);
  const uint32_t length = f->length - 4u;
  if (offset > transfer.received) return ack(TM2_LD_OUT_OF_ORDER, 0, transfer.received);
  if (length > transfer.size - offset) return ack(TM2_LD_BAD_REQUEST, 0, transfer.received);
  /* A chunk the host resends after a lost ACK is already in flash: acknowledge, do not reprogram. */
  const uint32_t end = offset + length;
  if (end > transfer.received) {
    const uint32_t skip = transfer.received - offset;
    if (tm2_flash_write(tm2_slot_address(transfer.slot) + transfer.received, f->payload + 4 + skip, length - skip) != 0) {
      transfer.active = 0;
      return ack(TM2_LD_FLASH, 0, 0);
    }
    transfer.received = end;
  }
  return ack(TM2_LD_OK, 0, transfer.received);
}

static uint32_t handle_commit(void) {
  if (!transfer.active) return ack(TM2_LD_NO_TRANSFER, 0, 0);
  if (transfer.received != transfer.size) return ack(TM2_LD_INCOMPLETE, 0, transfer.received);
  transfer.active = 0;
  tm2_slot_record next = record;
  next.slot[transfer.slot].size = transfer.size;
  for (uint32_t i = 0; i < 32; i++) next.slot[transfer.slot].sha256[i] = transfer.sha256[i];
  next.active = transfer.slot;
  /* Check the candidate from flash exactly as boot will, before the record points at it. */
  const tm2_slot_record previous = record;
  record = next;
  uint8_t parse_status;
  const tm2_loader_status checked = load_slot(transfer.slot, &parse_status);
  record = previous;
  if (checked != TM2_LD_OK) {
    load_active();
    return ack(checked, parse_status, 0);
  }
  if (tm2_record_store(&record, &next) != 0) {
    load_active();
    return ack(TM2_LD_FLASH, 0, 0);
  }
  return ack(TM2_LD_OK, 0, record.active);
}

static uint32_t handle_rollback(void) {
  transfer.active = 0;
  if (record.active == TM2_SLOT_NONE) return ack(TM2_LD_NO_PREVIOUS, 0, TM2_SLOT_NONE);
  const uint8_t other = (uint8_t)(record.active ^ 1u);
  if (record.slot[other].size == 0) return ack(TM2_LD_NO_PREVIOUS, 0, record.active);
  tm2_slot_record next = record;
  next.active = other;
  const tm2_slot_record previous = record;
  record = next;
  uint8_t parse_status;
  const tm2_loader_status checked = load_slot(other, &parse_status);
  record = previous;
  if (checked != TM2_LD_OK) {
    load_active();
    return ack(TM2_LD_NO_PREVIOUS, parse_status, record.active);
  }
  if (tm2_record_store(&record, &next) != 0) {
    load_active();
    return ack(TM2_LD_FLASH, 0, record.active);
  }
  return ack(TM2_LD_OK, 0, record.active);
}

static uint32_t handle_input(const tm2_frame *f) {
  if (f->length < 4) return ack(TM2_LD_BAD_REQUEST, 0, 0);
  const uint32_t offset = rd32(f->payload);
  const uint32_t length = f->length - 4u;
  if (offset > sizeof staged_inputs || length > sizeof staged_inputs - offset) return ack(TM2_LD_BAD_INPUT, 0, sizeof staged_inputs);
  for (uint32_t i = 0; i < length; i++) staged_inputs[offset + i] = f->payload[4 + i];
  return ack(TM2_LD_OK, 0, offset + length);
}

static uint32_t handle_infer(const tm2_frame *f) {
  if (f->length != 4) return ack(TM2_LD_BAD_REQUEST, 0, 0);
  if (!model_ok) return ack(TM2_LD_NO_MODEL, 0, 0);
  uint32_t in_total = 0, out_total = 0;
  for (uint32_t k = 0; k < model.input_count; k++) {
    int8_t *data;
    uint32_t bytes;
    tm2_input(&model, arena, k, &data, &bytes);
    in_total += bytes;
  }
  for (uint32_t k = 0; k < model.output_count; k++) {
    int8_t *data;
    uint32_t bytes;
    tm2_output(&model, arena, k, &data, &bytes);
    out_total += 4u + bytes;
  }
  if (rd32(f->payload) != in_total || in_total > sizeof staged_inputs) return ack(TM2_LD_BAD_INPUT, 0, in_total);
  if (12u + out_total > sizeof reply) return ack(TM2_LD_BAD_INPUT, 1, out_total);
  const uint8_t *src = staged_inputs;
  for (uint32_t k = 0; k < model.input_count; k++) {
    int8_t *data;
    uint32_t bytes;
    tm2_input(&model, arena, k, &data, &bytes);
    for (uint32_t i = 0; i < bytes; i++) data[i] = (int8_t)src[i];
    src += bytes;
  }
  const uint64_t start = tm2_cycle_counter();
  const tm2_status ran = tm2_invoke(&model, arena, sizeof arena);
  const uint64_t cycles = tm2_cycle_counter() - start;
  if (ran != TM2_OK) return ack(TM2_LD_INVOKE, (uint8_t)ran, 0);
  reply[0] = TM2_LD_OK;
  reply[1] = 0;
  wr16(reply + 2, model.output_count);
  wr32(reply + 4, (uint32_t)cycles);
  wr32(reply + 8, (uint32_t)(cycles >> 32));
  uint32_t n = 12;
  for (uint32_t k = 0; k < model.output_count; k++) {
    int8_t *data;
    uint32_t bytes;
    tm2_output(&model, arena, k, &data, &bytes);
    wr32(reply + n, bytes);
    n += 4;
    for (uint32_t i = 0; i < bytes; i++) reply[n + i] = (uint8_t)data[i];
    n += bytes;
  }
  return n;
}

static void handle(const tm2_frame *f) {
  if (have_last && f->seq == last_seq && f->type == last_type) {
    tm2_uart_write(wire, last_wire_bytes);
    return;
  }
  uint32_t n;
  uint8_t type = TM2_MSG_ACK;
  switch (f->type) {
    case TM2_MSG_HELLO:
      n = handle_hello();
      type = TM2_MSG_INFO;
      break;
    case TM2_MSG_BEGIN:
      n = handle_begin(f);
      break;
    case TM2_MSG_DATA:
      n = handle_data(f);
      break;
    case TM2_MSG_COMMIT:
      n = handle_commit();
      break;
    case TM2_MSG_ROLLBACK:
      n = handle_rollback();
      break;
    case TM2_MSG_INPUT:
      n = handle_input(f);
      break;
    case TM2_MSG_INFER:
      n = handle_infer(f);
      type = reply[0] == TM2_LD_OK && n > 8 ? TM2_MSG_RESULT : TM2_MSG_ACK;
      break;
    default:
      n = ack(TM2_LD_UNKNOWN_TYPE, f->type, 0);
      break;
  }
  /* HELLO is never deduplicated: it is how a host starts over after a restart on either side. */
  last_wire_bytes = tm2_frame_encode(type, f->seq, reply, (uint16_t)n, wire);
  last_type = f->type;
  last_seq = f->seq;
  have_last = f->type != TM2_MSG_HELLO;
  tm2_uart_write(wire, last_wire_bytes);
}

void tm2_loader_run(void) {
  tm2_record_load(&record);
  load_active();
  tm2_frame_decoder_init(&decoder);
  uint8_t bytes[256];
  for (;;) {
    const uint32_t n = tm2_uart_read(bytes, sizeof bytes);
    if (n == 0) return;
    for (uint32_t i = 0; i < n; i++) {
      tm2_frame frame;
      if (tm2_frame_push(&decoder, bytes[i], &frame)) handle(&frame);
    }
  }
}
