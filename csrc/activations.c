#include "activations.h"

#include <math.h>
#include <string.h>

#define FASTGD_ACTIVATION_KERNELS(T, SFX, EXP)                                                 \
    static void sigmoid_forward_##SFX(const fastgd_kernels *k, ptrdiff_t m, ptrdiff_t n, T *x) \
    {                                                                                          \
        k->sigmoid_##SFX(m * n, x);                                                            \
    }                                                                                          \
                                                                                               \
    static void sigmoid_prime_mul_##SFX(ptrdiff_t n, const T *a, T *delta)                     \
    {                                                                                          \
        for (ptrdiff_t i = 0; i < n; ++i)                                                      \
            delta[i] *= a[i] * ((T)1 - a[i]);                                                  \
    }                                                                                          \
                                                                                               \
    static void tanh_forward_##SFX(const fastgd_kernels *k, ptrdiff_t m, ptrdiff_t n, T *x)    \
    {                                                                                          \
        k->tanh_##SFX(m * n, x);                                                               \
    }                                                                                          \
                                                                                               \
    static void tanh_prime_mul_##SFX(ptrdiff_t n, const T *a, T *delta)                        \
    {                                                                                          \
        for (ptrdiff_t i = 0; i < n; ++i)                                                      \
            delta[i] *= (T)1 - a[i] * a[i];                                                    \
    }                                                                                          \
                                                                                               \
    /* max(z, 0), NaN kept (and -0 made 0). */                                                 \
    static void relu_forward_##SFX(const fastgd_kernels *k, ptrdiff_t m, ptrdiff_t n, T *x)    \
    {                                                                                          \
        (void)k;                                                                               \
        for (ptrdiff_t i = 0; i < m * n; ++i)                                                  \
            x[i] = x[i] > 0 ? x[i] : (x[i] == x[i] ? (T)0 : x[i]);                             \
    }                                                                                          \
                                                                                               \
    static void relu_prime_mul_##SFX(ptrdiff_t n, const T *a, T *delta)                        \
    {                                                                                          \
        for (ptrdiff_t i = 0; i < n; ++i)                                                      \
            delta[i] = a[i] > 0 ? delta[i] : (T)0;                                             \
    }                                                                                          \
                                                                                               \
    /* Each row: e^(z - max z) / its sum, the sum in double; the shift keeps every exponent    \
       at most 0, so nothing overflows however large the z; a NaN makes the row NaN. */        \
    static void softmax_forward_##SFX(const fastgd_kernels *k, ptrdiff_t m, ptrdiff_t n, T *x) \
    {                                                                                          \
        (void)k;                                                                               \
        for (ptrdiff_t i = 0; i < m; ++i) {                                                    \
            T *row = x + i * n;                                                                \
            T top = row[0];                                                                    \
            for (ptrdiff_t j = 1; j < n; ++j)                                                  \
                if (!(row[j] <= top))                                                          \
                    top = row[j];                                                              \
            double sum = 0;                                                                    \
            for (ptrdiff_t j = 0; j < n; ++j) {                                                \
                row[j] = EXP(row[j] - top);                                                    \
                sum += row[j];                                                                 \
            }                                                                                  \
            for (ptrdiff_t j = 0; j < n; ++j)                                                  \
                row[j] = (T)(row[j] / sum);                                                    \
        }                                                                                      \
    }

FASTGD_ACTIVATION_KERNELS(double, d, exp)
FASTGD_ACTIVATION_KERNELS(float, s, expf)

static const fastgd_activation ACTIVATIONS[] = {
    {"sigmoid", sigmoid_forward_d, sigmoid_forward_s, sigmoid_prime_mul_d, sigmoid_prime_mul_s},
    {"tanh", tanh_forward_d, tanh_forward_s, tanh_prime_mul_d, tanh_prime_mul_s},
    {"relu", relu_forward_d, relu_forward_s, relu_prime_mul_d, relu_prime_mul_s},
    {"softmax", softmax_forward_d, softmax_forward_s, NULL, NULL},
};

enum { N_ACTIVATIONS = sizeof ACTIVATIONS / sizeof ACTIVATIONS[0] };

const fastgd_activation *fastgd_find_activation(const char *name)
{
    for (int i = 0; i < N_ACTIVATIONS; ++i)
        if (strcmp(ACTIVATIONS[i].name, name) == 0)
            return &ACTIVATIONS[i];
    return NULL;
}

int fastgd_activation_names(const char **names, int capacity)
{
    int n = 0;
    for (; n < N_ACTIVATIONS && n < capacity; ++n)
        names[n] = ACTIVATIONS[n].name;
    return n;
}
