"""Where a sweep's runs go: worker processes of this machine, a caller's Executor, or a Dask
cluster; each runner submits runs and writes each record as its future finishes, and says
what a lost worker looks like."""

import contextlib
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .._validation import check_int
from ..core import machine
from ..core.policy import blas_threads
from .data import make_record, pool_initializer, train_one

# A run whose worker dies this many times is recorded as failed instead of tried again.
MOST_ATTEMPTS = 3


class SweepError(RuntimeError):
    """A sweep that cannot go on for a reason outside its runs (its Dask cluster is gone)."""


def client_for(address):
    """A distributed.Client connected to the Dask scheduler at address, or an ImportError that
    names the extra to install."""
    try:
        import distributed
    except ImportError:
        raise ImportError(
            "running on a Dask cluster needs distributed: pip install "
            '"fastgd[dask]" (or pip install distributed)'
        ) from None
    try:
        return distributed.Client(address, timeout=30)
    except (OSError, TimeoutError) as error:
        raise OSError(f"could not reach the Dask scheduler at {address}: {error}") from None


def runner_for(executor, data, workers):
    if executor is None:
        return _LocalPool(data, workers)
    if _is_dask_client(executor):
        return _DaskRunner(executor, data)
    if isinstance(executor, Executor):
        return _ExecutorRunner(executor, data)
    raise TypeError(
        f"executor must be None, a concurrent.futures.Executor or a "
        f"distributed.Client, got {type(executor).__name__}"
    )


def _is_dask_client(executor):
    return (
        type(executor).__module__.split(".")[0] == "distributed"
        and hasattr(executor, "scatter")
        and hasattr(executor, "submit")
    )


class _FutureRunner:
    """Submits runs, writes each record as its future finishes; subclasses say how a run is
    submitted and what a lost worker looks like."""

    def run(self, todo, threads, reporter):
        """Runs todo, a list of (key, settings, rung) (rung: None, or a rung's (epochs,
        checkpoint)): the records of the runs that finished, and whether Ctrl-C stopped it.
        The runner stays open for more: close() it when done."""
        records = []
        attempts = {}
        pending = {}
        queue = list(todo)
        try:
            while queue or pending:
                while queue:
                    key, settings, rung = item = queue.pop(0)
                    attempts[key] = attempts.get(key, 0) + 1
                    try:
                        pending[self.submit(settings, threads, rung)] = item
                    except Exception as error:
                        # (An executor of the caller's that broke, or was shut down: its
                        # runs are recorded as failed, to be tried again with retry_failed.)
                        self.check_alive(error)
                        record = self.failed(settings, threads, error, attempts[key])
                        records.append(record)
                        reporter.finished(record)
                if not pending:
                    break
                finished = self.wait_first(list(pending))
                lost = []
                for future in finished:
                    key, settings, rung = item = pending.pop(future)
                    try:
                        record = future.result()
                    except Exception as error:
                        self.check_alive(error)
                        if self.worker_lost(error) and attempts[key] < MOST_ATTEMPTS:
                            lost.append(item)
                            continue
                        record = self.failed(settings, threads, error, attempts[key])
                    records.append(record)
                    reporter.finished(record)
                if lost:
                    queue.extend(lost)
                    self.recover(pending, queue)
        except KeyboardInterrupt:
            self.cancel(pending)
            return records, True
        finally:
            reporter.close()
        return records, False

    def wait_first(self, futures):
        """The futures that are done, once one is."""
        return wait(futures, return_when=FIRST_COMPLETED).done

    def check_alive(self, error):
        """Raise SweepError when error says that no run can be done any more (by default,
        nothing does)."""

    def failed(self, settings, threads, error, attempts):
        """The record of a run that raised error outside the run itself."""
        return _failed(settings, threads, f"{type(error).__name__}: {error}")

    def recover(self, pending, queue):
        """After a lost worker: the pool is usable again (nothing to do by default)."""

    def cancel(self, pending):
        for future in pending:
            future.cancel()

    def close(self):
        pass


def _failed(settings, threads, message):
    """The record of a run that its worker could not complete, and why."""
    return make_record(
        settings, threads, host=None, pid=None, history=None, error=message, seconds=None
    )


