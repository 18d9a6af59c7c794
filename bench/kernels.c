/* The first layer's kernels of every kernel set this CPU runs, timed in one process taking
 * turns, so that the slow spells of a shared machine fall on all of them alike (separate runs of
 * the same binary here differ by up to 60%).
 *
 *     cc -O3 -Icsrc bench/kernels.c csrc/dense_*.c -o /tmp/fastgd-kernels && /tmp/fastgd-kernels
 *
 * For the reference shapes (784 inputs, m = 10) it prints microseconds per mini-batch step of
 * the update of W_0 for one mini-batch followed by the forward product of the next, 32 output
 * columns (30 padded), on all 784 inputs (the whole layer, as on one thread) and on the first
 * 392 (one thread's block of inputs, as with two threads), float64 and float32: over all those
 * inputs, and over the ones nonzero in some row of inputs shaped like MNIST's (a zero border, a
 * third of the centre zero: about half the inputs listed, as in a mini-batch of ten MNIST
 * images), and the listing of those inputs apart (a pass over the rows). Rows are given by
 * index, as an epoch reads them in the data set. Min and median of ROUNDS rounds of STEPS
 * steps, with the data in cache (the epoch adds the random rows' memory traffic on top). To
 * measure a variant of a kernel, compile a copy of csrc/dense_avx512.c with another ISA name
 * and add its fastgd_kernels_<name> to the sets below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dense.h"

enum { N_IN = 784, SIDE = 28, BORDER = 4, M = 10, STEPS = 200, ROUNDS = 40, MAX_SETS = 8 };

/* What a round times: the update and forward product over all inputs or over those listed,
   or the listing of the nonzero inputs alone. */
enum { ALL, LISTED, LISTING, N_WORK };
static const char *const WORK[N_WORK] = {"all inputs", "listed", "listing"};

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

static void *aligned(size_t bytes)
{
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (p == NULL) {
        perror("aligned_alloc");
        exit(1);
    }
    return p;
}

static void put(void *p, size_t i, int dbl, double v)
{
    if (dbl)
        ((double *)p)[i] = v;
    else
        ((float *)p)[i] = (float)v;
}

/* n elements of size item: scale times a pattern. */
static void *filled(size_t n, int dbl, double scale)
{
    void *p = aligned(n * (dbl ? sizeof(double) : sizeof(float)));
    for (size_t i = 0; i < n; ++i)
        put(p, i, dbl, scale * (double)(i % 7));
    return p;
}

/* m rows of 28 x 28 "pixels": zero in a border of BORDER, else zero one time in three. */
static void *images(int dbl)
{
    void *p = aligned(M * N_IN * (dbl ? sizeof(double) : sizeof(float)));
    for (size_t i = 0; i < M * N_IN; ++i) {
        size_t r = i % N_IN / SIDE, c = i % SIDE;
        int inside = r >= BORDER && r < SIDE - BORDER && c >= BORDER && c < SIDE - BORDER;
        put(p, i, dbl, inside && rand() % 3 ? 0.1 * (double)(1 + i % 9) : 0.0);
    }
    return p;
}

typedef struct {
    int dbl;
    ptrdiff_t width, n_in; /* the first n_in inputs of rows of N_IN */
    void *X, *Xf, *C, *WT, *b, *Z;
    ptrdiff_t xidx[M], n, nf, inputs[N_IN], inputs_f[N_IN];
} problem;

static void run(const fastgd_kernels *k, int work, problem *p)
{
    ptrdiff_t q1 = p->width / (k->vector_bytes / (p->dbl ? 8 : 4));
    int listed = work == LISTED;
    const ptrdiff_t *ru = listed ? p->inputs : NULL, *rf = listed ? p->inputs_f : NULL;
    ptrdiff_t n = listed ? p->n : p->n_in, nf = listed ? p->nf : p->n_in;
    if (work == LISTING && p->dbl)
        p->n = k->nonzero_inputs_d(M, p->n_in, p->X, N_IN, p->xidx, p->inputs);
    else if (work == LISTING)
        p->n = k->nonzero_inputs_s(M, p->n_in, p->X, N_IN, p->xidx, p->inputs);
    else if (p->dbl) {
        k->update_d(M, n, ru, p->X, N_IN, p->xidx, p->C, p->WT, p->width, 0, q1, NULL);
        k->forward_d(M, nf, rf, p->Xf, N_IN, p->xidx, p->WT, p->width, 0, q1, p->b, p->Z);
    } else {
        k->update_s(M, n, ru, p->X, N_IN, p->xidx, p->C, p->WT, p->width, 0, q1, NULL);
        k->forward_s(M, nf, rf, p->Xf, N_IN, p->xidx, p->WT, p->width, 0, q1, p->b, p->Z);
    }
}

int main(void)
{
    const fastgd_kernels *sets[MAX_SETS];
    int n_sets = fastgd_kernel_sets(sets, MAX_SETS);
    static double times[MAX_SETS][N_WORK][ROUNDS];
    printf("us per step of the first layer's update and forward product, 32 columns, m=%d: "
           "min / median of %d rounds of %d\n", M, ROUNDS, STEPS);
    srand(1);
    for (int dbl = 1; dbl >= 0; --dbl)
        for (ptrdiff_t n_in = N_IN, width = 32; n_in >= N_IN / 2; n_in /= 2) {
            problem p = {.dbl = dbl, .width = width, .n_in = n_in, .X = images(dbl),
                         .Xf = images(dbl),
                         .C = filled(M * width, dbl, 1e-9), .WT = filled(N_IN * width, dbl, 0.01),
                         .b = filled(width, dbl, 0.0), .Z = filled(M * width, dbl, 0.0)};
            /* The rows given by index, as an epoch reads them in the data set. */
            for (ptrdiff_t i = 0; i < M; ++i)
                p.xidx[i] = i;
            if (dbl) {
                p.n = sets[0]->nonzero_inputs_d(M, n_in, p.X, N_IN, p.xidx, p.inputs);
                p.nf = sets[0]->nonzero_inputs_d(M, n_in, p.Xf, N_IN, p.xidx, p.inputs_f);
            } else {
                p.n = sets[0]->nonzero_inputs_s(M, n_in, p.X, N_IN, p.xidx, p.inputs);
                p.nf = sets[0]->nonzero_inputs_s(M, n_in, p.Xf, N_IN, p.xidx, p.inputs_f);
            }
            for (int r = 0; r < ROUNDS; ++r)
                for (int v = 0; v < n_sets * N_WORK; ++v) {
                    int turn = (v + r) % (n_sets * N_WORK); /* a different one first each round */
                    int s = turn / N_WORK, work = turn % N_WORK;
                    double start = now();
                    for (int i = 0; i < STEPS; ++i)
                        run(sets[s], work, &p);
                    times[s][work][r] = (now() - start) / STEPS * 1e6;
                }
            printf("%s, %td inputs (%td of them listed):\n", dbl ? "float64" : "float32", n_in,
                   p.n);
            for (int s = 0; s < n_sets; ++s) {
                printf("  %-9s", sets[s]->name);
                for (int work = 0; work < N_WORK; ++work) {
                    qsort(times[s][work], ROUNDS, sizeof(double), ascending);
                    printf("  %s %6.2f / %6.2f", WORK[work], times[s][work][0],
                           times[s][work][ROUNDS / 2]);
                }
                printf("\n");
            }
            free(p.X), free(p.Xf), free(p.C), free(p.WT), free(p.b), free(p.Z);
        }
    return 0;
}
