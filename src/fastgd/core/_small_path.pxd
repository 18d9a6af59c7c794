from cython cimport floating

from dense cimport fastgd_kernels, fastgd_prefetch

from fastgd.core._job cimport Chunk, Net, Rows
from fastgd.core._kernels cimport Inputs

cdef enum:
    # The first layer's inputs come in this many blocks, whatever the number of threads: each
    # block's share of a forward sum is a partial sum, and the blocks fix how they are added.
    # One thread per block at most.
    INPUT_BLOCKS = 2

cdef int train(const fastgd_kernels *k, const Net *net, const Chunk *chunk, const Rows *X,
               const floating *Y, int n_threads, bint skip_zero_inputs,
               Py_ssize_t input_split, double *cost_sum) except -1
