/* The dense kernels, written once over GCC vector extensions and included once per element
 * type and instruction set. The including file defines:
 *   T        double or float, IT the signed integer of the same width (int64_t, int32_t)
 *   SFX      d or s
 *   FG_DOUBLE 1 for double, 0 for float
 *   ISA      a name suffix (avx512, avx2, baseline)
 *   VBYTES   bytes per vector register used (64, 32, 16)
 *   TILE_I   rows of X per register tile of the forward product (<= 4)
 *   TILE_J   rows of W per register tile (<= 4)
 * No allocation; every loop bound comes from the arguments.
 */
#include <stdint.h>

#define FG_CAT_(a, b, c) a##_##b##_##c
#define FG_CAT(a, b, c) FG_CAT_(a, b, c)
#define FN(name) FG_CAT(name, SFX, ISA)
#define VL ((ptrdiff_t)(VBYTES / sizeof(T)))
/* A block of the n_in columns small enough that the m rows of X it covers stay in L1 while
   the tiles of W pass over it. */
#define KBLOCK ((ptrdiff_t)(1024 / sizeof(T)))

typedef T FN(vec) __attribute__((vector_size(VBYTES)));
typedef IT FN(ivec) __attribute__((vector_size(VBYTES)));
#define V FN(vec)
#define I FN(ivec)

static inline V FN(broadcast)(T a) { return (V){0} + a; }

/* mask ? a : b, lane by lane, for a mask of all-ones or all-zeros lanes (C has no vector ?:). */
static inline V FN(select)(I mask, V a, V b)
{
    I ia, ib;
    __builtin_memcpy(&ia, &a, sizeof ia);
    __builtin_memcpy(&ib, &b, sizeof ib);
    ia = (ia & mask) | (ib & ~mask);
    __builtin_memcpy(&a, &ia, sizeof a);
    return a;
}

