/* Dropout's masks (Trainer(dropout=p)): which of a hidden layer's neurons a training sample drops,
 * drawn from a counter-based generator, so that the mask of (run key, sample, layer, neuron) is a
 * function of those four numbers alone, the same on any thread count, however an epoch is cut into
 * calls, and after a resume:
 *
 *     h_s   = mix(key + G (sample + 1))                 once per sample (its row in the data)
 *     h_sl  = mix(h_s ^ L (layer + 1))                  once per layer of that sample
 *     u     = mix(h_sl + G (neuron + 1)) >> 11          53 uniform bits
 *     kept  = u >= floor(p 2^53)                        probability 1 - p, to 2^-53
 *
 * mix is SplitMix64's finaliser (Steele, Lea and Flood 2014; the generator of java.util's
 * SplittableRandom), G and L odd constants; the run key is drawn by the Trainer each epoch from
 * its shuffling generator. The mask holds 1 / (1 - p) for a kept neuron, 0 for a dropped one
 * (inverted dropout: the kept activations scaled up in training, so that the network is used
 * whole and unscaled at evaluation, by predict, a saved file and every export). Its NumPy twin,
 * which the reference and the tests read, is fastgd.core.reference.dropout_mask.
 */
#ifndef FASTGD_DROPOUT_H
#define FASTGD_DROPOUT_H

#include <stddef.h>
#include <stdint.h>

/* mask[r * n + j] for the rows r < rows whose samples are samples[r] (rows of the data), of
   layer layer's n neurons, dropped with probability rate in [0, 1). */
void fastgd_dropout_mask_d(uint64_t key, int layer, double rate, ptrdiff_t rows, ptrdiff_t n,
                           const ptrdiff_t *samples, double *mask);
void fastgd_dropout_mask_s(uint64_t key, int layer, double rate, ptrdiff_t rows, ptrdiff_t n,
                           const ptrdiff_t *samples, float *mask);
/* out[i] = x[i] * mask[i] for i < n (out may be x). */
void fastgd_mask_mul_d(ptrdiff_t n, const double *mask, const double *x, double *out);
void fastgd_mask_mul_s(ptrdiff_t n, const float *mask, const float *x, float *out);

#endif
