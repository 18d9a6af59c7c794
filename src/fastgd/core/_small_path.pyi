# Type stub of the compiled small-kernel training path (src/fastgd/_small_path.pyx).
MAX_THREADS: int
