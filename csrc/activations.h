/* The neurons: each layer's activation a = f(z), applied in place to m rows of n weighted inputs,
 * and the factor f'(z) that backpropagation multiplies a layer's delta by, computed from the
 * output a (every activation here has a derivative that its output gives), in double (_d) and
 * float (_s):
 *
 *     sigmoid   a = 1 / (1 + e^-z)                      f'(z) = a (1 - a)
 *     tanh      a = tanh z                              f'(z) = 1 - a^2
 *     relu      a = max(z, 0)                           f'(z) = 1 where a > 0, else 0
 *     softmax   a_j = e^(z_j - max z) / sum_k e^(z_k - max z), over each row (the output layer
 *               of the log-likelihood cost, whose output delta is a - y: it has no f' here)
 *
 * sigmoid and tanh run on the kernel set's vectors (dense.h): the forward takes the kernel set.
 *
 * Each activation is a row of the table in activations.c under the name fastgd.activations gives
 * it; the core looks it up by that name. Adding one: its kernels and its row there, its NumPy twin
 * in src/fastgd/activations.py (which the reference reads). NaN stays NaN in every one.
 */
#ifndef FASTGD_ACTIVATIONS_H
#define FASTGD_ACTIVATIONS_H

#include <stddef.h>

#include "dense.h"

typedef struct {
    const char *name;
    void (*forward_d)(const fastgd_kernels *k, ptrdiff_t m, ptrdiff_t n, double *x);
    void (*forward_s)(const fastgd_kernels *k, ptrdiff_t m, ptrdiff_t n, float *x);
    /* delta <- delta * f'(z) with f'(z) from a = f(z), element-wise over n entries; NULL for an
       activation that only an output layer has (its cost gives the output delta). */
    void (*prime_mul_d)(ptrdiff_t n, const double *a, double *delta);
    void (*prime_mul_s)(ptrdiff_t n, const float *a, float *delta);
} fastgd_activation;

/* The activation of that name, or NULL. */
const fastgd_activation *fastgd_find_activation(const char *name);
/* The names of the activations of this build, in table order, into names; returns how many. */
int fastgd_activation_names(const char **names, int capacity);

#endif
