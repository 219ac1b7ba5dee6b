/*
 * tm2_run MODEL.blob INPUTS.bin OUTPUTS.bin
 * tm2_run --info MODEL.blob      prints model id, version, arena bytes, inputs and outputs
 *
 * Runs a firmware blob on one or more input sets. INPUTS.bin holds the model's inputs (int8, in
 * input order) back to back for each set; OUTPUTS.bin receives the outputs the same way, one set per
 * input set. Exit status: 0 ok, the tm2_status code if the blob is rejected, 100+ for usage or I/O.
 * The same source builds for the host, aarch64 Linux and bare-metal rv32, so the device simulator and
 * the tests drive every build identically.
 */
#include <stdint.h>

#include "../runtime/interpreter.h"
#include "platform_io.h"

#ifndef TM2_RUN_MAX_BLOB
#define TM2_RUN_MAX_BLOB (1024u * 1024u)
#endif
#ifndef TM2_RUN_MAX_ARENA
#define TM2_RUN_MAX_ARENA (1024u * 1024u)
#endif
#ifndef TM2_RUN_MAX_IO
#define TM2_RUN_MAX_IO (4u * 1024u * 1024u)
#endif

static uint8_t blob[TM2_RUN_MAX_BLOB];
static int8_t arena[TM2_RUN_MAX_ARENA];
static uint8_t inputs[TM2_RUN_MAX_IO];
static uint8_t outputs[TM2_RUN_MAX_IO];

static int fail(const char *what, const char *detail, int code) {
  tm2_io_print("tm2_run: ");
  tm2_io_print(what);
  tm2_io_print(": ");
  tm2_io_print(detail);
  tm2_io_print("\n");
  return code;
}

static void print_string(tm2_string s) {
  char text[256];
  uint32_t n = s.length < sizeof text - 1 ? s.length : (uint32_t)sizeof text - 1;
  for (uint32_t i = 0; i < n; i++) text[i] = (char)s.text[i];
  text[n] = 0;
  tm2_io_print(text);
}

static void print_tensor(const tm2_model *m, const char *what, uint32_t k, uint32_t id) {
  tm2_tensor_info t;
  tm2_model_tensor(m, id, &t);
  tm2_io_print(what);
  tm2_io_print_u32(k);
  tm2_io_print(" tensor=");
  tm2_io_print_u32(id);
  tm2_io_print(" bytes=");
  tm2_io_print_u32(t.bytes);
  tm2_io_print(" offset=");
  tm2_io_print_u32(t.offset);
  if (what[0] == 'i') {
    tm2_string name;
    tm2_model_modality(m, k, &name);
    tm2_io_print(" modality=");
    print_string(name);
  }
  tm2_io_print("\n");
}

static int info(const tm2_model *m) {
  tm2_io_print("model_id=");
  print_string(m->model_id);
  tm2_io_print("\nmodel_version=");
  print_string(m->model_version);
  tm2_io_print("\narena_bytes=");
  tm2_io_print_u32(tm2_arena_bytes(m));
  tm2_io_print("\nops=");
  tm2_io_print_u32(m->op_count);
  tm2_io_print("\n");
  for (uint32_t k = 0; k < m->input_count; k++) {
    uint32_t id;
    tm2_model_input_tensor(m, k, &id);
    print_tensor(m, "input", k, id);
  }
  for (uint32_t k = 0; k < m->output_count; k++) {
    uint32_t id;
    tm2_model_output_tensor(m, k, &id);
    print_tensor(m, "output", k, id);
  }
  return 0;
}

int main(int argc, char **argv) {
  const int info_only = argc == 3 && argv[1][0] == '-' && argv[1][1] == '-' && argv[1][2] == 'i';
  if (argc != 4 && !info_only) return fail("usage", "tm2_run MODEL.blob INPUTS.bin OUTPUTS.bin | tm2_run --info MODEL.blob", 100);
  const char *blob_path = argv[info_only ? 2 : 1];
  uint32_t blob_bytes, input_bytes;
  if (tm2_io_read_file(blob_path, blob, sizeof blob, &blob_bytes) != 0) return fail(blob_path, "cannot read (missing or too large)", 101);
  tm2_model model;
  const tm2_status parsed = tm2_model_parse(blob, blob_bytes, &model);
  if (parsed != TM2_OK) {
    tm2_io_print("tm2_run: ");
    tm2_io_print(blob_path);
    tm2_io_print(": rejected, status ");
    tm2_io_print_u32((uint32_t)parsed);
    return fail(" ", tm2_status_string(parsed), (int)parsed);
  }
  if (info_only) return info(&model);
  if (tm2_arena_bytes(&model) > sizeof arena) return fail(argv[1], "arena larger than this build's buffer", 102);
  if (tm2_io_read_file(argv[2], inputs, sizeof inputs, &input_bytes) != 0) return fail(argv[2], "cannot read (missing or too large)", 101);

  uint32_t set_in = 0, set_out = 0;
  for (uint32_t k = 0; k < model.input_count; k++) {
    int8_t *data;
    uint32_t bytes;
    tm2_input(&model, arena, k, &data, &bytes);
    set_in += bytes;
  }
  for (uint32_t k = 0; k < model.output_count; k++) {
    int8_t *data;
    uint32_t bytes;
    tm2_output(&model, arena, k, &data, &bytes);
    set_out += bytes;
  }
  if (set_in == 0 || input_bytes == 0 || input_bytes % set_in != 0) return fail(argv[2], "size is not a whole number of input sets", 103);
  const uint32_t sets = input_bytes / set_in;
  if ((uint64_t)sets * set_out > sizeof outputs) return fail(argv[3], "outputs larger than this build's buffer", 102);

  for (uint32_t s = 0; s < sets; s++) {
    const uint8_t *src = inputs + s * set_in;
    for (uint32_t k = 0; k < model.input_count; k++) {
      int8_t *data;
      uint32_t bytes;
      tm2_input(&model, arena, k, &data, &bytes);
      for (uint32_t i = 0; i < bytes; i++) data[i] = (int8_t)src[i];
      src += bytes;
    }
    const tm2_status ran = tm2_invoke(&model, arena, sizeof arena);
    if (ran != TM2_OK) return fail(argv[1], tm2_status_string(ran), (int)ran);
    uint8_t *dst = outputs + s * set_out;
    for (uint32_t k = 0; k < model.output_count; k++) {
      int8_t *data;
      uint32_t bytes;
      tm2_output(&model, arena, k, &data, &bytes);
      for (uint32_t i = 0; i < bytes; i++) dst[i] = (uint8_t)data[i];
      dst += bytes;
    }
  }
  if (tm2_io_write_file(argv[3], outputs, sets * set_out) != 0) return fail(argv[3], "cannot write", 104);
  return 0;
}
