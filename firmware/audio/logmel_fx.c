#include "logmel_fx.h"

/* log2(1 + i/256) in Q16, i = 0..256. */
static const uint32_t log2_table[257] = {
    0u, 369u, 736u, 1102u, 1466u, 1829u, 2190u, 2551u, 2909u, 3267u, 3623u, 3978u,
    4331u, 4683u, 5034u, 5384u, 5732u, 6079u, 6425u, 6769u, 7112u, 7454u, 7795u, 8134u,
    8473u, 8810u, 9146u, 9480u, 9814u, 10146u, 10477u, 10807u, 11136u, 11464u, 11791u, 12116u,
    12440u, 12764u, 13086u, 13407u, 13727u, 14046u, 14363u, 14680u, 14996u, 15310u, 15624u, 15937u,
    16248u, 16559u, 16868u, 17177u, 17484u, 17791u, 18096u, 18401u, 18704u, 19007u, 19308u, 19609u,
    19909u, 20207u, 20505u, 20802u, 21098u, 21393u, 21687u, 21980u, 22272u, 22564u, 22854u, 23144u,
    23433u, 23720u, 24007u, 24293u, 24579u, 24863u, 25146u, 25429u, 25711u, 25992u, 26272u, 26551u,
    26830u, 27108u, 27384u, 27660u, 27936u, 28210u, 28484u, 28757u, 29029u, 29300u, 29571u, 29840u,
    30109u, 30378u, 30645u, 30912u, 31178u, 31443u, 31707u, 31971u, 32234u, 32496u, 32758u, 33019u,
    33279u, 33538u, 33797u, 34055u, 34312u, 34569u, 34825u, 35080u, 35334u, 35588u, 35841u, 36094u,
    36346u, 36597u, 36847u, 37097u, 37346u, 37595u, 37842u, 38090u, 38336u, 38582u, 38827u, 39072u,
    39316u, 39559u, 39802u, 40044u, 40286u, 40527u, 40767u, 41006u, 41246u, 41484u, 41722u, 41959u,
    42196u, 42432u, 42667u, 42902u, 43137u, 43370u, 43603u, 43836u, 44068u, 44300u, 44530u, 44761u,
    44990u, 45220u, 45448u, 45676u, 45904u, 46131u, 46357u, 46583u, 46809u, 47034u, 47258u, 47482u,
    47705u, 47928u, 48150u, 48372u, 48593u, 48813u, 49034u, 49253u, 49472u, 49691u, 49909u, 50127u,
    50344u, 50560u, 50776u, 50992u, 51207u, 51422u, 51636u, 51850u, 52063u, 52276u, 52488u, 52700u,
    52911u, 53122u, 53332u, 53542u, 53751u, 53960u, 54169u, 54377u, 54584u, 54791u, 54998u, 55204u,
    55410u, 55615u, 55820u, 56025u, 56229u, 56432u, 56635u, 56838u, 57040u, 57242u, 57443u, 57644u,
    57845u, 58045u, 58245u, 58444u, 58643u, 58841u, 59039u, 59237u, 59434u, 59631u, 59827u, 60023u,
    60219u, 60414u, 60609u, 60803u, 60997u, 61190u, 61384u, 61576u, 61769u, 61961u, 62152u, 62343u,
    62534u, 62725u, 62915u, 63104u, 63294u, 63483u, 63671u, 63859u, 64047u, 64234u, 64421u, 64608u,
    64794u, 64980u, 65166u, 65351u, 65536u,};

#define LN2_Q30 744261118 /* ln 2 · 2^30 */
#define NO_ENERGY ((int32_t)0x80000000)

static uint32_t msb64(uint64_t x) {
  uint32_t m = 0;
  while (x >>= 1) m++;
  return m;
}

