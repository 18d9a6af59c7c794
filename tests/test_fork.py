"""A process that has used the core can fork, and its children can use the core.

The core keeps its own pool of threads (csrc/threads.h): a fork waits for a call in progress and
the child starts with an empty pool (OpenMP's runtime hung the child in its first call).
Each case runs in a subprocess with a timeout: a hang fails the test instead of blocking it.
"""

import os
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")

PRELUDE = """
import os, threading, numpy as np, fastgd
X = np.random.default_rng(0).random((3000, 784))
y = np.arange(3000) % 10

def train(seed, n_threads=2):
    net = fastgd.Network([784, 30, 10], seed=seed)
    fastgd.Trainer(net, eta=3.0, mini_batch_size=10, epochs=1, seed=seed, verbose=0,
                   n_threads=n_threads).fit(X, y)
    return b"".join(a.tobytes() for a in net.weights + net.biases).hex()[:64], \\
        int(net.predict(X).sum())
"""


def run(body, timeout=120):
    """Run PRELUDE + body in a new process group; on a timeout kill the whole group (a hung
    grandchild would otherwise outlive the test, spinning)."""
    process = subprocess.Popen(
        [sys.executable, "-c", PRELUDE + body],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"hung: no answer within {timeout} s")
    assert process.returncode == 0, err
    return out


def test_a_forked_child_trains_and_predicts_as_its_parent():
    out = run("""
before = train(1)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(w, repr(train(1)).encode())
    os._exit(0)
os.close(w)
child = os.read(r, 1000).decode()
_, status = os.waitpid(pid, 0)
print(status, child == repr(before))
""")
    assert out.split() == ["0", "True"]


def test_multiprocessing_fork_pool_after_the_parent_used_the_core():
    out = run("""
import multiprocessing
alone = [train(s) for s in (1, 2, 3)]
with multiprocessing.get_context("fork").Pool(2) as pool:
    pooled = pool.map(train, [1, 2, 3])
print(pooled == alone)
""")
    assert out.strip() == "True"


def test_fork_while_another_thread_is_inside_the_core():
    """The child has only the forking thread; the core's threads of the other thread's call
    are not in it, and nothing waits for them."""
    out = run("""
big = np.random.default_rng(1).random((60000, 784))
labels = np.arange(60000) % 10
net = fastgd.Network([784, 30, 10], seed=0)
started = threading.Event()

def long_fit():
    started.set()
    fastgd.Trainer(net, eta=3.0, mini_batch_size=10, epochs=2, verbose=0, n_threads=2).fit(
        big, labels)

worker = threading.Thread(target=long_fit)
worker.start()
started.wait()
import time; time.sleep(0.2)
pid = os.fork()
if pid == 0:
    ok = train(4) == train(4)
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
worker.join()
print(status)
""")
    assert out.strip() == "0"


FORK_DURING_A_CALL = r"""
import os, threading
from fastgd.core import policy

inside, release = threading.Event(), threading.Event()

def call():
    with policy.shared(2):
        inside.set()
        release.wait()

worker = threading.Thread(target=call)
worker.start()
inside.wait()
pid = os.fork()  # while the worker thread is inside its call
if pid == 0:
    with policy.shared(2) as n:  # the child's own first call: not "another is running"
        os._exit(0 if n == 2 else 3)
release.set()
worker.join()
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""


def test_a_child_forked_during_a_training_call_trains_on_its_threads():
    """Issue 25, item 3's second half: the count of running calls starts afresh in a forked child
    (with a lock of its own), so its fits get their threads instead of one."""
    out = subprocess.run(
        [sys.executable, "-c", FORK_DURING_A_CALL], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"
