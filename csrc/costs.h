/* The costs: their output deltas dC_x/dz at the output layer, from its activations a and the
 * targets y, over m rows of n outputs, in double (_d) and float (_s); and their values, sum_x C_x
 * over those rows, summed in double whatever the dtype. Each cost pairs with the output layer
 * whose activation makes its delta this simple (as scikit-learn pairs a loss with its link):
 *
 *     quadratic       C_x = 1/2 ||y - a||^2                 sigmoid    delta = (a - y) a (1 - a)
 *     cross_entropy   C_x = -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]
 *                                                           sigmoid    delta = a - y
 *     log_likelihood  C_x = -sum_j y_j ln a_j (-ln a_y)     softmax    delta = a - y
 *
 * (The logarithms are clamped at -100, as fastgd.costs and PyTorch's BCELoss clamp them: an
 * output rounded to exactly 0 or 1 costs 100, not infinity.)
 *
 * Each cost is a row of the table in costs.c, under the name fastgd.costs gives it, with the name
 * of its output activation (activations.h); the core looks its kernels up by that name. Adding a
 * cost: its kernels and its row in costs.c, its value and NumPy delta in src/fastgd/costs.py.
 */
#ifndef FASTGD_COSTS_H
#define FASTGD_COSTS_H

#include <stddef.h>

typedef struct {
    const char *name;
    const char *output; /* the output layer's activation it pairs with */
    void (*delta_d)(ptrdiff_t m, ptrdiff_t n, const double *a, const double *y, double *delta);
    void (*delta_s)(ptrdiff_t m, ptrdiff_t n, const float *a, const float *y, float *delta);
    double (*value_d)(ptrdiff_t m, ptrdiff_t n, const double *a, const double *y);
    double (*value_s)(ptrdiff_t m, ptrdiff_t n, const float *a, const float *y);
} fastgd_cost;

/* The cost of that name, or NULL. */
const fastgd_cost *fastgd_find_cost(const char *name);
/* The names of the costs of this build, in table order, into names; returns how many. */
int fastgd_cost_names(const char **names, int capacity);

#endif