/* log2(x) in Q16 for x > 0. */
static int32_t log2_q16(uint64_t x) {
  const uint32_t m = msb64(x);
  const uint32_t mant = (uint32_t)(m >= 31 ? x >> (m - 31) : x << (31 - m)); /* [2^31, 2^32) */
  const uint32_t index = (mant >> 23) & 0xFFu;
  const uint32_t frac = (mant >> 7) & 0xFFFFu;
  const uint32_t a = log2_table[index], b = log2_table[index + 1];
  return (int32_t)(m << 16) + (int32_t)(a + (((b - a) * frac + 0x8000u) >> 16));
}

/* log2(hi · 2^32 + lo) in Q16, or NO_ENERGY for 0. */
static int32_t log2_96(uint64_t hi, uint64_t lo) {
  if (hi == 0) return lo ? log2_q16(lo) : NO_ENERGY;
  /* Shift right by k so the sum fits 63 bits; what is lost is below 2^-30 of the value. */
  const uint32_t top = msb64(hi) + 32u;
  const uint32_t k = top >= 62u ? top - 61u : 0u;
  const uint64_t v = (hi << (32u - k)) + (lo >> k);
  return log2_q16(v) + (int32_t)(k << 16);
}

static int32_t round_shift64(int64_t x, uint32_t s) { return (int32_t)((x + ((int64_t)1 << (s - 1))) >> s); }

/* In-place radix-2 FFT, int32, every stage halved (result = DFT / n). */
static void fft_q(const tm2_logmel_fx_tables *t, int32_t *re, int32_t *im) {
  const uint32_t n = t->fft_size;
  for (uint32_t i = 1, j = 0; i < n; i++) {
    uint32_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      int32_t x = re[i];
      re[i] = re[j];
      re[j] = x;
      x = im[i];
      im[i] = im[j];
      im[j] = x;
    }
  }
  for (uint32_t len = 2; len <= n; len <<= 1) {
    const uint32_t stride = n / len;
    for (uint32_t i = 0; i < n; i += len) {
      for (uint32_t k = 0; k < len / 2; k++) {
        const int64_t wr = t->cos_q30[k * stride], wi = -(int64_t)t->sin_q30[k * stride];
        const uint32_t a = i + k, b = i + k + len / 2;
        const int32_t xr = round_shift64((int64_t)re[b] * wr - (int64_t)im[b] * wi, 30);
        const int32_t xi = round_shift64((int64_t)re[b] * wi + (int64_t)im[b] * wr, 30);
        const int32_t ar = re[a], ai = im[a];
        re[b] = (int32_t)(((int64_t)ar - xr + 1) >> 1);
        im[b] = (int32_t)(((int64_t)ai - xi + 1) >> 1);
        re[a] = (int32_t)(((int64_t)ar + xr + 1) >> 1);
        im[a] = (int32_t)(((int64_t)ai + xi + 1) >> 1);
      }
    }
  }
}

