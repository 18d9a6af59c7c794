"""Distortions of training images on the core's threads (csrc/distort.h): each sample's affine
map and elastic field drawn from a counter-based generator keyed by the epoch's key and the
sample's row, so that the images a chunk trains on are the same however many threads make them
and however the epoch is cut."""
from libc.stdint cimport uint64_t

from distort cimport (fastgd_distort_d, fastgd_distort_s, fastgd_distort_scratch,
                      fastgd_distort_u8, fastgd_distortion)
from threads cimport fastgd_run_threads

import numpy as np

from fastgd.core._scratch cimport scratch

# The limit, for the thread policy (fastgd.core.policy).
MAX_THREADS = 16


cdef struct Shared:
    const fastgd_distortion *d
    uint64_t key
    const void *src
    const Py_ssize_t *rows
    Py_ssize_t n_rows
    void *dst
    int kind                    # 0 bytes, 1 double, 2 float
    double *scratch[16]


cdef void distort_thread(void *arg, int tid, int n_threads) noexcept nogil:
    cdef Shared *e = <Shared *>arg
    cdef Py_ssize_t r0 = e.n_rows * tid // n_threads, r1 = e.n_rows * (tid + 1) // n_threads
    if e.kind == 0:
        fastgd_distort_u8(e.d, e.key, <const unsigned char *>e.src, e.rows, r0, r1,
                          <unsigned char *>e.dst, e.scratch[tid])
    elif e.kind == 1:
        fastgd_distort_d(e.d, e.key, <const double *>e.src, e.rows, r0, r1, <double *>e.dst,
                         e.scratch[tid])
    else:
        fastgd_distort_s(e.d, e.key, <const float *>e.src, e.rows, r0, r1, <float *>e.dst,
                         e.scratch[tid])


def distort(X, const Py_ssize_t[::1] rows, out, uint64_t key, *, int h, int w,
            double rotation, double scale, double shear, double shift, double alpha=0.0,
            double sigma=4.0, int n_threads=1):
    """out[r] = the distortion of X[rows[r]] drawn for sample rows[r] under key (csrc/distort.h):
    X (n, h * w) and out (len(rows), h * w) C-contiguous arrays of one dtype, uint8 (rounded),
    float64 or float32; on n_threads threads (1 to MAX_THREADS), the same values on any."""
    cdef list keep = [X, out]
    cdef fastgd_distortion d
    cdef Shared e
    cdef Py_ssize_t i, n, per
    cdef int t
    if X.dtype != out.dtype or X.dtype not in (np.uint8, np.float64, np.float32):
        raise TypeError(f"X and out must both be uint8, float64 or float32, got {X.dtype} and "
                        f"{out.dtype}")
    if X.ndim != 2 or out.ndim != 2 or not X.flags.c_contiguous or not out.flags.c_contiguous:
        raise ValueError("X and out must be C-contiguous 2-D arrays")
    if h < 1 or w < 1 or X.shape[1] != h * w or out.shape[1] != h * w:
        raise ValueError(f"images of {h}x{w} pixels need rows of {h * w}, got X {X.shape} and "
                         f"out {out.shape}")
    if out.shape[0] != rows.shape[0]:
        raise ValueError(f"out has {out.shape[0]} rows for {rows.shape[0]} samples")
    if not 1 <= n_threads <= MAX_THREADS:
        raise ValueError(f"n_threads must be 1 to {MAX_THREADS}, got {n_threads}")
    if not (0 <= rotation <= 180 and 0 <= scale < 1 and 0 <= shear <= 1e6 and 0 <= shift <= 1e6
            and 0 <= alpha <= 1e6 and 0 < sigma <= max(h, w)):
        raise ValueError("the distortion's sizes must be finite and at least 0: rotation at "
                         "most 180, scale below 1, sigma above 0 and at most the image's side")
    n = X.shape[0]
    for i in range(rows.shape[0]):
        if not 0 <= rows[i] < n:
            raise IndexError(f"rows holds {rows[i]}, outside [0, {n})")
    if rows.shape[0] == 0:
        return
    d.h, d.w = h, w
    d.rotation, d.scale, d.shear, d.shift, d.alpha, d.sigma = (rotation, scale, shear, shift,
                                                               alpha, sigma)
    e.d = &d
    e.key = key
    e.rows = &rows[0]
    e.n_rows = rows.shape[0]
    e.kind = 0 if X.dtype == np.uint8 else (1 if X.dtype == np.float64 else 2)
    cdef const unsigned char[:, ::1] src = X.view(np.uint8)
    cdef unsigned char[:, ::1] dst = out.view(np.uint8)
    e.src = &src[0, 0] if n else NULL
    e.dst = &dst[0, 0]
    per = fastgd_distort_scratch(&d)
    n_threads = <int>min(<Py_ssize_t>n_threads, rows.shape[0])
    for t in range(n_threads):
        e.scratch[t] = <double *>scratch(keep, per, sizeof(double))
    with nogil:
        fastgd_run_threads(n_threads, distort_thread, &e)
