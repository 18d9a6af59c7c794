/* The dense kernels, written once over GCC vector extensions and included once per element
 * type and instruction set. The including file defines:
 *   T        double or float, IT the signed integer of the same width (int64_t, int32_t)
 *   SFX      d or s
 *   FG_DOUBLE 1 for double, 0 for float
 *   ISA      a name suffix (avx512, avx2, baseline)
 *   VBYTES   bytes per vector register used (64, 32, 16)
 *   TILE_M   rows of X per register tile of the forward product (4, 6 or 12): TILE_M x 2
 *            vector accumulators must fit the registers
 *   UPDATE_ROWS  rows of WT per tile of the update (4 or 8): UPDATE_ROWS x 2 accumulators,
 *            each a chain of m FMAs, and 2 more registers
 * The forward product and the update are in dense_products.h, included here twice: for rows of
 * T and for rows of bytes (the pixels as stored). No allocation; every loop bound comes from
 * the arguments.
 */
#include <stdint.h>

/* The listing of nonzero inputs packs indices with AVX-512's compress where the set has it. */
#if defined(__AVX512F__) && VBYTES == 64 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define FG_COMPRESS 1
#else
#define FG_COMPRESS 0
#endif

#define FG_CAT_(a, b, c) a##_##b##_##c
#define FG_CAT(a, b, c) FG_CAT_(a, b, c)
#define FN(name) FG_CAT(name, SFX, ISA)
#define VL ((ptrdiff_t)(VBYTES / sizeof(T)))
typedef T FN(vec) __attribute__((vector_size(VBYTES)));
typedef IT FN(ivec) __attribute__((vector_size(VBYTES)));
#define V FN(vec)
#define I FN(ivec)

/* a in every lane. (Written as ones * a: 0 + a would cost an add, as it is not an identity
   for a = -0.) */
static inline V FN(broadcast)(T a)
{
    const V ones = (V){0} + (T)1;
    return ones * a;
}

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

/* The weights of a layer live transposed during an epoch: WT[k, j] = W[j, k], one row per input,
 * of n_pad >= n_out columns (a whole number of vectors, the padding kept at zero). A row of WT is
 * then a few vectors, and each product below is a sequence of broadcast-multiply-adds into
 * vector accumulators: no horizontal sums, every sum over k in order, lane by lane.
 * The kernels work on the vectors q0 <= q < q1 of a row, so threads can share a layer, and on
 * the rows of WT (inputs k) of a list `inputs`, increasing, or all of them (inputs NULL): an input
 * that is zero in every row of X adds x * w = 0 to each sum, and leaving it out changes no
 * sum except, at most, the sign of a zero (for finite weights and deltas). */

/* Where a kernel is in the prefetch list pf: pf's base rounded down to a cache line and the
 * bytes of each row from there; row r and byte offset of the next line, lines asked for so
 * far, and the pace: `lines` in all over `pace_rows` rows of WT passed by the update. */
typedef struct {
    const char *base;
    ptrdiff_t bytes, r, offset, issued, passed, lines, pace_rows;
} FN(prefetch_cursor);

/* Ask for the next line of pf (there is one: issued < lines). */
static inline void FN(prefetch_one)(const fastgd_prefetch *pf, FN(prefetch_cursor) *c)
{
    __builtin_prefetch(c->base + pf->idx[c->r] * pf->stride + c->offset, 0, 2);
    c->issued += 1;
    c->offset += 64;
    if (c->offset >= c->bytes) {
        c->offset = 0;
        c->r += 1;
    }
}

/* The update has passed passed_rows more rows of WT: the lines of pf due by now, evenly
   paced. */
static inline void FN(prefetch_next)(const fastgd_prefetch *pf, FN(prefetch_cursor) *c,
                                     ptrdiff_t passed_rows)
{
    c->passed += passed_rows;
    ptrdiff_t due = c->pace_rows > 0 ? c->passed * c->lines / c->pace_rows : c->lines;
    while (c->issued < due && c->issued < c->lines)
        FN(prefetch_one)(pf, c);
}

/* The forward product and the update, for rows of T and for rows of bytes (dense_products.h). */
#define XT T
#define XV(x) (x)
#define PN(name) FN(name)
#define LUT_PARAM
#define LUT_ARG
#include "dense_products.h"
#undef XT
#undef XV
#undef PN
#undef LUT_PARAM
#undef LUT_ARG

#define XT uint8_t
#define XV(x) lut[x]
#define PN(name) FN(name##_u8)
#define LUT_PARAM const T *lut,
#define LUT_ARG lut,
#include "dense_products.h"
#undef XT
#undef XV
#undef PN
#undef LUT_PARAM
#undef LUT_ARG
#undef INPUT
#undef XROW


/* The inputs k < n that are nonzero or NaN in some of the m rows xidx[i] of X (row stride ldx),
 * in increasing order, into cols; returns how many. (A vector of inputs at a time: the OR of
 * their bits over the rows, without the sign bit so that -0 counts as zero; then their indices,
 * written without a branch.) */
