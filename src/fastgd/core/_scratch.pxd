# Work space of one call into the core: buffers that start on a cache line of their own (so that
# buffers written by different threads never share one), owned by a Python list that the call
# holds until it returns. A call allocates a few dozen, never one per mini-batch.
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_FromStringAndSize

cdef enum:
    CACHE_LINE = 64


cdef inline Py_ssize_t whole_lines(Py_ssize_t n_items, Py_ssize_t itemsize) noexcept nogil:
    """n_items rounded up to fill whole cache lines."""
    cdef Py_ssize_t per_line = CACHE_LINE // itemsize
    return (n_items + per_line - 1) // per_line * per_line


cdef inline void *scratch(list keep, Py_ssize_t n_items, Py_ssize_t itemsize) except NULL:
    """Room for n_items of itemsize bytes (not initialised), aligned to a cache line, alive as
    long as keep is. MemoryError when there is not that much memory."""
    # (A bytearray made from NULL is not zeroed; it never moves unless resized, which no one
    # can: only keep refers to it.)
    buffer = PyByteArray_FromStringAndSize(NULL, max(n_items, 1) * itemsize + CACHE_LINE)
    keep.append(buffer)
    cdef size_t address = <size_t>PyByteArray_AS_STRING(buffer)
    return <void *>((address + CACHE_LINE - 1) // CACHE_LINE * CACHE_LINE)
