#include "model_parser.h"

#include "crc32.h"
#include "fixed_point.h"
#include "sha256.h"

#define TM2_MAX_DIM 65535u
#define TM2_MAX_WINDOW 255
/* Keeps every index product in the kernels well inside int32. */
#define TM2_MAX_TENSOR_BYTES 0x7fffffffu

static const char *const status_strings[TM2_STATUS_COUNT] = {
    "ok",
    "null pointer argument",
    "blob shorter than its header",
    "bad magic (not a TM2B blob)",
    "unsupported format version",
    "unexpected header size",
    "total size does not match the buffer",
    "CRC32 mismatch (blob corrupted)",
    "SHA-256 mismatch (payload corrupted)",
    "unknown flags set",
    "section offset or size out of bounds",
    "counts do not match the section sizes",
    "malformed tensor record",
    "tensor data out of bounds of the arena or constants",
    "invalid input or output tensor id",
    "malformed string table",
    "malformed op record",
    "unknown op kind",
    "op names a tensor of the wrong id, type or storage",
    "op shapes inconsistent with its tensors",
    "op parameter out of range",
    "arena smaller than the model needs",
    "index out of range",
    "op output overlaps an input it still reads",
};

const char *tm2_status_string(tm2_status status) {
  return (unsigned)status < (unsigned)TM2_STATUS_COUNT ? status_strings[status] : "unknown status";
}

tm2_status tm2_model_tensor(const tm2_model *m, uint32_t id, tm2_tensor_info *info) {
  if (!m || !info) return TM2_ERR_NULL;
  if (id >= m->tensor_count) return TM2_ERR_BAD_INDEX;
  const uint8_t *r = m->tensors + id * TM2_TENSOR_RECORD_BYTES;
  info->dtype = r[0];
  info->storage = r[1];
  info->rank = r[2];
  for (uint32_t d = 0; d < TM2_MAX_RANK; d++) info->dims[d] = tm2_rd_u32(r + 4 + 4 * d);
  info->offset = tm2_rd_u32(r + 20);
  info->bytes = tm2_rd_u32(r + 24);
  info->zero_point = (int32_t)tm2_rd_u32(r + 28);
  info->scale_bits = tm2_rd_u32(r + 32);
  return TM2_OK;
}

tm2_status tm2_model_input_tensor(const tm2_model *m, uint32_t k, uint32_t *id) {
  if (!m || !id) return TM2_ERR_NULL;
  if (k >= m->input_count) return TM2_ERR_BAD_INDEX;
  *id = tm2_rd_u16(m->io + 2 * k);
  return TM2_OK;
}

tm2_status tm2_model_output_tensor(const tm2_model *m, uint32_t k, uint32_t *id) {
  if (!m || !id) return TM2_ERR_NULL;
  if (k >= m->output_count) return TM2_ERR_BAD_INDEX;
  *id = tm2_rd_u16(m->io + 2 * (m->input_count + k));
  return TM2_OK;
}

/* Walks the string table: modelId, modelVersion, then one name per input. */
static tm2_status string_at(const uint8_t *strings, uint32_t bytes, uint32_t index, tm2_string *out) {
  uint32_t pos = 0;
  for (uint32_t i = 0;; i++) {
    if (pos > bytes || bytes - pos < 2) return TM2_ERR_STRINGS;
    const uint32_t len = tm2_rd_u16(strings + pos);
    if (len > bytes - pos - 2) return TM2_ERR_STRINGS;
    if (i == index) {
      out->text = strings + pos + 2;
      out->length = len;
      return TM2_OK;
    }
    pos += 2 + len;
  }
}

tm2_status tm2_model_modality(const tm2_model *m, uint32_t k, tm2_string *name) {
  if (!m || !name) return TM2_ERR_NULL;
  if (k >= m->input_count) return TM2_ERR_BAD_INDEX;
  return string_at(m->strings, (uint32_t)(m->ops - m->strings), 2 + k, name) == TM2_OK ? TM2_OK : TM2_ERR_STRINGS;
}

