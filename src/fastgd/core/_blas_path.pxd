from cython cimport floating

from costs cimport fastgd_cost
from dense cimport fastgd_kernels

from fastgd.core._job cimport Chunk, Net, Rows, Update

cdef void forward(const fastgd_kernels *k, const Net *net, int m, floating **A) noexcept nogil
cdef Py_ssize_t forward_checked(const fastgd_kernels *k, const Net *net, int m,
                                floating **A) noexcept nogil
cdef void backward(const fastgd_cost *cost, const Net *net, int m, floating **A,
                   floating **AD, floating **M, const floating *Y, floating *delta,
                   floating *delta_prev, floating **W_out, floating **b_out, floating alpha,
                   floating beta, const Update *u, floating *step,
                   const floating *weights, const Py_ssize_t *rows) noexcept nogil
cdef int train(const fastgd_kernels *k, const Net *net, const Chunk *chunk, const Rows *X,
               const floating *Y, double *cost_sum) except -1
