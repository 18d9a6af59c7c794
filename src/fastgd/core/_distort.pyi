# Type stub of the compiled distortions (src/fastgd/core/_distort.pyx).
import numpy as np

MAX_THREADS: int

def distort(
    X: np.ndarray,
    rows: np.ndarray,
    out: np.ndarray,
    key: int,
    *,
    h: int,
    w: int,
    rotation: float,
    scale: float,
    shear: float,
    shift: float,
    alpha: float = 0.0,
    sigma: float = 4.0,
    n_threads: int = 1,
) -> None: ...