static ptrdiff_t FN(nonzero_inputs)(ptrdiff_t m, ptrdiff_t n, const T *X, ptrdiff_t ldx,
                                    const ptrdiff_t *xidx, ptrdiff_t *cols)
{
    const IT magnitude = (IT)(((uint64_t)1 << (8 * sizeof(T) - 1)) - 1);
    ptrdiff_t count = 0, k = 0;
    for (; k + VL <= n; k += VL) {
        I any = (I){0};
        for (ptrdiff_t i = 0; i < m; ++i) {
            I v;
            __builtin_memcpy(&v, X + xidx[i] * ldx + k, sizeof v);
            any |= v;
        }
        any &= magnitude;
#if FG_COMPRESS
        /* With AVX-512, the indices of the nonzero lanes, eight 64-bit indices at a time, are
           packed by vpcompressq and stored whole (room: count <= k, and k + VL <= n), without
           the lane loop's chain of dependent stores. */
        __m512i a, idx = _mm512_add_epi64(_mm512_set1_epi64(k),
                                          _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
        __builtin_memcpy(&a, &any, sizeof a);
#if FG_DOUBLE
        __mmask8 halves[1] = {_mm512_test_epi64_mask(a, a)};
#else
        __mmask16 mask = _mm512_test_epi32_mask(a, a);
        __mmask8 halves[2] = {(__mmask8)mask, (__mmask8)(mask >> 8)};
#endif
        for (int h = 0; h < (int)(sizeof halves / sizeof halves[0]); ++h) {
            _mm512_storeu_si512(cols + count, _mm512_maskz_compress_epi64(halves[h], idx));
            count += __builtin_popcount(halves[h]);
            idx = _mm512_add_epi64(idx, _mm512_set1_epi64(8));
        }
#else
        IT lanes[VBYTES / sizeof(T)];
        __builtin_memcpy(lanes, &any, sizeof any);
        for (ptrdiff_t l = 0; l < VL; ++l) {
            cols[count] = k + l;
            count += lanes[l] != 0;
        }
#endif
    }
    for (; k < n; ++k) {
        IT any = 0;
        for (ptrdiff_t i = 0; i < m; ++i) {
            IT v;
            __builtin_memcpy(&v, X + xidx[i] * ldx + k, sizeof v);
            any |= v;
        }
        cols[count] = k;
        count += (any & magnitude) != 0;
    }
    return count;
}

#if FG_DOUBLE
/* The inputs k < n that are nonzero in some of the m rows xidx[i] of the bytes X (row stride
 * ldx), increasing, into cols; returns how many. (Once per instruction set: bytes have no
 * float type. VBYTES inputs at a time: the OR of their bytes over the rows, then their
 * indices, written without a branch.) */
static ptrdiff_t FG_CAT(nonzero_inputs, u8, ISA)(ptrdiff_t m, ptrdiff_t n, const uint8_t *X,
                                                 ptrdiff_t ldx, const ptrdiff_t *xidx,
                                                 ptrdiff_t *cols)
{
    typedef uint8_t bytes __attribute__((vector_size(VBYTES)));
    ptrdiff_t count = 0, k = 0;
    for (; k + VBYTES <= n; k += VBYTES) {
        bytes any = {0};
        for (ptrdiff_t i = 0; i < m; ++i) {
            bytes v;
            __builtin_memcpy(&v, X + xidx[i] * ldx + k, sizeof v);
            any |= v;
        }
        uint8_t lanes[VBYTES];
        __builtin_memcpy(lanes, &any, sizeof any);
        for (ptrdiff_t l = 0; l < VBYTES; ++l) {
            cols[count] = k + l;
            count += lanes[l] != 0;
        }
    }
    for (; k < n; ++k) {
        uint8_t any = 0;
        for (ptrdiff_t i = 0; i < m; ++i)
            any |= X[xidx[i] * ldx + k];
        cols[count] = k;
        count += any != 0;
    }
    return count;
}
#endif

/* out[r, k0 + u] = sum_j WT[k0 + u, j] * Dt[j][r] for u < nk and the rows r < block_rows of a block
 * of D transposed into Dt (n_pad vectors): the sum over j in two chains, even and odd j, and nk
 * columns at once so that 2 nk chains are in flight. */
static inline __attribute__((always_inline)) void
FN(backward_columns)(const int nk, ptrdiff_t n_in, ptrdiff_t k0, ptrdiff_t block_rows, const T *WT,
                     ptrdiff_t n_pad, const T *Dt, T *out)
{
    V even[4], odd[4];
    for (int u = 0; u < nk; ++u)
        even[u] = odd[u] = FN(broadcast)(0);
    ptrdiff_t j = 0;
    for (; j + 2 <= n_pad; j += 2) {
        V d0 = FN(load)(Dt + j * VL), d1 = FN(load)(Dt + (j + 1) * VL);
        for (int u = 0; u < nk; ++u) {
            even[u] += FN(broadcast)(WT[(k0 + u) * n_pad + j]) * d0;
            odd[u] += FN(broadcast)(WT[(k0 + u) * n_pad + j + 1]) * d1;
        }
    }
    for (; j < n_pad; ++j)
        for (int u = 0; u < nk; ++u)
            even[u] += FN(broadcast)(WT[(k0 + u) * n_pad + j]) * FN(load)(Dt + j * VL);
    for (int u = 0; u < nk; ++u) {
        T lanes[VBYTES / sizeof(T)];
        V sum = even[u] + odd[u];
        __builtin_memcpy(lanes, &sum, sizeof sum);
        for (ptrdiff_t r = 0; r < block_rows; ++r)
            out[r * n_in + k0 + u] = lanes[r];
    }
}

/* out (m x n_in, compact) = D W, D m x n_pad with zero padding. A block of VL rows of D is
 * first transposed into scratch (n_pad vectors, one per column of D, a row of the block per
 * lane); then out[i0:i0+VL, k] = sum_j WT[k, j] * Dt[j] is n_pad broadcast-multiply-adds per k,
 * in two chains, with no horizontal sums. */
static void FN(backward_t)(ptrdiff_t m, ptrdiff_t n_in, const T *D, const T *WT,
                           ptrdiff_t n_pad, T *out, T *scratch)
{
    for (ptrdiff_t i0 = 0; i0 < m; i0 += VL) {
        ptrdiff_t block_rows = m - i0 < VL ? m - i0 : VL;
        for (ptrdiff_t j = 0; j < n_pad; ++j)
            for (ptrdiff_t r = 0; r < VL; ++r)
                scratch[j * VL + r] = r < block_rows ? D[(i0 + r) * n_pad + j] : 0;
        ptrdiff_t k = 0;
        for (; k + 4 <= n_in; k += 4)
            FN(backward_columns)(4, n_in, k, block_rows, WT, n_pad, scratch, out + i0 * n_in);
        for (; k < n_in; ++k)
            FN(backward_columns)(1, n_in, k, block_rows, WT, n_pad, scratch, out + i0 * n_in);
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

/* tanh z for one vector, every z, NaN kept: for |z| >= 1/4, (1 - e) / (1 + e) with
   e = exp(-2|z|) <= e^(-1/2), so 1 - e >= 0.39 loses nothing to cancellation, and the sign of z
   put back; below 1/4, the Taylor polynomial z (1 + c1 z^2 + c2 z^4 + ...), whose terms shrink
   by 1/40 at least each: to z^23 in double and z^13 in float, under half an ulp left out. */
static inline V FN(tanh_vector)(V z)
{
    static const T taylor[] = {
        -0x1.5555555555555p-2, 0x1.1111111111111p-3,  -0x1.ba1ba1ba1ba1cp-5,
        0x1.664f4882c10fap-6,  -0x1.226e355e6c23dp-7, 0x1.d6d3d0e157de0p-9,
#if FG_DOUBLE
        -0x1.7da36452b75e3p-10, 0x1.3558248036744p-11, -0x1.f57d7734d1664p-13,
        0x1.967e18afcafadp-14,  -0x1.497d8eea25259p-15,
#endif
    };
    const int terms = sizeof taylor / sizeof taylor[0];
    I negative = z < FN(broadcast)(0);
    V size = FN(select)(negative, -z, z);
    V e = FN(exp_nonpositive)(size * (T)-2);
    V far = ((T)1 - e) / ((T)1 + e);
    V z2 = z * z;
    V p = FN(broadcast)(taylor[terms - 1]);
    for (int k = terms - 2; k >= 0; --k)
        p = taylor[k] + p * z2;
    V near = z + z * (z2 * p);
    I small = size < FN(broadcast)((T)0.25);
    return FN(select)(small, near, FN(select)(negative, -far, far));
}

static void FN(tanh)(ptrdiff_t n, T *x)
{
    ptrdiff_t i = 0;
    for (; i + VL <= n; i += VL)
        FN(store)(x + i, FN(tanh_vector)(FN(load)(x + i)));
    if (i < n) {
        /* The tail goes through the same vector code, from a padded copy. */
        T buf[VBYTES / sizeof(T)];
        ptrdiff_t rest = n - i;
        for (ptrdiff_t l = 0; l < VL; ++l)
            buf[l] = l < rest ? x[i + l] : 0;
        FN(store)(buf, FN(tanh_vector)(FN(load)(buf)));
        for (ptrdiff_t l = 0; l < rest; ++l)
            x[i + l] = buf[l];
    }
}

#undef FG_COMPRESS
#undef V
#undef I
#undef FN
#undef VL
#undef FG_CAT
#undef FG_CAT_
