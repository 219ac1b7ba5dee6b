#include "interpreter.h"

#include "kernels.h"

uint32_t tm2_arena_bytes(const tm2_model *model) { return model ? model->arena_bytes : 0; }

static tm2_status io_tensor(const tm2_model *m, int8_t *arena, uint32_t id, int8_t **data, uint32_t *bytes) {
  tm2_tensor_info t;
  const tm2_status s = tm2_model_tensor(m, id, &t);
  if (s != TM2_OK) return s;
  *data = arena + t.offset;
  *bytes = t.bytes;
  return TM2_OK;
}

tm2_status tm2_input(const tm2_model *m, int8_t *arena, uint32_t k, int8_t **data, uint32_t *bytes) {
  uint32_t id;
  if (!m || !arena || !data || !bytes) return TM2_ERR_NULL;
  const tm2_status s = tm2_model_input_tensor(m, k, &id);
  return s == TM2_OK ? io_tensor(m, arena, id, data, bytes) : s;
}

tm2_status tm2_output(const tm2_model *m, int8_t *arena, uint32_t k, int8_t **data, uint32_t *bytes) {
  uint32_t id;
  if (!m || !arena || !data || !bytes) return TM2_ERR_NULL;
  const tm2_status s = tm2_model_output_tensor(m, k, &id);
  return s == TM2_OK ? io_tensor(m, arena, id, data, bytes) : s;
}

/* The parser has checked every id, offset and size these resolve. */
static int8_t *activation(const tm2_model *m, int8_t *arena, uint32_t id, uint32_t *bytes) {
  tm2_tensor_info t;
  tm2_model_tensor(m, id, &t);
  if (bytes) *bytes = t.bytes;
  return arena + t.offset;
}

static const uint8_t *constant(const tm2_model *m, uint32_t id) {
  tm2_tensor_info t;
  tm2_model_tensor(m, id, &t);
  return m->constants + t.offset;
}

static void copy3(int32_t *dst, const uint8_t *params, uint32_t first) {
  for (uint32_t i = 0; i < 3; i++) dst[i] = tm2_ld_i32(params, first + i);
}

static void load_rescale(tm2_rescale *r, const uint8_t *params, uint32_t first) {
  r->input_zero_point = tm2_ld_i32(params, first);
  r->output_zero_point = tm2_ld_i32(params, first + 1);
  r->multiplier = tm2_ld_i32(params, first + 2);
  r->shift = tm2_ld_i32(params, first + 3);
}

/* Geometry shared by conv and pools: in(3) out(3) window(2) stride(2) padding(4). */
static void load_window(const uint8_t *q, int32_t in[3], int32_t out[3], int32_t window[2], int32_t stride[2], int32_t padding[4]) {
  copy3(in, q, 0);
  copy3(out, q, 3);
  for (uint32_t i = 0; i < 2; i++) {
    window[i] = tm2_ld_i32(q, 6 + i);
    stride[i] = tm2_ld_i32(q, 8 + i);
  }
  for (uint32_t i = 0; i < 4; i++) padding[i] = tm2_ld_i32(q, 10 + i);
}

