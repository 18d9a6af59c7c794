"""Many runs of Network + Trainer: fastgd.sweep and what it is made of.

sweep (the function: check every run, skip those the results file holds, run the others, read
the file back), grid (the runs a grid expands to, checked, in canonical values, and their keys),
data (the data on the workers, and a run as a worker trains it), runners (local worker
processes, a caller's Executor, a Dask cluster), halving (successive halving), results (the
results file), result (SweepResult and its table), report (a line per run, a bar). Loaded on first
use of fastgd.sweep: `import fastgd` imports none of it.
"""

from .result import SweepResult, Table
from .runners import SweepError
from .sweep import sweep

__all__ = ["sweep", "SweepResult", "SweepError", "Table"]
