"""Which path, kernel set and thread counts each call into the compiled core runs with.

This module decides; the core (fastgd.core._core) does exactly what each call tells it and refuses
what it cannot do. The rules:

- Training path (small_path_suits): the small-shape kernels (the core's own threads, at most
  _small_path.MAX_THREADS: their two threads split the first layer's inputs, and the layers
  above run on one) for mini-batches of up to 32 rows on any network; up to 300 rows when the
  first layer holds at least 85% of the weights, up to 1000 at 95%; BLAS gemm (on BLAS's
  threads, which split every layer) otherwise. Measured per epoch in float32, best thread count
  of each: [784,30,10] and [784,100,10] the kernels ahead of BLAS by 1.4-2.5x up to m=300 and
  1.1-1.6x at m=1000 (in float64 BLAS was 5-10% ahead at m=1000); [784,300,10] ahead to m=300,
  even at 1000; [784,100,100,10] (first layer 88%) ahead to m=300, 15% behind at 1000;
  [784,512,512,10] (60%) ahead at m=32, behind from m=64 (1.25 s against 1.40 s). The kernels
  give the same bits on any thread count, so their threads are chosen by timing (ThreadTuner);
  OpenBLAS's results change with its thread count, so BLAS's are not: they stay at the count
  asked for (the default two), which was the faster wherever BLAS is chosen.
- Feedforward path: networks with no layer wider than NARROW_MAX go through the small kernels
  (their transposed weights stay in L2 while the rows stream past), the rows split between
  threads, one per ROWS_PER_THREAD_CALL rows at most; wider ones through BLAS.
- Thread count: what the caller asks for, else default_threads(). BLAS gets the same count as
  its limit during a fit. A training call that starts while another runs in this process takes
  one thread (shared()), so concurrent fits share the cores instead of spinning at barriers.
- Trainer(n_threads=None) on the small-kernel path measures one and two threads as it trains
  (ThreadTuner); the bits are the same either way.
- Kernel set: the best the CPU runs.

overrides() changes the path, kernel set or zero-input skipping for the code run inside it, in
this thread (or asyncio task) only: a context variable, as numpy.errstate is, so that a fit in
another thread never sees it. Tests and benchmarks use it to run every path and kernel set.
"""

import contextlib
import contextvars
import os
import threading
from dataclasses import dataclass

from . import _core, _forward, _small_path, machine

SMALL_BATCH_MAX = 32
# (first layer's share of the weights, largest mini-batch) at which the small kernels still win
SMALL_PATH_REACH = ((0.95, 1000), (0.85, 300))
NARROW_MAX = 128


@dataclass(frozen=True)
class Plan:
    """How one call into the core runs: path "small" or "blas", the core's own threads (1 on
    the BLAS path), BLAS's threads, the kernel set (None: the best) and whether the small kernels
    skip zero inputs."""

    path: str
    n_threads: int
    blas_threads: int
    kernel_set: str | None = None
    skip_zero_inputs: bool = True

    def core_options(self, n_threads=None):
        """Keyword arguments of _core.train_chunk and _core.feedforward for this plan (on
        n_threads instead of the plan's when given)."""
        return {
            "path": self.path,
            "kernel_set": self.kernel_set,
            "n_threads": self.n_threads if n_threads is None else n_threads,
        }


def default_threads():
    """Threads when the caller names none: two (the small-kernel path's most, and the fastest
    on two cores in bench/compare.py), or one on a single-CPU machine."""
    return min(2, machine.cpus())


@dataclass(frozen=True)
class _Overrides:
    kernel_set: str | None = None
    training_path: str | None = None
    forward_path: str | None = None
    skip_zero_inputs: bool = True


# (A frozen dataclass: the shared default cannot be changed in place.)
_overrides = contextvars.ContextVar("fastgd_core_overrides", default=_Overrides())  # noqa: B039


@contextlib.contextmanager
def overrides(*, kernel_set=None, training_path=None, forward_path=None, skip_zero_inputs=True):
    """Within the block, in this thread or task only: the core uses kernel_set (a name of
    _core.kernel_sets()), trains through training_path and feeds forward through forward_path
    ("small" or "blas"), and skips zero inputs or not. None keeps the policy's choice."""
    if kernel_set is not None and kernel_set not in _core.kernel_sets():
        raise ValueError(
            f"kernel set {kernel_set!r} is not available here; this CPU has {_core.kernel_sets()}"
        )
    for name, path in (("training_path", training_path), ("forward_path", forward_path)):
        if path is not None and path not in _core.PATHS:
            raise ValueError(f"{name} must be one of {_core.PATHS} or None, got {path!r}")
    token = _overrides.set(
        _Overrides(kernel_set, training_path, forward_path, bool(skip_zero_inputs))
    )
    try:
        yield
    finally:
        _overrides.reset(token)


def small_path_suits(mini_batch_size, sizes=None):
    """Whether the small kernels train mini-batches of mini_batch_size rows of a network of
    sizes faster than BLAS (see the module's docstring); without sizes, up to 32 rows."""
    if mini_batch_size <= SMALL_BATCH_MAX:
        return True
    if sizes is None:
        return False
    weights = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    share = weights[0] / sum(weights)
    return any(share >= least and mini_batch_size <= most for least, most in SMALL_PATH_REACH)


