/* The two products that read a layer's inputs X, forward (Z = X W^T + b) and update
 * (W += C^T X), with their register tiles: included by dense_impl.h twice per element type and
 * instruction set, for rows of T and for rows of bytes, the pixels as stored. The including
 * file defines:
 *   XT         the type of an element of X: T, or uint8_t
 *   XV(x)      the value of an element as T: (x), or lut[x] with lut[v] = v / 255 in T, the
 *              value X.astype(T) / 255 has in NumPy (one IEEE division each), so that byte rows
 *              give the bits float rows of those values give
 *   PN(name)   the function's name: FN(name), or FN(name##_u8)
 *   LUT_PARAM  the lut parameter, "const T *lut," or nothing; LUT_ARG the same as an argument
 * The prefetch helpers, shared by both, are in dense_impl.h.
 */

/* Input j of a product: inputs[j], or j when the product runs over all the rows of WT. */
#define INPUT(inputs, j) ((inputs) ? (inputs)[j] : (j))

/* Row i of X: row xidx[i] of the matrix at X (row stride ldx), or row i without an index. */
#define XROW(X, ldx, xidx, i) ((X) + ((xidx) ? (xidx)[i] : (i)) * (ldx))

/* Z[i, q] = b[q] + sum_k x_i[k] WT[k, q] over the n inputs k of the list (inputs: see above), for
 * the mi rows x_i = XROW(X, ldx, xidx, i) and the qw vectors at WT, b, Z. */
static inline __attribute__((always_inline)) void
PN(forward_tile)(const int mi, const int qw, ptrdiff_t n, const ptrdiff_t *inputs, const XT *X,
                 ptrdiff_t ldx, const ptrdiff_t *xidx, LUT_PARAM const T *WT, ptrdiff_t n_pad,
                 const T *b, T *Z)
{
    const XT *x_row[TILE_M];
    for (int i = 0; i < mi; ++i)
        x_row[i] = XROW(X, ldx, xidx, i);
    V z[TILE_M][2];
    for (int i = 0; i < mi; ++i)
        for (int q = 0; q < qw; ++q)
            z[i][q] = FN(load)(b + q * VL);
    for (ptrdiff_t j = 0; j < n; ++j) {
        ptrdiff_t k = INPUT(inputs, j);
        V w[2];
        for (int q = 0; q < qw; ++q)
            w[q] = FN(load)(WT + k * n_pad + q * VL);
        for (int i = 0; i < mi; ++i) {
            V x = FN(broadcast)(XV(x_row[i][k]));
            for (int q = 0; q < qw; ++q)
                z[i][q] += x * w[q];
        }
    }
    for (int i = 0; i < mi; ++i)
        for (int q = 0; q < qw; ++q)
            FN(store)(Z + i * n_pad + q * VL, z[i][q]);
}

/* WT[k, q] += sum_i x_i[k] C[i, q] over the m rows x_i = XROW(X, ldx, xidx, i), for the
 * `count` inputs k = INPUT(inputs, j0 + u), u < count, and the qw vectors at WT and C: count * qw
 * accumulators, each a chain of m FMAs. */
static inline __attribute__((always_inline)) void
PN(update_tile)(const int count, const int qw, ptrdiff_t m, const ptrdiff_t *inputs, ptrdiff_t j0,
                const XT *X, ptrdiff_t ldx, const ptrdiff_t *xidx, LUT_PARAM const T *C, T *WT,
                ptrdiff_t n_pad)
{
    ptrdiff_t k[UPDATE_ROWS];
    V w[UPDATE_ROWS][2];
    for (int u = 0; u < count; ++u) {
        k[u] = INPUT(inputs, j0 + u);
        for (int q = 0; q < qw; ++q)
            w[u][q] = FN(load)(WT + k[u] * n_pad + q * VL);
    }
    for (ptrdiff_t i = 0; i < m; ++i) {
        V c[2];
        for (int q = 0; q < qw; ++q)
            c[q] = FN(load)(C + i * n_pad + q * VL);
        const XT *x_row = XROW(X, ldx, xidx, i);
        for (int u = 0; u < count; ++u) {
            V x = FN(broadcast)(XV(x_row[k[u]]));
            for (int q = 0; q < qw; ++q)
                w[u][q] += x * c[q];
        }
    }
    for (int u = 0; u < count; ++u)
        for (int q = 0; q < qw; ++q)
            FN(store)(WT + k[u] * n_pad + q * VL, w[u][q]);
}

/* The update of the columns at WT and C (qw vectors) over the n rows of the list; after each
 * full tile, the next lines of pf. */
static inline __attribute__((always_inline)) void
PN(update_columns)(const int qw, ptrdiff_t m, ptrdiff_t n, const ptrdiff_t *inputs, const XT *X,
                   ptrdiff_t ldx, const ptrdiff_t *xidx, LUT_PARAM const T *C, T *WT,
                   ptrdiff_t n_pad, const fastgd_prefetch *pf, FN(prefetch_cursor) *cursor)
{
    ptrdiff_t j = 0;
    for (; j + UPDATE_ROWS <= n; j += UPDATE_ROWS) {
        PN(update_tile)(UPDATE_ROWS, qw, m, inputs, j, X, ldx, xidx, LUT_ARG C, WT, n_pad);
        FN(prefetch_next)(pf, cursor, UPDATE_ROWS);
    }
    if (UPDATE_ROWS > 4)
        /* The rest four rows at a time where it can (30 rows: 3 tiles of 8, then 4, 1, 1). */
        for (; j + 4 <= n; j += 4)
            PN(update_tile)(4, qw, m, inputs, j, X, ldx, xidx, LUT_ARG C, WT, n_pad);
    for (; j < n; ++j)
        PN(update_tile)(1, qw, m, inputs, j, X, ldx, xidx, LUT_ARG C, WT, n_pad);
}

