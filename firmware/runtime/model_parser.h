/*
 * Parses and validates a TM2B firmware blob (firmware/BLOB_FORMAT.md) in place, from a const buffer:
 * nothing is copied or allocated. After TM2_OK every offset, size, shape and op parameter the
 * interpreter uses has been checked, so running the model cannot read or write out of bounds.
 */
#ifndef TM2_MODEL_PARSER_H
#define TM2_MODEL_PARSER_H

#include <stdint.h>

#define TM2_FORMAT_VERSION 1u
#define TM2_HEADER_BYTES 104u
#define TM2_TENSOR_RECORD_BYTES 36u
#define TM2_MAX_CONCAT_INPUTS 16
#define TM2_MAX_RANK 4

typedef enum {
  TM2_OK = 0,
  TM2_ERR_NULL,
  TM2_ERR_TOO_SMALL,
  TM2_ERR_MAGIC,
  TM2_ERR_VERSION,
  TM2_ERR_HEADER_SIZE,
  TM2_ERR_TOTAL_SIZE,
  TM2_ERR_CRC,
  TM2_ERR_SHA256,
  TM2_ERR_FLAGS,
  TM2_ERR_SECTION,
  TM2_ERR_COUNTS,
  TM2_ERR_TENSOR,
  TM2_ERR_TENSOR_BOUNDS,
  TM2_ERR_IO,
  TM2_ERR_STRINGS,
  TM2_ERR_OP_RECORD,
  TM2_ERR_OP_KIND,
  TM2_ERR_OP_TENSOR,
  TM2_ERR_OP_SHAPE,
  TM2_ERR_OP_PARAMS,
  TM2_ERR_ARENA_TOO_SMALL,
  TM2_ERR_BAD_INDEX,
  TM2_ERR_OP_OVERLAP,
  TM2_STATUS_COUNT
} tm2_status;

const char *tm2_status_string(tm2_status status);

enum { TM2_DTYPE_INT8 = 0, TM2_DTYPE_INT32 = 1 };
enum { TM2_STORAGE_ARENA = 0, TM2_STORAGE_CONSTANT = 1 };
enum {
  TM2_OP_CONV2D = 1,
  TM2_OP_DENSE = 2,
  TM2_OP_MAX_POOL = 3,
  TM2_OP_AVG_POOL = 4,
  TM2_OP_GLOBAL_AVG_POOL = 5,
  TM2_OP_CONCAT = 6,
  TM2_OP_ADD = 7,
  TM2_OP_RESHAPE = 8,
  TM2_OP_SOFTMAX = 9
};

typedef struct {
  uint8_t dtype;
  uint8_t storage;
  uint8_t rank;
  uint32_t dims[TM2_MAX_RANK];
  uint32_t offset; /* into the arena (activations) or the constants section (constants) */
  uint32_t bytes;
  int32_t zero_point;
  uint32_t scale_bits; /* float32 bits, for the host side; the runtime never computes with it */
} tm2_tensor_info;

typedef struct {
  const uint8_t *text; /* not NUL-terminated */
  uint32_t length;
} tm2_string;

typedef struct {
  const uint8_t *blob;
  uint32_t size;
  uint32_t arena_bytes;
  uint16_t tensor_count;
  uint16_t op_count;
  uint16_t input_count;
  uint16_t output_count;
  const uint8_t *tensors;
  const uint8_t *io;
  const uint8_t *strings;
  const uint8_t *ops;
  uint32_t ops_bytes;
  const uint8_t *constants;
  uint32_t constants_bytes;
  tm2_string model_id;
  tm2_string model_version;
} tm2_model;

tm2_status tm2_model_parse(const uint8_t *blob, uint32_t size, tm2_model *model);

/* Accessors for a parsed model; they return TM2_ERR_BAD_INDEX for an index out of range. */
tm2_status tm2_model_tensor(const tm2_model *model, uint32_t id, tm2_tensor_info *info);
tm2_status tm2_model_input_tensor(const tm2_model *model, uint32_t k, uint32_t *id);
tm2_status tm2_model_output_tensor(const tm2_model *model, uint32_t k, uint32_t *id);
tm2_status tm2_model_modality(const tm2_model *model, uint32_t k, tm2_string *name);

/* One op record, decoded in place (inputs: u16 LE tensor ids; params: int32 LE). */
typedef struct {
  uint8_t kind;
  uint8_t input_count;
  uint16_t output;
  uint32_t record_bytes;
  const uint8_t *inputs;
  const uint8_t *params;
  uint32_t param_count;
} tm2_op_record;

/* Decodes the record at p with `remaining` bytes left in the op section; checks only its framing. */
tm2_status tm2_op_decode(const uint8_t *p, uint32_t remaining, tm2_op_record *op);

/* Little-endian field readers shared with the interpreter. */
static inline uint16_t tm2_rd_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t tm2_rd_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

#endif
