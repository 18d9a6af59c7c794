/* The first layer's kernel of every kernel set this CPU runs, timed in one process taking turns,
 * so that the slow spells of a shared machine fall on all of them alike (separate runs of the
 * same binary here differ by up to 60%).
 *
 *     cc -O3 -Icsrc bench/kernels.c csrc/dense_*.c -o /tmp/fastgd-kernels && /tmp/fastgd-kernels
 *
 * For the reference shapes (784 inputs, m = 10) it prints microseconds per mini-batch step of
 * update_forward: the update of W_0 for one mini-batch, then the forward product of the next,
 * on a block of 32 output columns (30 padded: the whole layer on one thread) and of 16 (one
 * thread's half), float64 and float32; min and median of ROUNDS rounds of STEPS steps, with
 * the data in cache (the epoch adds the random rows' memory traffic on top). To measure a
 * variant of a kernel, compile a copy of csrc/dense_avx512.c with another ISA name and add its
 * fastgd_kernels_<name> to the sets below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dense.h"

enum { N_IN = 784, M = 10, STEPS = 200, ROUNDS = 40, MAX_SETS = 8 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int ascending(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A buffer of n elements of size item, filled with small values (scale times a pattern). */
static void *filled(size_t n, size_t item, double scale)
{
    void *p = aligned_alloc(64, (n * item + 63) / 64 * 64);
    if (p == NULL) {
        perror("aligned_alloc");
        exit(1);
    }
    for (size_t i = 0; i < n; ++i) {
        double v = scale * (double)(i % 7);
        if (item == sizeof(double))
            ((double *)p)[i] = v;
        else
            ((float *)p)[i] = (float)v;
    }
    return p;
}

static void step(const fastgd_kernels *k, int dbl, ptrdiff_t width, void *X, void *Xf, void *C,
                 void *WT, void *b, void *Z)
{
    ptrdiff_t lanes = k->vector_bytes / (dbl ? 8 : 4);
    if (dbl)
        k->update_forward_d(M, N_IN, X, N_IN, C, WT, width, 0, width / lanes, M, Xf, b, Z, NULL);
    else
        k->update_forward_s(M, N_IN, X, N_IN, C, WT, width, 0, width / lanes, M, Xf, b, Z, NULL);
}

int main(void)
{
    const fastgd_kernels *sets[MAX_SETS];
    int n_sets = fastgd_kernel_sets(sets, MAX_SETS);
    static double times[MAX_SETS][ROUNDS];
    printf("us per step of update_forward, 784 inputs, m=%d: min / median of %d rounds of %d\n",
           M, ROUNDS, STEPS);
    for (int dbl = 1; dbl >= 0; --dbl)
        for (ptrdiff_t width = 32; width >= 16; width /= 2) {
            size_t item = dbl ? sizeof(double) : sizeof(float);
            void *X = filled(M * N_IN, item, 0.1), *Xf = filled(M * N_IN, item, 0.1);
            void *C = filled(M * width, item, 1e-9), *WT = filled(N_IN * width, item, 0.01);
            void *b = filled(width, item, 0.0), *Z = filled(M * width, item, 0.0);
            for (int r = 0; r < ROUNDS; ++r)
                for (int v = 0; v < n_sets; ++v) {
                    int s = (v + r) % n_sets; /* a different set first each round */
                    double start = now();
                    for (int i = 0; i < STEPS; ++i)
                        step(sets[s], dbl, width, X, Xf, C, WT, b, Z);
                    times[s][r] = (now() - start) / STEPS * 1e6;
                }
            printf("%s, %2td columns:", dbl ? "float64" : "float32", width);
            for (int s = 0; s < n_sets; ++s) {
                qsort(times[s], ROUNDS, sizeof(double), ascending);
                printf("  %s %.2f / %.2f", sets[s]->name, times[s][0], times[s][ROUNDS / 2]);
            }
            printf("\n");
            free(X), free(Xf), free(C), free(WT), free(b), free(Z);
        }
    return 0;
}