tm2_status tm2_op_decode(const uint8_t *p, uint32_t remaining, tm2_op_record *op) {
  if (remaining < 8) return TM2_ERR_OP_RECORD;
  op->kind = p[0];
  op->input_count = p[1];
  op->output = tm2_rd_u16(p + 2);
  op->record_bytes = tm2_rd_u32(p + 4);
  const uint32_t head = (8u + 2u * op->input_count + 3u) & ~3u;
  if (op->record_bytes < head || op->record_bytes > remaining || op->record_bytes % 4u != 0) return TM2_ERR_OP_RECORD;
  op->inputs = p + 8;
  op->params = p + head;
  op->param_count = (op->record_bytes - head) / 4u;
  return TM2_OK;
}

/* ---- validation ---------------------------------------------------------------------------- */

static uint64_t elements_of(const tm2_tensor_info *t) {
  uint64_t n = 1;
  for (uint32_t d = 0; d < t->rank; d++) n *= t->dims[d];
  return n;
}

static tm2_status check_tensor(const tm2_model *m, uint32_t id) {
  tm2_tensor_info t;
  tm2_model_tensor(m, id, &t);
  const uint8_t reserved = m->tensors[id * TM2_TENSOR_RECORD_BYTES + 3];
  if (t.dtype > TM2_DTYPE_INT32 || t.storage > TM2_STORAGE_CONSTANT || t.rank < 1 || t.rank > TM2_MAX_RANK || reserved != 0) return TM2_ERR_TENSOR;
  for (uint32_t d = 0; d < TM2_MAX_RANK; d++) {
    if (d < t.rank ? (t.dims[d] < 1 || t.dims[d] > TM2_MAX_DIM) : t.dims[d] != 1) return TM2_ERR_TENSOR;
  }
  const uint64_t bytes = elements_of(&t) * (t.dtype == TM2_DTYPE_INT8 ? 1u : 4u);
  if (bytes != t.bytes || bytes > TM2_MAX_TENSOR_BYTES) return TM2_ERR_TENSOR;
  if (t.zero_point < -128 || t.zero_point > 127) return TM2_ERR_TENSOR;
  if (t.storage == TM2_STORAGE_ARENA) {
    if (t.dtype != TM2_DTYPE_INT8) return TM2_ERR_TENSOR;
    if ((uint64_t)t.offset + t.bytes > m->arena_bytes) return TM2_ERR_TENSOR_BOUNDS;
  } else {
    if ((uint64_t)t.offset + t.bytes > m->constants_bytes) return TM2_ERR_TENSOR_BOUNDS;
    if (t.dtype == TM2_DTYPE_INT32 && t.offset % 4u != 0) return TM2_ERR_TENSOR_BOUNDS;
  }
  return TM2_OK;
}

/* A tensor an op reads or writes: id in range, of the expected type and storage. */
static tm2_status op_tensor(const tm2_model *m, uint32_t id, uint8_t dtype, uint8_t storage, tm2_tensor_info *t) {
  if (tm2_model_tensor(m, id, t) != TM2_OK || t->dtype != dtype || t->storage != storage) return TM2_ERR_OP_TENSOR;
  return TM2_OK;
}

static int rank3_is(const tm2_tensor_info *t, int32_t h, int32_t w, int32_t c) {
  return t->rank == 3 && (int64_t)t->dims[0] == h && (int64_t)t->dims[1] == w && (int64_t)t->dims[2] == c;
}

static int valid_zero_point(int32_t zp) { return zp >= -128 && zp <= 127; }
/* −zero point, as TFLite's input_offset. */
static int valid_input_offset(int32_t off) { return off >= -127 && off <= 128; }
static int valid_multiplier(int32_t mul, int32_t shift) { return mul >= 0 && shift >= -31 && shift <= 30; }
static int valid_clamp(int32_t lo, int32_t hi) { return lo >= -128 && lo <= hi && hi <= 127; }
static int in_window_range(int32_t v, int32_t lo) { return v >= lo && v <= TM2_MAX_WINDOW; }

static int valid_rescale(const uint8_t *p) {
  return valid_zero_point(tm2_ld_i32(p, 0)) && valid_zero_point(tm2_ld_i32(p, 1)) && valid_multiplier(tm2_ld_i32(p, 2), tm2_ld_i32(p, 3));
}

