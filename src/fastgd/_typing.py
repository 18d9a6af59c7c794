"""Names for the public API's annotations (imported under TYPE_CHECKING: nothing at run time)."""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import ArrayLike, NDArray

PathLike = str | os.PathLike[str]
Seed = int | np.random.Generator | None
# A data set as fit takes it: inputs and labels (or one-hot targets).
DataPair = tuple[ArrayLike, ArrayLike]

__all__ = ["ArrayLike", "DataPair", "NDArray", "PathLike", "Seed"]
