/*
 * Runs a parsed model (model_parser.h) in a caller-provided arena: no allocation, no floating point.
 * Typical use on a device: a static arena of tm2_arena_bytes(&model) bytes, fill the inputs through
 * tm2_input, tm2_invoke, read tm2_output.
 */
#ifndef TM2_INTERPRETER_H
#define TM2_INTERPRETER_H

#include <stdint.h>
#include "model_parser.h"

/* Activation arena size the model needs, exactly the planner's ArenaPlan.arenaBytes. */
uint32_t tm2_arena_bytes(const tm2_model *model);

/* Where input/output k lives in the arena, and its size in bytes (int8 elements). */
tm2_status tm2_input(const tm2_model *model, int8_t *arena, uint32_t k, int8_t **data, uint32_t *bytes);
tm2_status tm2_output(const tm2_model *model, int8_t *arena, uint32_t k, int8_t **data, uint32_t *bytes);

/* Executes every op in blob order. arena_bytes is the size of the caller's buffer. */
tm2_status tm2_invoke(const tm2_model *model, int8_t *arena, uint32_t arena_bytes);

#endif