static int32_t out_size(int32_t in, int32_t k, int32_t stride, int32_t before, int32_t after) {
  const int32_t span = in + before + after - k;
  return span < 0 ? 0 : span / stride + 1;
}

/* Conv/pool geometry: params[0..13] = in H W C, out H W C, kernel H W, stride H W, padding T L B R. */
static tm2_status check_window(const int32_t g[14]) {
  for (int i = 6; i < 8; i++)
    if (!in_window_range(g[i], 1)) return TM2_ERR_OP_PARAMS;
  for (int i = 8; i < 10; i++)
    if (!in_window_range(g[i], 1)) return TM2_ERR_OP_PARAMS;
  for (int i = 10; i < 14; i++)
    if (!in_window_range(g[i], 0)) return TM2_ERR_OP_PARAMS;
  if (g[3] != out_size(g[0], g[6], g[8], g[10], g[12]) || g[4] != out_size(g[1], g[7], g[9], g[11], g[13])) return TM2_ERR_OP_SHAPE;
  return TM2_OK;
}

static void load_params(const tm2_op_record *op, int32_t *dst, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) dst[i] = tm2_ld_i32(op->params, i);
}

static tm2_status check_channel_requant(const tm2_op_record *op, uint32_t first, uint32_t channels) {
  for (uint32_t c = 0; c < channels; c++) {
    if (!valid_multiplier(tm2_ld_i32(op->params, first + c), tm2_ld_i32(op->params, first + channels + c))) return TM2_ERR_OP_PARAMS;
  }
  return TM2_OK;
}

/*
 * Kernels other than add and reshape read inputs after writing outputs, so their output must not share
 * arena bytes with an activation input; add may take over an input's exact bytes (it reads a[i], b[i]
 * before writing out[i]), reshape may alias freely (it copies like memmove).
 */
static tm2_status check_overlap(const tm2_model *m, const tm2_op_record *op) {
  tm2_tensor_info out, in;
  if (op->kind == TM2_OP_RESHAPE) return TM2_OK;
  tm2_model_tensor(m, op->output, &out);
  for (uint32_t k = 0; k < op->input_count; k++) {
    tm2_model_tensor(m, tm2_rd_u16(op->inputs + 2 * k), &in);
    if (in.storage != TM2_STORAGE_ARENA) continue;
    const int disjoint = (uint64_t)in.offset + in.bytes <= out.offset || (uint64_t)out.offset + out.bytes <= in.offset;
    const int exact_alias = op->kind == TM2_OP_ADD && in.offset == out.offset && in.bytes == out.bytes;
    if (!disjoint && !exact_alias) return TM2_ERR_OP_OVERLAP;
  }
  return TM2_OK;
}

#define TRY(expr)                          \
  do {                                     \
    const tm2_status s_ = (expr);          \
    if (s_ != TM2_OK) return s_;           \
  } while (0)

