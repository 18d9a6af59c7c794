# Type stub of the compiled forward pass over a data set (src/fastgd/_forward.pyx).
MAX_THREADS: int
ROWS_PER_THREAD_CALL: int
