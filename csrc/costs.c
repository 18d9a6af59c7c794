#include "costs.h"

#include <string.h>

#define FASTGD_COST_KERNELS(T, SFX)                                                            \
    /* (a - y) sigma'(z), with sigma'(z) = a (1 - a) */                                        \
    static void quadratic_delta_##SFX(ptrdiff_t n, const T *a, const T *y, T *delta)          \
    {                                                                                          \
        for (ptrdiff_t i = 0; i < n; ++i)                                                      \
            delta[i] = (a[i] - y[i]) * (a[i] * ((T)1 - a[i]));                                 \
    }                                                                                          \
                                                                                               \
    /* sigma'(z) cancels: a saturated wrong output still learns */                             \
    static void cross_entropy_delta_##SFX(ptrdiff_t n, const T *a, const T *y, T *delta)      \
    {                                                                                          \
        for (ptrdiff_t i = 0; i < n; ++i)                                                      \
            delta[i] = a[i] - y[i];                                                            \
    }

FASTGD_COST_KERNELS(double, d)
FASTGD_COST_KERNELS(float, s)

static const fastgd_cost COSTS[] = {
    {"quadratic", quadratic_delta_d, quadratic_delta_s},
    {"cross_entropy", cross_entropy_delta_d, cross_entropy_delta_s},
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
