#include "costs.h"

#include <math.h>
#include <string.h>

/* ln x and ln(1 - x), clamped at -100 (see costs.h). */
static double clamped_log(double x)
{
    double l = log(x);
    return l > -100.0 ? l : -100.0;
}

static double clamped_log_1m(double x)
{
    double l = log1p(-x);
    return l > -100.0 ? l : -100.0;
}

#define FASTGD_COST_KERNELS(T, SFX)                                                            \
    /* (a - y) sigma'(z), with sigma'(z) = a (1 - a) */                                        \
    static void quadratic_delta_##SFX(ptrdiff_t m, ptrdiff_t n, const T *a, const T *y,       \
                                      T *delta)                                                \
    {                                                                                          \
        for (ptrdiff_t i = 0; i < m * n; ++i)                                                  \
            delta[i] = (a[i] - y[i]) * (a[i] * ((T)1 - a[i]));                                 \
    }                                                                                          \
                                                                                               \
    /* The output activation's derivative cancels: a saturated wrong output still learns (the \
       cross-entropy with sigmoid outputs; the log-likelihood with softmax ones, rows of y     \
       summing to 1). */                                                                       \
    static void a_minus_y_##SFX(ptrdiff_t m, ptrdiff_t n, const T *a, const T *y, T *delta)    \
    {                                                                                          \
        for (ptrdiff_t i = 0; i < m * n; ++i)                                                  \
            delta[i] = a[i] - y[i];                                                            \
    }                                                                                          \
                                                                                               \
    static double quadratic_value_##SFX(ptrdiff_t m, ptrdiff_t n, const T *a, const T *y)      \
    {                                                                                          \
        double sum = 0;                                                                        \
        for (ptrdiff_t i = 0; i < m * n; ++i) {                                                \
            double diff = (double)a[i] - (double)y[i];                                         \
            sum += diff * diff;                                                                \
        }                                                                                      \
        return 0.5 * sum;                                                                      \
    }                                                                                          \
                                                                                               \
    static double cross_entropy_value_##SFX(ptrdiff_t m, ptrdiff_t n, const T *a, const T *y)  \
    {                                                                                          \
        double sum = 0;                                                                        \
        for (ptrdiff_t i = 0; i < m * n; ++i) {                                                \
            double ai = a[i], yi = y[i];                                                       \
            /* (A term whose weight is 0 is skipped: with one-hot targets, one log each.) */   \
            if (yi != 0)                                                                       \
                sum -= yi * clamped_log(ai);                                                   \
            if (yi != 1)                                                                       \
                sum -= (1 - yi) * clamped_log_1m(ai);                                          \
        }                                                                                      \
        return sum;                                                                            \
    }                                                                                          \
                                                                                               \
    static double log_likelihood_value_##SFX(ptrdiff_t m, ptrdiff_t n, const T *a, const T *y) \
    {                                                                                          \
        double sum = 0;                                                                        \
        for (ptrdiff_t i = 0; i < m * n; ++i)                                                  \
            if (y[i] != 0)                                                                     \
                sum -= (double)y[i] * clamped_log(a[i]);                                       \
        return sum;                                                                            \
    }

FASTGD_COST_KERNELS(double, d)
FASTGD_COST_KERNELS(float, s)

static const fastgd_cost COSTS[] = {
    {"quadratic", "sigmoid", quadratic_delta_d, quadratic_delta_s, quadratic_value_d,
     quadratic_value_s},
    {"cross_entropy", "sigmoid", a_minus_y_d, a_minus_y_s, cross_entropy_value_d,
     cross_entropy_value_s},
    {"log_likelihood", "softmax", a_minus_y_d, a_minus_y_s, log_likelihood_value_d,
     log_likelihood_value_s},
};

enum { N_COSTS = sizeof COSTS / sizeof COSTS[0] };

const fastgd_cost *fastgd_find_cost(const char *name)
{
    for (int i = 0; i < N_COSTS; ++i)
        if (strcmp(COSTS[i].name, name) == 0)
            return &COSTS[i];
    return NULL;
}

int fastgd_cost_names(const char **names, int capacity)
{
    int n = 0;
    for (; n < N_COSTS && n < capacity; ++n)
        names[n] = COSTS[n].name;
    return n;
}
