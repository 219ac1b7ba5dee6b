/*
 * Board-independent main loop: parse the model once, then read inputs → invoke → write outputs forever.
 * Everything board-specific is behind tm2_hal.h.
 */
#include "../runtime/interpreter.h"
#include "tm2_hal.h"

static void log_status(const char *what, tm2_status status) {
  tm2_hal_log(what);
  tm2_hal_log(": ");
  tm2_hal_log(tm2_status_string(status));
  tm2_hal_log("\n");
}

int tm2_main(void) {
  if (tm2_hal_init() != 0) return 1;
  uint32_t length;
  const uint8_t *blob = tm2_hal_model_blob(&length);
  tm2_model model;
  const tm2_status parsed = tm2_model_parse(blob, length, &model);
  if (parsed != TM2_OK) {
    log_status("model rejected", parsed);
    return 2;
  }
  uint32_t capacity;
  int8_t *arena = tm2_hal_arena(tm2_arena_bytes(&model), &capacity);
  if (!arena) {
    log_status("arena", TM2_ERR_ARENA_TOO_SMALL);
    return 3;
  }
  for (;;) {
    for (uint32_t k = 0; k < model.input_count; k++) {
      int8_t *data;
      uint32_t bytes;
      tm2_input(&model, arena, k, &data, &bytes);
      if (tm2_hal_read_input(k, data, bytes) != 0) return 0;
    }
    const uint32_t start = tm2_hal_cycles();
    const tm2_status ran = tm2_invoke(&model, arena, capacity);
    const uint32_t cycles = tm2_hal_cycles() - start;
    if (ran != TM2_OK) {
      log_status("invoke", ran);
      return 4;
    }
    (void)cycles;
    for (uint32_t k = 0; k < model.output_count; k++) {
      int8_t *data;
      uint32_t bytes;
      tm2_output(&model, arena, k, &data, &bytes);
      tm2_hal_write_output(k, data, bytes);
    }
  }
}