class _LocalPool(_FutureRunner):
    """Worker processes of this machine, each started with the data (a new pool after one
    dies: concurrent.futures breaks the whole pool when a worker is killed)."""

    def __init__(self, data, workers):
        if workers is None:
            workers = machine.cpus()
        self.workers = check_int(workers, "workers", 1, machine.MAX_THREADS)
        self.data = data
        # BLAS is held at one thread in this process while the pool lives (its workers fork
        # whenever it starts or replaces them). A worker forked so, whose runs use one thread,
        # never sets BLAS's count; setting it in a forked child (or here, back after a fork)
        # starts OpenBLAS's thread, which spins for about 0.1 s on a CPU the workers need.
        self.held = contextlib.ExitStack()
        self.held.enter_context(blas_threads(1))
        try:
            self.pool = self._new_pool()
        except BaseException:
            self.held.close()
            raise

    def _new_pool(self):
        import multiprocessing

        # fork where there is one: the workers inherit the data without a copy through pickle,
        # and a script need not guard its top level with `if __name__ == "__main__"` (spawn
        # and forkserver import the main module again in every worker). The core's thread
        # pool is made anew in a forked child.
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        return ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=pool_initializer, initargs=(self.data,)
        )

    def submit(self, settings, threads, rung=None):
        # The workers hold the data from their start: a run sends only its token.
        return self.pool.submit(train_one, settings, threads, self.data.token, rung)

    def worker_lost(self, error):
        return isinstance(error, BrokenProcessPool)

    def failed(self, settings, threads, error, attempts):
        if isinstance(error, BrokenProcessPool):
            times = "once" if attempts == 1 else f"on each of {attempts} attempts"
            return _failed(settings, threads, f"the worker running this run died {times} ({error})")
        return super().failed(settings, threads, error, attempts)

    def recover(self, pending, queue):
        # Every run still pending on the broken pool is lost with it: submit them again.
        queue.extend(pending.values())
        pending.clear()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool()

    def cancel(self, pending):
        # Runs in progress are stopped, not waited for: their workers are terminated (the pool
        # forgets its processes on shutdown, so they are taken first).
        # The pool's own dict, not a copy: its manager thread forks a replacement for a worker
        # that exits on the shutdown sentinel, after any copy was taken. Terminate, wait for
        # the manager thread to end, then terminate whatever the dict holds then.
        processes = getattr(self.pool, "_processes", None) or {}
        manager = getattr(self.pool, "_executor_manager_thread", None)
        self.pool.shutdown(wait=False, cancel_futures=True)
        for _ in range(2):
            for process in list(processes.values()):
                process.terminate()
            if manager is not None:
                manager.join(10)
            for process in list(processes.values()):
                process.join(10)

    def close(self):
        try:
            self.pool.shutdown(wait=True, cancel_futures=True)
        finally:
            self.held.close()


class _ExecutorRunner(_FutureRunner):
    """An Executor of the caller's: the data goes with every run."""

    def __init__(self, executor, data):
        self.executor, self.data = executor, data

    def submit(self, settings, threads, rung=None):
        return self.executor.submit(train_one, settings, threads, self.data, rung)

    def worker_lost(self, error):
        # The caller's pool cannot be replaced here: once a worker dies, a ProcessPoolExecutor
        # fails every run it holds and refuses new ones; they are recorded as failed.
        return False

    def failed(self, settings, threads, error, attempts):
        if isinstance(error, BrokenProcessPool):
            return _failed(
                settings,
                threads,
                f"the executor's process pool broke before this run finished (a worker died: "
                f"{error}); sweep again on a working executor with retry_failed=True to train it",
            )
        if isinstance(error, RuntimeError) and "shutdown" in str(error):
            return _failed(
                settings,
                threads,
                f"the executor was shut down before this run started ({error}); sweep again "
                f"with retry_failed=True to train it",
            )
        return super().failed(settings, threads, error, attempts)


class _DaskRunner(_FutureRunner):
    """A distributed.Client: the data is one task of the graph (recomputed by the scheduler if
    the worker holding it dies); each run depends on it, so a worker receives it once."""

    def __init__(self, client, data):
        self.client = client
        self.data = data
        self.data_future = None
        if not data.named:
            import warnings

            with warnings.catch_warnings():
                # Dask suggests scatter for large arguments; but scattered data is lost with the
                # worker that holds it, and a task's arguments can be computed again.
                warnings.filterwarnings("ignore", message="Sending large graph")
                self.data_future = client.submit(
                    _identity, data, pure=False, key=f"fastgd-sweep-data-{data.token}"
                )

    def wait_first(self, futures):
        import distributed

        try:
            return distributed.wait(futures, return_when="FIRST_COMPLETED").done
        except Exception as error:
            self.check_alive(error)
            raise

    def submit(self, settings, threads, rung=None):
        data = self.data if self.data_future is None else self.data_future
        return self.client.submit(train_one, settings, threads, data, rung, pure=False)

    def worker_lost(self, error):
        return False  # the scheduler has already retried the run on other workers

    def failed(self, settings, threads, error, attempts):
        if type(error).__name__ == "KilledWorker":
            # (Dask's message says on how many workers it tried the run.)
            return _failed(settings, threads, f"Dask gave up on this run: {error}")
        return super().failed(settings, threads, error, attempts)

    def check_alive(self, error):
        import concurrent.futures

        if isinstance(error, concurrent.futures.CancelledError) or type(error).__name__ in (
            "FuturesCancelledError",
            "FutureCancelledError",
            "CommClosedError",
        ):
            # (Dask's message lists every future: its "Message:" line says why.)
            lines = str(error).splitlines() or [""]
            reason = next((line for line in lines if line.startswith("Message:")), lines[0])
            raise SweepError(
                f"the Dask cluster dropped the sweep's runs ({type(error).__name__}: "
                f"{reason.removeprefix('Message: ')}); was the scheduler stopped? The runs "
                f"that finished are kept (in the results file, if any: start the sweep again "
                f"to go on)"
            ) from None

    def close(self):
        if self.data_future is not None:
            self.data_future.release()


def _identity(x):
    return x