static int8_t quantize(const tm2_logmel_fx_tables *t, int32_t ln_q16) {
  /* round half up of ln / scale: (ln_q16 · inv_scale_q16) is Q32. */
  const int64_t q = (((int64_t)ln_q16 * t->inv_scale_q16 + ((int64_t)1 << 31)) >> 32) + t->zero_point;
  return (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
}

tm2_logmel_status tm2_logmel_fx(const tm2_logmel_fx_tables *t, const int16_t *samples, uint32_t count, int32_t *scratch, uint32_t scratch_words,
                                int8_t *out, int32_t *ln_q16) {
  const uint32_t win = t->window_length, hop = t->hop, n = t->fft_size, bands = t->bands;
  const uint32_t frames_in = count < win ? (count > 0 ? 1u : 0u) : 1u + (count - win) / hop;
  const uint32_t stride = bands + 1u; /* per frame: ln of each band (Q16), then log2 of the frame energy */
  if ((uint64_t)frames_in * stride > scratch_words) return TM2_LOGMEL_SCRATCH_TOO_SMALL;
  static int32_t re[TM2_LOGMEL_MAX_FFT], im[TM2_LOGMEL_MAX_FFT];
  int32_t max_energy = NO_ENERGY;
  for (uint32_t f = 0; f < frames_in; f++) {
    const uint32_t at = f * hop;
    const uint32_t avail = count - at < win ? count - at : win;
    /* Block floating point: x = samples · window / 2^e with e chosen per frame so max |x| < 2^27. Quiet
     * frames (breathing, pauses) keep as many bits through the FFT as loud ones. */
    int64_t max_abs = 0;
    for (uint32_t i = 0; i < avail && i < win; i++) {
      const int64_t x = (int64_t)samples[at + i] * t->window_q30[i]; /* |.| ≤ 2^45 */
      const int64_t a = x < 0 ? -x : x;
      if (a > max_abs) max_abs = a;
    }
    /* x = product / 2^(15 + e) = sample · window · 2^(15 − e): the smallest e ≥ −14 keeping |x| < 2^27. */
    int32_t e = 4;
    while (e > -14 && (max_abs >> (e - 1 + 15)) < ((int64_t)1 << 27)) e--;
    const uint32_t shift = (uint32_t)(e + 15);
    for (uint32_t i = 0; i < n; i++) {
      re[i] = i < avail ? (int32_t)(((int64_t)samples[at + i] * t->window_q30[i] + ((int64_t)1 << (shift - 1))) >> shift) : 0;
      im[i] = 0;
    }
    /* The app's mel power = T / 2^(57 − 2e) (T: the weighted |Y|² sums below), so ln = (log2 T − 57 + 2e)·ln2. */
    const int64_t offset_q16 = (int64_t)(57 - 2 * e) << 16;
    fft_q(t, re, im);
    int32_t *row = scratch + f * stride;
    uint64_t e_hi = 0, e_lo = 0;
    for (uint32_t b = 0; b < bands; b++) {
      uint64_t hi = 0, lo = 0;
      const uint16_t *w = t->weights_q15 + t->weight_offset[b];
      for (uint32_t j = 0; j < t->filter_length[b]; j++) {
        const uint32_t k = t->filter_start[b] + j;
        const uint64_t p = (uint64_t)((int64_t)re[k] * re[k]) + (uint64_t)((int64_t)im[k] * im[k]);
        hi += (uint64_t)w[j] * (p >> 32);
        lo += (uint64_t)w[j] * (p & 0xFFFFFFFFu);
      }
      e_hi += hi;
      e_lo += lo;
      const int32_t l2 = log2_96(hi, lo);
      int32_t ln = t->floor_ln_q16;
      if (l2 != NO_ENERGY) {
        const int32_t v = (int32_t)((((int64_t)l2 - offset_q16) * LN2_Q30 + ((int64_t)1 << 29)) >> 30);
        if (v > ln) ln = v;
      }
      row[b] = ln;
    }
    /* e_lo may have carried past 64 bits only if a frame's summed power exceeded 2^64: it cannot
     * (|Y|² < 2^58, weights ≤ 2^15 summing to ≤ 2 per bin). */
    const int32_t energy = log2_96(e_hi, e_lo);
    row[bands] = energy == NO_ENERGY ? NO_ENERGY : energy - (int32_t)offset_q16;
    if (row[bands] > max_energy) max_energy = row[bands];
  }

  uint32_t first = 0, end = frames_in;
  if (t->has_trim && frames_in > 0 && max_energy != NO_ENERGY) {
    const int32_t threshold = max_energy - t->trim_log2_q16;
    while (scratch[first * stride + bands] < threshold) first++;
    while (scratch[(end - 1) * stride + bands] < threshold) end--;
  }
  const uint32_t content = end - first;
  const uint32_t take = content < t->frames ? content : t->frames;
  const uint32_t dst_start = (t->frames - take) / 2;
  const uint32_t src_start = first + (content - take) / 2;
  for (uint32_t f = 0; f < t->frames; f++) {
    for (uint32_t b = 0; b < bands; b++) {
      const int inside = f >= dst_start && f < dst_start + take;
      const int32_t ln = inside ? scratch[(src_start + f - dst_start) * stride + b] : t->floor_ln_q16;
      out[f * bands + b] = quantize(t, ln);
      if (ln_q16) ln_q16[f * bands + b] = ln;
    }
  }
  return TM2_LOGMEL_OK;
}