static inline V FN(load)(const T *p)
{
    V v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline void FN(store)(T *p, V v) { __builtin_memcpy(p, &v, sizeof v); }

static inline T FN(hsum)(V v)
{
    T s = 0;
    for (int l = 0; l < (int)VL; ++l)
        s += v[l];
    return s;
}

/* Z[i, j] += X[i, k0:k1] . W[j, k0:k1] for i < ri, j < rj: ri * rj vector accumulators. */
static inline __attribute__((always_inline)) void
FN(dot_tile)(const int ri, const int rj, ptrdiff_t k0, ptrdiff_t k1, const T *X, const T *W,
             ptrdiff_t n_in, T *Z, ptrdiff_t n_out)
{
    V acc[4][4];
    for (int i = 0; i < ri; ++i)
        for (int j = 0; j < rj; ++j)
            acc[i][j] = (V){0};
    ptrdiff_t k = k0;
    for (; k + VL <= k1; k += VL) {
        V x[4], w[4];
        for (int i = 0; i < ri; ++i)
            x[i] = FN(load)(X + i * n_in + k);
        for (int j = 0; j < rj; ++j)
            w[j] = FN(load)(W + j * n_in + k);
        for (int i = 0; i < ri; ++i)
            for (int j = 0; j < rj; ++j)
                acc[i][j] += x[i] * w[j];
    }
    for (int i = 0; i < ri; ++i)
        for (int j = 0; j < rj; ++j) {
            T s = FN(hsum)(acc[i][j]);
            for (ptrdiff_t kk = k; kk < k1; ++kk)
                s += X[i * n_in + kk] * W[j * n_in + kk];
            Z[i * n_out + j] += s;
        }
}

/* W[j, k0:k1] += sum_i C[i, j] X[i, k0:k1] for j < rj, over the m rows of X. */
static inline __attribute__((always_inline)) void
FN(update_tile)(const int rj, ptrdiff_t k0, ptrdiff_t k1, ptrdiff_t m, const T *C,
                ptrdiff_t n_out, const T *X, T *W, ptrdiff_t n_in)
{
    ptrdiff_t k = k0;
    for (; k + VL <= k1; k += VL) {
        V w[4];
        for (int j = 0; j < rj; ++j)
            w[j] = FN(load)(W + j * n_in + k);
        for (ptrdiff_t i = 0; i < m; ++i) {
            V x = FN(load)(X + i * n_in + k);
            for (int j = 0; j < rj; ++j)
                w[j] += C[i * n_out + j] * x;
        }
        for (int j = 0; j < rj; ++j)
            FN(store)(W + j * n_in + k, w[j]);
    }
    for (; k < k1; ++k)
        for (int j = 0; j < rj; ++j) {
            T w = W[j * n_in + k];
            for (ptrdiff_t i = 0; i < m; ++i)
                w += C[i * n_out + j] * X[i * n_in + k];
            W[j * n_in + k] = w;
        }
}

#define FG_DOT(a, b)                                                                       \
    case (a) * 8 + (b):                                                                    \
        FN(dot_tile)(a, b, k0, k1, X, W, n_in, Z, n_out);                                  \
        break;

static void FN(dot_tiles)(int ri, int rj, ptrdiff_t k0, ptrdiff_t k1, const T *X, const T *W,
                          ptrdiff_t n_in, T *Z, ptrdiff_t n_out)
{
    switch (ri * 8 + rj) {
        FG_DOT(1, 1) FG_DOT(1, 2) FG_DOT(1, 3) FG_DOT(1, 4)
        FG_DOT(2, 1) FG_DOT(2, 2) FG_DOT(2, 3) FG_DOT(2, 4)
        FG_DOT(3, 1) FG_DOT(3, 2) FG_DOT(3, 3) FG_DOT(3, 4)
        FG_DOT(4, 1) FG_DOT(4, 2) FG_DOT(4, 3) FG_DOT(4, 4)
    }
}
#undef FG_DOT

static void FN(update_tiles)(int rj, ptrdiff_t k0, ptrdiff_t k1, ptrdiff_t m, const T *C,
                             ptrdiff_t n_out, const T *X, T *W, ptrdiff_t n_in)
{
    switch (rj) {
    case 1: FN(update_tile)(1, k0, k1, m, C, n_out, X, W, n_in); break;
    case 2: FN(update_tile)(2, k0, k1, m, C, n_out, X, W, n_in); break;
    case 3: FN(update_tile)(3, k0, k1, m, C, n_out, X, W, n_in); break;
    case 4: FN(update_tile)(4, k0, k1, m, C, n_out, X, W, n_in); break;
    }
}

static void FN(update_forward)(ptrdiff_t n_out, ptrdiff_t n_in, T *W, ptrdiff_t m_upd,
                               const T *C, const T *Xu, ptrdiff_t m_fwd, const T *Xf, T *Zf)
{
    for (ptrdiff_t k0 = 0; k0 < n_in; k0 += KBLOCK) {
        ptrdiff_t k1 = k0 + KBLOCK < n_in ? k0 + KBLOCK : n_in;
        for (ptrdiff_t j0 = 0; j0 < n_out; j0 += TILE_J) {
            int rj = (int)(n_out - j0 < TILE_J ? n_out - j0 : TILE_J);
            T *Wj = W + j0 * n_in;
            /* The tile of W is updated, then read again for the next forward product while
               it is still in L1. */
            if (m_upd > 0)
                FN(update_tiles)(rj, k0, k1, m_upd, C + j0, n_out, Xu, Wj, n_in);
            for (ptrdiff_t i0 = 0; i0 < m_fwd; i0 += TILE_I) {
                int ri = (int)(m_fwd - i0 < TILE_I ? m_fwd - i0 : TILE_I);
                FN(dot_tiles)(ri, rj, k0, k1, Xf + i0 * n_in, Wj, n_in, Zf + i0 * n_out + j0,
                              n_out);
            }
        }
    }
}

static void FN(combine_rows)(ptrdiff_t m, ptrdiff_t n_out, ptrdiff_t n_in, const T *D,
                             const T *W, T *out)
{
    for (ptrdiff_t i = 0; i < m; ++i) {
        T *o = out + i * n_in;
        const T *d = D + i * n_out;
        ptrdiff_t k = 0;
        for (; k + VL <= n_in; k += VL) {
            V acc = (V){0};
            for (ptrdiff_t j = 0; j < n_out; ++j)
                acc += d[j] * FN(load)(W + j * n_in + k);
            FN(store)(o + k, acc);
        }
        for (; k < n_in; ++k) {
            T acc = 0;
            for (ptrdiff_t j = 0; j < n_out; ++j)
                acc += d[j] * W[j * n_in + k];
            o[k] = acc;
        }
    }
}

/* exp(x) for x <= 0 (or NaN), a vector at a time: x = n ln2 + r with |r| <= ln2/2, exp(r) by
   its Taylor polynomial (error below one ulp of T), 2^n built in two halves so that results
   down to the subnormal range come out right; below the smallest subnormal, exactly 0. */
static inline V FN(exp_nonpositive)(V x)
{
#if FG_DOUBLE
    const T shifter = 0x1.8p52, log2e = 0x1.71547652b82fep0;
    const T ln2_hi = 0x1.62e42fee00000p-1, ln2_lo = 0x1.a39ef35793c76p-33;
    const T lowest = -745.2;
    const int mantissa = 52, bias = 1023, degree = 13;
#else
    const T shifter = 0x1.8p23f, log2e = 0x1.715476p0f;
    const T ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    const T lowest = -104.0f;
    const int mantissa = 23, bias = 127, degree = 7;
#endif
    V t = x * log2e + shifter; /* n = round(x / ln2), held in the low bits of t */
    V n = t - shifter;
    V r = (x - n * ln2_hi) - n * ln2_lo;
    V p = FN(broadcast)(1);
    for (int k = degree; k >= 1; --k) /* 1 + r (1 + r/2 (1 + r/3 (...))) */
        p = (T)1 + p * r * ((T)1 / (T)k);
    V shift = FN(broadcast)(shifter);
    I ni, si;
    __builtin_memcpy(&ni, &t, sizeof ni);
    __builtin_memcpy(&si, &shift, sizeof si);
    ni -= si;
    I n1 = ni >> 1, n2 = ni - n1;
    I bits1 = (n1 + bias) << mantissa, bits2 = (n2 + bias) << mantissa;
    V s1, s2;
    __builtin_memcpy(&s1, &bits1, sizeof s1);
    __builtin_memcpy(&s2, &bits2, sizeof s2);
    V y = (p * s1) * s2;
    /* Below the smallest subnormal the scale is garbage: exactly 0 there. NaN compares false,
       so it stays NaN. */
    return FN(select)(x < FN(broadcast)(lowest), FN(broadcast)(0), y);
}

static void FN(sigmoid)(ptrdiff_t n, T *x)
{
    ptrdiff_t i = 0;
    for (; i + VL <= n; i += VL) {
        V z = FN(load)(x + i);
        I positive = z >= FN(broadcast)(0);
        V e = FN(exp_nonpositive)(FN(select)(positive, -z, z));
        V r = (T)1 / ((T)1 + e);
        FN(store)(x + i, FN(select)(positive, r, e * r));
    }
    if (i < n) {
        /* The tail goes through the same vector code, from a padded copy. */
        T buf[VBYTES / sizeof(T)];
        ptrdiff_t rest = n - i;
        for (ptrdiff_t l = 0; l < VL; ++l)
            buf[l] = l < rest ? x[i + l] : 0;
        FN(sigmoid)(VL, buf);
        for (ptrdiff_t l = 0; l < rest; ++l)
            x[i + l] = buf[l];
    }
}

#undef V
#undef I
#undef FN
#undef VL
#undef KBLOCK
#undef FG_CAT
#undef FG_CAT_
