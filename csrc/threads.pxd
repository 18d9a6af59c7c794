# Declarations of threads.h (the core's threads, one call long; see there), for Cython.
cdef extern from "threads.h" nogil:
    enum:
        FASTGD_MAX_THREADS
    ctypedef void (*fastgd_task)(void *arg, int tid, int n_threads) noexcept nogil
    int fastgd_run_threads(int n_threads, fastgd_task task, void *arg)
