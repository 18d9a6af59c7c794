/* A counter-based generator: random numbers as a pure function of integers (a run's key and
 * the counters of what they are for: a sample, a layer, a neuron, a pixel), so that a draw does
 * not depend on which thread makes it or in what order. mix is SplitMix64's finaliser (Steele,
 * Lea and Flood 2014; java.util.SplittableRandom), applied to the key advanced by the golden
 * ratio's odd multiple per counter. NumPy twins: fastgd.core.reference (_mix and its users).
 */
#ifndef FASTGD_COUNTER_H
#define FASTGD_COUNTER_H

#include <stdint.h>

#define FASTGD_GOLDEN 0x9E3779B97F4A7C15ULL /* 2^64 / the golden ratio, odd */

static inline uint64_t fastgd_mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/* The stream of a sample's draws: h = mix(key + G (sample + 1)). */
static inline uint64_t fastgd_stream(uint64_t key, uint64_t sample)
{
    return fastgd_mix64(key + FASTGD_GOLDEN * (sample + 1));
}

/* Draw number i of a stream: 53 uniform bits. */
static inline uint64_t fastgd_bits53(uint64_t stream, uint64_t i)
{
    return fastgd_mix64(stream + FASTGD_GOLDEN * (i + 1)) >> 11;
}

/* Draw number i of a stream as a double uniform in [0, 1). */
static inline double fastgd_uniform(uint64_t stream, uint64_t i)
{
    return (double)fastgd_bits53(stream, i) * (1.0 / 9007199254740992.0);
}

#endif