static void run_op(const tm2_model *m, int8_t *arena, const tm2_op_record *op) {
  const uint8_t *q = op->params;
  const uint32_t in0 = tm2_rd_u16(op->inputs);
  uint32_t out_bytes;
  int8_t *out = activation(m, arena, op->output, &out_bytes);
  switch (op->kind) {
    case TM2_OP_CONV2D: {
      tm2_conv2d_params p;
      load_window(q, p.input_shape, p.output_shape, p.kernel, p.stride, p.padding);
      p.groups = tm2_ld_i32(q, 14);
      p.requant.input_offset = tm2_ld_i32(q, 15);
      p.requant.output_offset = tm2_ld_i32(q, 16);
      p.clamp[0] = tm2_ld_i32(q, 17);
      p.clamp[1] = tm2_ld_i32(q, 18);
      p.requant.multipliers = q + 4 * 19;
      p.requant.shifts = q + 4 * (19 + (uint32_t)p.output_shape[2]);
      tm2_conv2d(&p, activation(m, arena, in0, 0), (const int8_t *)constant(m, tm2_rd_u16(op->inputs + 2)),
                 constant(m, tm2_rd_u16(op->inputs + 4)), out);
      return;
    }
    case TM2_OP_DENSE: {
      tm2_dense_params p;
      p.input_size = tm2_ld_i32(q, 0);
      p.output_size = tm2_ld_i32(q, 1);
      p.requant.input_offset = tm2_ld_i32(q, 2);
      p.requant.output_offset = tm2_ld_i32(q, 3);
      p.clamp[0] = tm2_ld_i32(q, 4);
      p.clamp[1] = tm2_ld_i32(q, 5);
      p.requant.multipliers = q + 4 * 6;
      p.requant.shifts = q + 4 * (6 + (uint32_t)p.output_size);
      tm2_dense(&p, activation(m, arena, in0, 0), (const int8_t *)constant(m, tm2_rd_u16(op->inputs + 2)),
                constant(m, tm2_rd_u16(op->inputs + 4)), out);
      return;
    }
    case TM2_OP_MAX_POOL:
    case TM2_OP_AVG_POOL: {
      tm2_pool_params p;
      load_window(q, p.input_shape, p.output_shape, p.size, p.stride, p.padding);
      load_rescale(&p.rescale, q, 14);
      if (op->kind == TM2_OP_MAX_POOL)
        tm2_max_pool(&p, activation(m, arena, in0, 0), out);
      else
        tm2_avg_pool(&p, activation(m, arena, in0, 0), out);
      return;
    }
    case TM2_OP_GLOBAL_AVG_POOL: {
      tm2_global_avg_pool_params p;
      copy3(p.input_shape, q, 0);
      load_rescale(&p.rescale, q, 3);
      tm2_global_avg_pool(&p, activation(m, arena, in0, 0), out);
      return;
    }
    case TM2_OP_CONCAT: {
      int32_t sizes[TM2_MAX_CONCAT_INPUTS];
      tm2_rescale rescales[TM2_MAX_CONCAT_INPUTS];
      const int8_t *inputs[TM2_MAX_CONCAT_INPUTS];
      tm2_concat_params p;
      p.outer_size = tm2_ld_i32(q, 0);
      p.input_count = op->input_count;
      for (uint32_t k = 0; k < op->input_count; k++) {
        sizes[k] = tm2_ld_i32(q, 1 + 5 * k);
        load_rescale(&rescales[k], q, 2 + 5 * k);
        inputs[k] = activation(m, arena, tm2_rd_u16(op->inputs + 2 * k), 0);
      }
      p.axis_sizes = sizes;
      p.rescales = rescales;
      tm2_concat(&p, inputs, out);
      return;
    }
    case TM2_OP_ADD: {
      tm2_add_params p;
      p.left_shift = tm2_ld_i32(q, 0);
      p.input1_offset = tm2_ld_i32(q, 1);
      p.input2_offset = tm2_ld_i32(q, 2);
      p.input1_multiplier = tm2_ld_i32(q, 3);
      p.input1_shift = tm2_ld_i32(q, 4);
      p.input2_multiplier = tm2_ld_i32(q, 5);
      p.input2_shift = tm2_ld_i32(q, 6);
      p.output_multiplier = tm2_ld_i32(q, 7);
      p.output_shift = tm2_ld_i32(q, 8);
      p.output_offset = tm2_ld_i32(q, 9);
      p.clamp[0] = tm2_ld_i32(q, 10);
      p.clamp[1] = tm2_ld_i32(q, 11);
      tm2_add(&p, activation(m, arena, in0, 0), activation(m, arena, tm2_rd_u16(op->inputs + 2), 0), (int32_t)out_bytes, out);
      return;
    }
    case TM2_OP_RESHAPE: {
      /* Same bytes; the planner may alias them in place, and overlapping copies must behave like memmove. */
      const int8_t *in = activation(m, arena, in0, 0);
      if (in == out) return;
      if (in > out)
        for (uint32_t i = 0; i < out_bytes; i++) out[i] = in[i];
      else
        for (uint32_t i = out_bytes; i-- > 0;) out[i] = in[i];
      return;
    }
    case TM2_OP_SOFTMAX: {
      tm2_softmax_params p;
      p.outer_size = tm2_ld_i32(q, 0);
      p.depth = tm2_ld_i32(q, 1);
      p.input_multiplier = tm2_ld_i32(q, 2);
      p.input_left_shift = tm2_ld_i32(q, 3);
      p.diff_min = tm2_ld_i32(q, 4);
      tm2_softmax(&p, activation(m, arena, in0, 0), out);
      return;
    }
    default:
      return;
  }
}

tm2_status tm2_invoke(const tm2_model *m, int8_t *arena, uint32_t arena_bytes) {
  if (!m || !arena) return TM2_ERR_NULL;
  if (arena_bytes < m->arena_bytes) return TM2_ERR_ARENA_TOO_SMALL;
  uint32_t pos = 0;
  for (uint32_t i = 0; i < m->op_count; i++) {
    tm2_op_record op;
    const tm2_status s = tm2_op_decode(m->ops + pos, m->ops_bytes - pos, &op);
    if (s != TM2_OK) return s;
    run_op(m, arena, &op);
    pos += op.record_bytes;
  }
  return TM2_OK;
}
