/* The costs: their output deltas dC_x/dz at the output layer, from its activations a = sigma(z)
 * and the targets y, element-wise over n entries (m rows of n_out), in double (_d) and float
 * (_s); and their values, sum_x C_x over those rows, summed in double whatever the dtype.
 *
 *     quadratic       C_x = 1/2 ||y - a||^2                              delta = (a - y) a (1 - a)
 *     cross_entropy   C_x = -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]   delta = a - y
 *
 * (The cross-entropy's logarithms are clamped at -100, as fastgd.costs and PyTorch's BCELoss
 * clamp them: an output rounded to exactly 0 or 1 costs 100, not infinity.)
 *
 * Each cost is a row of the table in costs.c, under the name fastgd.costs gives it; the core
 * looks its kernels up by that name. Adding a cost: its kernels and its row in costs.c, its
 * value and NumPy delta in src/fastgd/costs.py.
 */
#ifndef FASTGD_COSTS_H
#define FASTGD_COSTS_H

#include <stddef.h>

typedef struct {
    const char *name;
    void (*delta_d)(ptrdiff_t n, const double *a, const double *y, double *delta);
    void (*delta_s)(ptrdiff_t n, const float *a, const float *y, float *delta);
    double (*value_d)(ptrdiff_t n, const double *a, const double *y);
    double (*value_s)(ptrdiff_t n, const float *a, const float *y);
} fastgd_cost;

/* The cost of that name, or NULL. */
const fastgd_cost *fastgd_find_cost(const char *name);
/* The names of the costs of this build, in table order, into names; returns how many. */
int fastgd_cost_names(const char **names, int capacity);

#endif