static tm2_status check_op(const tm2_model *m, const tm2_op_record *op) {
  tm2_tensor_info in, out, w, b;
  if (op->kind < TM2_OP_CONV2D || op->kind > TM2_OP_SOFTMAX) return TM2_ERR_OP_KIND;
  TRY(op_tensor(m, op->output, TM2_DTYPE_INT8, TM2_STORAGE_ARENA, &out));
  const uint32_t first_input = op->input_count > 0 ? tm2_rd_u16(op->inputs) : 0xffffffffu;
  switch (op->kind) {
    case TM2_OP_CONV2D: {
      int32_t g[19];
      if (op->input_count != 3 || op->param_count < 19) return TM2_ERR_OP_RECORD;
      load_params(op, g, 19);
      TRY(op_tensor(m, first_input, TM2_DTYPE_INT8, TM2_STORAGE_ARENA, &in));
      TRY(op_tensor(m, tm2_rd_u16(op->inputs + 2), TM2_DTYPE_INT8, TM2_STORAGE_CONSTANT, &w));
      TRY(op_tensor(m, tm2_rd_u16(op->inputs + 4), TM2_DTYPE_INT32, TM2_STORAGE_CONSTANT, &b));
      const int32_t groups = g[14];
      if (!rank3_is(&in, g[0], g[1], g[2]) || !rank3_is(&out, g[3], g[4], g[5])) return TM2_ERR_OP_SHAPE;
      if (op->param_count != 19u + 2u * (uint32_t)g[5]) return TM2_ERR_OP_RECORD;
      if (groups < 1 || g[2] % groups != 0 || g[5] % groups != 0) return TM2_ERR_OP_PARAMS;
      TRY(check_window(g));
      if (w.rank != 4 || (int64_t)w.dims[0] != g[5] || (int64_t)w.dims[1] != g[6] || (int64_t)w.dims[2] != g[7] ||
          (int64_t)w.dims[3] != g[2] / groups)
        return TM2_ERR_OP_SHAPE;
      if (b.rank != 1 || (int64_t)b.dims[0] != g[5]) return TM2_ERR_OP_SHAPE;
      if (!valid_input_offset(g[15]) || !valid_zero_point(g[16]) || !valid_clamp(g[17], g[18])) return TM2_ERR_OP_PARAMS;
      return check_channel_requant(op, 19, (uint32_t)g[5]);
    }
    case TM2_OP_DENSE: {
      int32_t g[6];
      if (op->input_count != 3 || op->param_count < 6) return TM2_ERR_OP_RECORD;
      load_params(op, g, 6);
      TRY(op_tensor(m, first_input, TM2_DTYPE_INT8, TM2_STORAGE_ARENA, &in));
      TRY(op_tensor(m, tm2_rd_u16(op->inputs + 2), TM2_DTYPE_INT8, TM2_STORAGE_CONSTANT, &w));
      TRY(op_tensor(m, tm2_rd_u16(op->inputs + 4), TM2_DTYPE_INT32, TM2_STORAGE_CONSTANT, &b));
      if (elements_of(&in) != (uint64_t)(int64_t)g[0] || elements_of(&out) != (uint64_t)(int64_t)g[1] || g[0] < 1 || g[1] < 1) return TM2_ERR_OP_SHAPE;
      if (op->param_count != 6u + 2u * (uint32_t)g[1]) return TM2_ERR_OP_RECORD;
      if (w.rank != 2 || (int64_t)w.dims[0] != g[1] || (int64_t)w.dims[1] != g[0]) return TM2_ERR_OP_SHAPE;
      if (b.rank != 1 || (int64_t)b.dims[0] != g[1]) return TM2_ERR_OP_SHAPE;
      if (!valid_input_offset(g[2]) || !valid_zero_point(g[3]) || !valid_clamp(g[4], g[5])) return TM2_ERR_OP_PARAMS;
      return check_channel_requant(op, 6, (uint32_t)g[1]);
    }
    case TM2_OP_MAX_POOL:
    case TM2_OP_AVG_POOL: {
      int32_t g[14];
      if (op->input_count != 1 || op->param_count != 18) return TM2_ERR_OP_RECORD;
      load_params(op, g, 14);
      TRY(op_tensor(m, first_input, TM2_DTYPE_INT8, TM2_STORAGE_ARENA, &in));
      if (!rank3_is(&in, g[0], g[1], g[2]) || !rank3_is(&out, g[3], g[4], g[5]) || g[2] != g[5]) return TM2_ERR_OP_SHAPE;
      TRY(check_window(g));
      return valid_rescale(op->params + 4 * 14) ? TM2_OK : TM2_ERR_OP_PARAMS;
    }
    case TM2_OP_GLOBAL_AVG_POOL: {
      int32_t g[3];
      if (op->input_count != 1 || op->param_count != 7) return TM2_ERR_OP_RECORD;
      load_params(op, g, 3);
      TRY(op_tensor(m, first_input, TM2_DTYPE_INT8, TM2_STORAGE_ARENA, &in));
      if (!rank3_is(&in, g[0], g[1], g[2]) || elements_of(&out) != (uint64_t)(int64_t)g[2]) return TM2_ERR_OP_SHAPE;
      return valid_rescale(op->params + 4 * 3) ? TM2_OK : TM2_ERR_OP_PARAMS;
    }
    case TM2_OP_CONCAT: {
      if (op->input_count < 1 || op->input_count > TM2_MAX_CONCAT_INPUTS || op->param_count != 1u + 5u * op->input_count) return TM2_ERR_OP_RECORD;
      const int32_t outer = tm2_ld_i32(op->params, 0);
      if (outer < 1) return TM2_ERR_OP_PARAMS;
      uint64_t axis_total = 0;
      for (uint32_t k = 0; k < op->input_count; k++) {
        TRY(op_tensor(m, tm2_rd_u16(op->inputs + 2 * k), TM2_DTYPE_INT8, TM2_STORAGE_ARENA, &in));
        const int32_t size = tm2_ld_i32(op->params, 1 + 5 * k);
        if (size < 1 || elements_of(&in) != (uint64_t)outer * (uint64_t)size) return TM2_ERR_OP_SHAPE;
        if (!valid_rescale(op->params + 4 * (2 + 5 * k))) return TM2_ERR_OP_PARAMS;
        axis_total += (uint64_t)size;
      }
      return elements_of(&out) == (uint64_t)outer * axis_total ? TM2_OK : TM2_ERR_OP_SHAPE;
    }
    case TM2_OP_ADD: {
      int32_t g[12];
      if (op->input_count != 2 || op->param_count != 12) return TM2_ERR_OP_RECORD;
      load_params(op, g, 12);
      TRY(op_tensor(m, first_input, TM2_DTYPE_INT8, TM2_STORAGE_ARENA, &in));
      TRY(op_tensor(m, tm2_rd_u16(op->inputs + 2), TM2_DTYPE_INT8, TM2_STORAGE_ARENA, &w));
      if (elements_of(&in) != elements_of(&out) || elements_of(&w) != elements_of(&out)) return TM2_ERR_OP_SHAPE;
      if (g[0] < 0 || g[0] > 22 || !valid_input_offset(g[1]) || !valid_input_offset(g[2]) || !valid_multiplier(g[3], g[4]) ||
          !valid_multiplier(g[5], g[6]) || !valid_multiplier(g[7], g[8]) || !valid_zero_point(g[9]) || !valid_clamp(g[10], g[11]))
        return TM2_ERR_OP_PARAMS;
      return TM2_OK;
    }
    case TM2_OP_RESHAPE:
      if (op->input_count != 1 || op->param_count != 0) return TM2_ERR_OP_RECORD;
      TRY(op_tensor(m, first_input, TM2_DTYPE_INT8, TM2_STORAGE_ARENA, &in));
      return elements_of(&in) == elements_of(&out) ? TM2_OK : TM2_ERR_OP_SHAPE;
    case TM2_OP_SOFTMAX: {
      int32_t g[5];
      if (op->input_count != 1 || op->param_count != 5) return TM2_ERR_OP_RECORD;
      load_params(op, g, 5);
      TRY(op_tensor(m, first_input, TM2_DTYPE_INT8, TM2_STORAGE_ARENA, &in));
      /* More than 256 classes would overflow the Q12.19 sum (prepareOp refuses them too). */
      if (g[0] < 1 || g[1] < 1 || g[1] > 256) return TM2_ERR_OP_PARAMS;
      if (elements_of(&in) != (uint64_t)g[0] * (uint64_t)g[1] || elements_of(&out) != elements_of(&in)) return TM2_ERR_OP_SHAPE;
      if (g[2] < 0 || g[3] < 0 || g[3] > 31 || g[4] > 0) return TM2_ERR_OP_PARAMS;
      return TM2_OK;
    }
    default:
      return TM2_ERR_OP_KIND;
  }
}

