# Declarations of fpmode.h (subnormals flushed during a call; see there), for Cython.
cdef extern from "fpmode.h" nogil:
    unsigned int fastgd_flush_subnormals()
    void fastgd_restore_fp(unsigned int saved)
