/*
 * The UART model loader (LOADER_PROTOCOL.md): boots the active slot's model, then serves HELLO, BEGIN,
 * DATA, COMMIT, ROLLBACK, INPUT and INFER frames until the UART goes away. Portable: everything
 * board-specific is behind loader_hal.h.
 */
#ifndef TM2_LOADER_H
#define TM2_LOADER_H

#include <stdint.h>

#define TM2_LOADER_PROTOCOL_VERSION 1u
#define TM2_LOADER_FIRMWARE_VERSION "tm2-loader 0.2.0"
#define TM2_LOADER_DATA_CHUNK 2048u

/* Request types; a reply's type is the request's | 0x80 (ACK = 0x80 for BEGIN/DATA/COMMIT/ROLLBACK/INPUT). */
enum {
  TM2_MSG_HELLO = 0x01,
  TM2_MSG_BEGIN = 0x02,
  TM2_MSG_DATA = 0x03,
  TM2_MSG_COMMIT = 0x04,
  TM2_MSG_ROLLBACK = 0x05,
  TM2_MSG_INPUT = 0x06,
  TM2_MSG_INFER = 0x07,
  TM2_MSG_ACK = 0x80,
  TM2_MSG_INFO = 0x81,
  TM2_MSG_RESULT = 0x87
};

/* Loader status codes carried in ACK and RESULT. */
typedef enum {
  TM2_LD_OK = 0,
  TM2_LD_BAD_REQUEST = 1,      /* payload length wrong for the type */
  TM2_LD_TOO_LARGE = 2,        /* BEGIN size 0 or larger than a slot or the model RAM */
  TM2_LD_NO_TRANSFER = 3,      /* DATA/COMMIT without BEGIN */
  TM2_LD_OUT_OF_ORDER = 4,     /* DATA beyond the next expected offset (value = that offset) */
  TM2_LD_INCOMPLETE = 5,       /* COMMIT before every byte arrived (value = bytes received) */
  TM2_LD_SHA_MISMATCH = 6,     /* the received blob's SHA-256 differs from BEGIN's */
  TM2_LD_BLOB_REJECTED = 7,    /* the blob parser refused it (detail = tm2_status) */
  TM2_LD_FLASH = 8,            /* a flash erase/write/read failed */
  TM2_LD_NO_MODEL = 9,         /* INFER with no valid model */
  TM2_LD_NO_PREVIOUS = 10,     /* ROLLBACK with no valid previous model */
  TM2_LD_ARENA_TOO_SMALL = 11, /* the model needs more arena than this device has */
  TM2_LD_BAD_INPUT = 12,       /* INPUT beyond the buffer or INFER size ≠ the model's inputs */
  TM2_LD_INVOKE = 13,          /* tm2_invoke failed (detail = tm2_status) */
  TM2_LD_UNKNOWN_TYPE = 14
} tm2_loader_status;

/* Runs the loader until the UART closes. */
void tm2_loader_run(void);

#endif
