/* Dropout's masks from a counter-based generator: see dropout.h. */
#include "dropout.h"

#include "counter.h"

#define LAYER 0xD1B54A32D192ED03ULL /* an odd constant of its own for the layer */

/* The threshold of 53-bit draws below which a neuron is dropped: floor(rate 2^53). */
static inline uint64_t threshold(double rate)
{
    return (uint64_t)(rate * 9007199254740992.0);
}

#define DROPOUT_MASK(NAME, T)                                                                   \
    void NAME(uint64_t key, int layer, double rate, ptrdiff_t rows, ptrdiff_t n,               \
              const ptrdiff_t *samples, T *mask)                                                \
    {                                                                                           \
        const uint64_t below = threshold(rate);                                                 \
        const T kept = (T)(1.0 / (1.0 - rate));                                                 \
        for (ptrdiff_t r = 0; r < rows; r++) {                                                  \
            uint64_t h = fastgd_stream(key, (uint64_t)samples[r]);                              \
            h = fastgd_mix64(h ^ (LAYER * ((uint64_t)layer + 1)));                              \
            T *out = mask + r * n;                                                              \
            for (ptrdiff_t j = 0; j < n; j++)                                                   \
                out[j] = fastgd_bits53(h, (uint64_t)j) >= below ? kept : (T)0;                  \
        }                                                                                       \
    }

DROPOUT_MASK(fastgd_dropout_mask_d, double)
DROPOUT_MASK(fastgd_dropout_mask_s, float)

#define MASK_MUL(NAME, T)                                                                       \
    void NAME(ptrdiff_t n, const T *mask, const T *x, T *out)                                   \
    {                                                                                           \
        for (ptrdiff_t i = 0; i < n; i++)                                                       \
            out[i] = x[i] * mask[i];                                                            \
    }

MASK_MUL(fastgd_mask_mul_d, double)
MASK_MUL(fastgd_mask_mul_s, float)
