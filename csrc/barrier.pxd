# Declarations of barrier.h (the epoch's threads meet here; see there), for Cython.
cdef extern from "barrier.h" nogil:
    ctypedef struct fastgd_barrier:
        int count
        int sense
    void fastgd_barrier_wait(fastgd_barrier *b, int n_threads, int *sense)