def training_plan(mini_batch_size, n_threads=None, sizes=None):
    """The plan of training a network of sizes with mini-batches of mini_batch_size rows on
    n_threads (None: the default)."""
    chosen = _overrides.get()
    requested = n_threads if n_threads is not None else default_threads()
    path = chosen.training_path or ("small" if small_path_suits(mini_batch_size, sizes) else "blas")
    core_threads = min(requested, _small_path.MAX_THREADS) if path == "small" else 1
    return Plan(path, core_threads, requested, chosen.kernel_set, chosen.skip_zero_inputs)


def forward_plan(sizes, n_rows, n_threads=None):
    """The plan of feeding n_rows rows forward through a network of sizes."""
    chosen = _overrides.get()
    requested = n_threads if n_threads is not None else default_threads()
    path = chosen.forward_path or ("small" if max(sizes[1:]) <= NARROW_MAX else "blas")
    if path == "small":
        per_call = _forward.ROWS_PER_THREAD_CALL
        core_threads = max(
            1, min(requested, _forward.MAX_THREADS, (n_rows + per_call - 1) // per_call)
        )
    else:
        core_threads = 1
    return Plan(path, core_threads, requested, chosen.kernel_set, chosen.skip_zero_inputs)


_running = 0
_running_lock = threading.Lock()


@contextlib.contextmanager
def blas_threads(n_threads):
    """BLAS limited to n_threads threads inside, as threadpoolctl.threadpool_limits does, but
    leaving alone a library already at that count: in a forked child, setting OpenBLAS's thread
    count (to anything) starts its worker thread, which then spins for about 0.1 s of a CPU
    that the child's siblings need (a sweep's workers are forked with BLAS at one thread)."""
    from threadpoolctl import ThreadpoolController

    blas = ThreadpoolController().select(user_api="blas")
    if all(library.num_threads == n_threads for library in blas.lib_controllers):
        yield
        return
    with blas.limit(limits=n_threads):
        yield


def _after_fork_in_child():
    """A child forked while another thread was in a training call has no such call: it starts
    with none running (else every fit of the child would train on one thread), and with a lock
    of its own (the parent's may have been held at the fork)."""
    global _running, _running_lock
    _running = 0
    _running_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@contextlib.contextmanager
def shared(n_threads):
    """Around a training call into the core: yields the thread count to run it on, n_threads,
    or 1 when another training call of this process is running."""
    global _running
    with _running_lock:
        _running += 1
        crowded = _running > 1
    try:
        yield 1 if crowded else n_threads
    finally:
        with _running_lock:
            _running -= 1


class ThreadTuner:
    """The thread count of Trainer(n_threads=None) on the small-kernel path, chosen by measuring
    the chunks themselves: each candidate once, then the fastest (by each one's latest chunk),
    with a chunk now and then given to another candidate, as the load of a shared machine
    changes (two threads in lockstep slow down several-fold when a core is taken by other work).
    A look at another candidate costs its slowness over a chunk, so the looks thin out while
    they confirm the choice: FIRST_PROBE chunks apart at first, twice as far apart after each
    look that changes nothing, up to LAST_PROBE; whenever the fastest changes, FIRST_PROBE again.
    Those looks train PROBE_SAMPLES samples, a third of a full chunk, so a slow count costs
    less. The small-kernel path gives the same bits for every thread count, so the choice
    changes only the speed."""

    FIRST_PROBE = 8
    PROBE_SAMPLES = 5000
    LAST_PROBE = 128

    def __init__(self, candidates):
        self.candidates = list(candidates)
        self.seconds_per_sample = {}  # the latest chunk's, per thread count
        self.between_probes = self.FIRST_PROBE
        self.since_probe = 0  # chunks on the fastest since the last look elsewhere
        self.probes = 0

    def _fastest(self):
        """The fastest count once every candidate is measured, else None."""
        if len(self.seconds_per_sample) < len(self.candidates):
            return None
        return self._fastest_so_far()

    def _fastest_so_far(self):
        """The fastest of the counts measured so far (the first candidate before any is)."""
        measured = [n for n in self.candidates if n in self.seconds_per_sample]
        return (
            min(measured, key=self.seconds_per_sample.__getitem__)
            if measured
            else self.candidates[0]
        )

    def is_probe(self, n_threads):
        """Whether a chunk on n_threads is a look at a count other than the fastest so far: the
        trainer keeps such chunks short."""
        return n_threads != self._fastest_so_far()

    def choose(self):
        for n in self.candidates:
            if n not in self.seconds_per_sample:
                return n
        best = self._fastest()
        others = [n for n in self.candidates if n != best]
        if others and self.since_probe >= self.between_probes - 1:
            return others[self.probes % len(others)]
        return best

    def record(self, n_threads, seconds, samples):
        before = self._fastest()
        self.seconds_per_sample[n_threads] = seconds / max(samples, 1)
        after = self._fastest()
        if before is None:
            return
        if after != before:
            self.between_probes = self.FIRST_PROBE
            self.since_probe = 0
        elif n_threads != before:  # a look elsewhere that changed nothing
            self.between_probes = min(2 * self.between_probes, self.LAST_PROBE)
            self.since_probe = 0
        else:
            self.since_probe += 1
        if n_threads != before:
            self.probes += 1


def tuner_for(plan, n_threads):
    """A ThreadTuner over the plan's thread count and one, when the caller named no count
    (n_threads None) and the plan runs the core's own threads; else None."""
    if n_threads is None and plan.path == "small" and plan.n_threads > 1:
        return ThreadTuner([plan.n_threads, 1])
    return None
