/*
 * What a board must provide to run TinyM2 models: the runtime (../runtime/) is portable C99 and calls
 * none of this; the board's main loop does. One implementation per board (hal_pmsis.c for GAP8).
 */
#ifndef TM2_HAL_H
#define TM2_HAL_H

#include <stdint.h>

/* Brings up clocks and the console; 0 on success. */
int tm2_hal_init(void);
/* The model blob to run: where it lives (flash or L2) and its length. */
const uint8_t *tm2_hal_model_blob(uint32_t *length);
/* Activation arena in the fastest memory that fits, at least `bytes` long, or 0. */
int8_t *tm2_hal_arena(uint32_t bytes, uint32_t *capacity);
/* Fills one modality's int8 features (from the audio front end or the host link); 0 on success. */
int tm2_hal_read_input(uint32_t modality, int8_t *data, uint32_t bytes);
/* Reports one output tensor to the host. */
void tm2_hal_write_output(uint32_t index, const int8_t *data, uint32_t bytes);
void tm2_hal_log(const char *text);
/* Free-running cycle counter, for the per-inference timing the app shows. */
uint32_t tm2_hal_cycles(void);

#endif