#define FG_FWD(a)                                                                          \
    case a:                                                                                \
        if (inputs != NULL && qw == 2)                                                     \
            PN(forward_tile)(a, 2, n, inputs, X, ldx, xidx, LUT_ARG WT, n_pad, b, Z);      \
        else if (inputs != NULL)                                                           \
            PN(forward_tile)(a, 1, n, inputs, X, ldx, xidx, LUT_ARG WT, n_pad, b, Z);      \
        else if (qw == 2)                                                                  \
            PN(forward_tile)(a, 2, n, NULL, X, ldx, xidx, LUT_ARG WT, n_pad, b, Z);        \
        else                                                                               \
            PN(forward_tile)(a, 1, n, NULL, X, ldx, xidx, LUT_ARG WT, n_pad, b, Z);        \
        break;

static void PN(forward_tiles)(int mi, int qw, ptrdiff_t n, const ptrdiff_t *inputs, const XT *X,
                              ptrdiff_t ldx, const ptrdiff_t *xidx, LUT_PARAM const T *WT,
                              ptrdiff_t n_pad, const T *b, T *Z)
{
    switch (mi) {
        FG_FWD(1) FG_FWD(2) FG_FWD(3) FG_FWD(4)
#if TILE_M > 4
        FG_FWD(5) FG_FWD(6)
#endif
#if TILE_M > 6
        FG_FWD(7) FG_FWD(8) FG_FWD(9) FG_FWD(10) FG_FWD(11) FG_FWD(12)
#endif
    }
}
#undef FG_FWD

/* Z[:, q0:q1] = X W^T + b over the vectors q0 <= q < q1 of the padded rows (Z is m x n_pad,
 * b has n_pad entries, padding zero), the sums over the n rows of WT of the list. */
static void PN(forward_t)(ptrdiff_t m, ptrdiff_t n, const ptrdiff_t *inputs, const XT *X,
                          ptrdiff_t ldx, const ptrdiff_t *xidx, LUT_PARAM const T *WT,
                          ptrdiff_t n_pad, ptrdiff_t q0, ptrdiff_t q1, const T *b, T *Z)
{
    /* Tiles of rows as even as possible, at most TILE_M each. */
    ptrdiff_t n_tiles = (m + TILE_M - 1) / TILE_M;
    for (ptrdiff_t t = 0, i0 = 0; t < n_tiles; ++t) {
        int mi = (int)((m - i0) / (n_tiles - t));
        for (ptrdiff_t q = q0; q < q1; q += 2) {
            int qw = q1 - q >= 2 ? 2 : 1;
            PN(forward_tiles)(mi, qw, n, inputs, xidx ? X : X + i0 * ldx, ldx,
                              xidx ? xidx + i0 : NULL, LUT_ARG WT + q * VL, n_pad, b + q * VL,
                              Z + i0 * n_pad + q * VL);
        }
        i0 += mi;
    }
}

/* W += C^T X over the vectors q0 <= q < q1 (WT += X^T C; C is m x n_pad, holding
 * -scale * delta, padding zero), on the n rows of WT of the list. The lines of pf (NULL: none)
 * are spread over the update's tiles. */
static void PN(update_t)(ptrdiff_t m, ptrdiff_t n, const ptrdiff_t *inputs, const XT *X,
                         ptrdiff_t ldx, const ptrdiff_t *xidx, LUT_PARAM const T *C, T *WT,
                         ptrdiff_t n_pad, ptrdiff_t q0, ptrdiff_t q1, const fastgd_prefetch *pf)
{
    static const fastgd_prefetch none = {0};
    if (pf == NULL)
        pf = &none;
    /* The update passes the n rows of WT once per pair of vectors. */
    ptrdiff_t skew = pf->n_rows > 0 ? (ptrdiff_t)((uintptr_t)pf->base % 64) : 0;
    FN(prefetch_cursor) cur = {pf->n_rows > 0 ? pf->base - skew : NULL, pf->row_bytes + skew,
                               0, 0, 0, 0, pf->n_rows * ((pf->row_bytes + skew + 63) / 64),
                               n * ((q1 - q0 + 1) / 2)};
    for (ptrdiff_t q = q0; q < q1; q += 2) {
        const T *Cq = C + q * VL;
        T *WTq = WT + q * VL;
        if (inputs != NULL && q1 - q >= 2)
            PN(update_columns)(2, m, n, inputs, X, ldx, xidx, LUT_ARG Cq, WTq, n_pad, pf, &cur);
        else if (inputs != NULL)
            PN(update_columns)(1, m, n, inputs, X, ldx, xidx, LUT_ARG Cq, WTq, n_pad, pf, &cur);
        else if (q1 - q >= 2)
            PN(update_columns)(2, m, n, NULL, X, ldx, xidx, LUT_ARG Cq, WTq, n_pad, pf, &cur);
        else
            PN(update_columns)(1, m, n, NULL, X, ldx, xidx, LUT_ARG Cq, WTq, n_pad, pf, &cur);
    }
    /* What the tiles left (the tail tiles do not count toward the pace): a burst. */
    while (cur.issued < cur.lines)
        FN(prefetch_one)(pf, &cur);
}

#undef INPUT
#undef XROW
