# Type stub of the compiled core (src/fastgd/_core.pyx): what its Python callers see.
import numpy as np

PATHS: tuple[str, ...]

def kernel_sets() -> list[str]: ...
def cost_names() -> list[str]: ...
def activation_names() -> list[str]: ...
def cost_outputs() -> dict[str, str]: ...
def train_chunk(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    order: np.ndarray,
    mini_batch_size: int,
    eta: float,
    mean: bool,
    *,
    cost: str,
    path: str,
    n_threads: int,
    kernel_set: str | None = None,
    skip_zero_inputs: bool = True,
    input_split: int | None = None,
    cost_sum: float = 0.0,
    activations: tuple[str, ...] | None = None,
    penalty: str | None = None,
    penalty_rate: float = 0.0,
    momentum: float = 0.0,
    nesterov: bool = False,
    velocities: list[np.ndarray] | None = None,
    dropout: tuple[float, ...] | list[float] | None = None,
    dropout_key: int = 0,
    sample_ids: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
) -> float: ...
def dropout_mask(
    key: int, layer: int, rate: float, samples: np.ndarray, mask: np.ndarray
) -> None: ...
def all_finite(arrays: list[np.ndarray], dtype_tag: np.ndarray) -> bool: ...
def input_split(X: np.ndarray, n_rows: int) -> int | None: ...
def gradient(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    grad_weights: list[np.ndarray],
    grad_biases: list[np.ndarray],
    *,
    cost: str,
    kernel_set: str | None = None,
    activations: tuple[str, ...] | None = None,
) -> None: ...
def feedforward(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    X: np.ndarray,
    out: np.ndarray,
    *,
    path: str,
    n_threads: int,
    kernel_set: str | None = None,
    check_finite: bool = False,
    activations: tuple[str, ...] | None = None,
) -> int: ...