/* Section k of the header's table: offset and size, inside the blob after the header, 4-aligned. */
static tm2_status section(const uint8_t *blob, uint32_t size, uint32_t k, const uint8_t **start, uint32_t *bytes) {
  const uint32_t offset = tm2_rd_u32(blob + 60 + 8 * k);
  *bytes = tm2_rd_u32(blob + 64 + 8 * k);
  if (offset < TM2_HEADER_BYTES || offset % 4u != 0 || *bytes % 4u != 0 || offset > size || *bytes > size - offset) return TM2_ERR_SECTION;
  *start = blob + offset;
  return TM2_OK;
}

tm2_status tm2_model_parse(const uint8_t *blob, uint32_t size, tm2_model *m) {
  if (!blob || !m) return TM2_ERR_NULL;
  if (size < TM2_HEADER_BYTES) return TM2_ERR_TOO_SMALL;
  if (blob[0] != 'T' || blob[1] != 'M' || blob[2] != '2' || blob[3] != 'B') return TM2_ERR_MAGIC;
  if (tm2_rd_u16(blob + 4) != TM2_FORMAT_VERSION) return TM2_ERR_VERSION;
  if (tm2_rd_u16(blob + 6) != TM2_HEADER_BYTES) return TM2_ERR_HEADER_SIZE;
  if (tm2_rd_u32(blob + 8) != size) return TM2_ERR_TOTAL_SIZE;
  if (tm2_crc32(blob + 16, size - 16u) != tm2_rd_u32(blob + 12)) return TM2_ERR_CRC;
  uint8_t digest[32];
  tm2_sha256(blob + TM2_HEADER_BYTES, size - TM2_HEADER_BYTES, digest);
  uint8_t diff = 0;
  for (uint32_t i = 0; i < 32; i++) diff |= (uint8_t)(digest[i] ^ blob[16 + i]);
  if (diff != 0) return TM2_ERR_SHA256;
  if (tm2_rd_u32(blob + 100) != 0) return TM2_ERR_FLAGS;

  m->blob = blob;
  m->size = size;
  m->arena_bytes = tm2_rd_u32(blob + 48);
  m->tensor_count = tm2_rd_u16(blob + 52);
  m->op_count = tm2_rd_u16(blob + 54);
  m->input_count = tm2_rd_u16(blob + 56);
  m->output_count = tm2_rd_u16(blob + 58);
  uint32_t tensors_bytes, io_bytes, strings_bytes;
  TRY(section(blob, size, 0, &m->tensors, &tensors_bytes));
  TRY(section(blob, size, 1, &m->io, &io_bytes));
  TRY(section(blob, size, 2, &m->strings, &strings_bytes));
  TRY(section(blob, size, 3, &m->ops, &m->ops_bytes));
  TRY(section(blob, size, 4, &m->constants, &m->constants_bytes));
  /* Sections follow each other in this order, so none overlaps another. */
  if (m->io != m->tensors + tensors_bytes || m->strings != m->io + io_bytes || m->ops != m->strings + strings_bytes ||
      m->constants != m->ops + m->ops_bytes || m->constants + m->constants_bytes != blob + size)
    return TM2_ERR_SECTION;
  if (tensors_bytes != (uint32_t)m->tensor_count * TM2_TENSOR_RECORD_BYTES) return TM2_ERR_COUNTS;
  if (io_bytes != ((2u * ((uint32_t)m->input_count + m->output_count) + 3u) & ~3u)) return TM2_ERR_COUNTS;
  if (m->input_count < 1 || m->output_count < 1 || m->op_count < 1) return TM2_ERR_COUNTS;
  if (m->arena_bytes > TM2_MAX_TENSOR_BYTES) return TM2_ERR_TENSOR_BOUNDS;

  for (uint32_t id = 0; id < m->tensor_count; id++) TRY(check_tensor(m, id));
  for (uint32_t k = 0; k < (uint32_t)m->input_count + m->output_count; k++) {
    tm2_tensor_info t;
    if (tm2_model_tensor(m, tm2_rd_u16(m->io + 2 * k), &t) != TM2_OK || t.storage != TM2_STORAGE_ARENA) return TM2_ERR_IO;
  }
  for (uint32_t k = 0; k < 2u + m->input_count; k++) {
    tm2_string s;
    TRY(string_at(m->strings, strings_bytes, k, &s));
    if (k == 0) m->model_id = s;
    if (k == 1) m->model_version = s;
  }
  uint32_t pos = 0;
  for (uint32_t i = 0; i < m->op_count; i++) {
    tm2_op_record op;
    TRY(tm2_op_decode(m->ops + pos, m->ops_bytes - pos, &op));
    TRY(check_op(m, &op));
    TRY(check_overlap(m, &op));
    pos += op.record_bytes;
  }
  if (pos != m->ops_bytes) return TM2_ERR_OP_RECORD;
  return TM2_OK;
}
