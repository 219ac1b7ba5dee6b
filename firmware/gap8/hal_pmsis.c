/*
 * tm2_hal.h on GAP8 with the GAP SDK's PMSIS API (GAPuino). Skeleton: the model is linked in as
 * model_blob.c (generated from the blob file by the deploy step) and inputs arrive over the UART loader,
 * which is a later task; until then read_input returns "no more input" after one zero-filled run.
 * Built only by Makefile.gap8 with GAP_SDK_HOME set; never compiled by the host tests.
 */
#include "pmsis.h"
#include "tm2_hal.h"

extern const uint8_t tm2_model_blob[];
extern const uint32_t tm2_model_blob_length;

/* L2 is 512 KB on GAP8; the planner sizes models to a target level, this is the L2 budget. */
#define TM2_GAP8_ARENA_BYTES (192u * 1024u)
static PI_L2 int8_t arena[TM2_GAP8_ARENA_BYTES];
static int runs;

int tm2_hal_init(void) {
  pi_freq_set(PI_FREQ_DOMAIN_FC, 250000000);
  return 0;
}

const uint8_t *tm2_hal_model_blob(uint32_t *length) {
  *length = tm2_model_blob_length;
  return tm2_model_blob;
}

int8_t *tm2_hal_arena(uint32_t bytes, uint32_t *capacity) {
  *capacity = TM2_GAP8_ARENA_BYTES;
  return bytes <= TM2_GAP8_ARENA_BYTES ? arena : 0;
}

int tm2_hal_read_input(uint32_t modality, int8_t *data, uint32_t bytes) {
  (void)modality;
  if (runs > 0) return -1;
  for (uint32_t i = 0; i < bytes; i++) data[i] = 0;
  return 0;
}

void tm2_hal_write_output(uint32_t index, const int8_t *data, uint32_t bytes) {
  printf("output %lu:", (unsigned long)index);
  for (uint32_t i = 0; i < bytes; i++) printf(" %d", data[i]);
  printf("\n");
  runs++;
}

void tm2_hal_log(const char *text) { printf("%s", text); }

uint32_t tm2_hal_cycles(void) { return pi_perf_read(PI_PERF_CYCLES); }

int tm2_main(void);

static void entry(void) {
  pi_perf_conf(1 << PI_PERF_CYCLES);
  pi_perf_start();
  pmsis_exit(tm2_main());
}

int main(void) { return pmsis_kickoff((void *)entry); }
