"""How each epoch of a fit is cut into chunks of mini-batches, one call into the core each."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..network import Network

# Each call into the core trains a chunk of mini-batches: CHUNK_SECONDS of work at most, so
# that the progress bar moves and Ctrl-C is answered within a fraction of a second even on a
# wide network, and CHUNK_SAMPLES at most, so that the thread tuner measures several chunks
# an epoch; the first chunk of a fit is FIRST_CHUNK_SAMPLES long, to measure the pace, or
# shorter on a wide network: at most FIRST_CHUNK_WEIGHTS weights times samples (about 0.1 s at
# 10 GFLOP/s), so that Ctrl-C is answered quickly before the pace is known too. Calls
# cost some tens of microseconds: well under 1% of a chunk. Where chunks begin changes no bit
# (every call of a fit splits the first layer's inputs at the same place).
CHUNK_SECONDS = 0.1
CHUNK_SAMPLES = 15000
FIRST_CHUNK_SAMPLES = 1000
FIRST_CHUNK_WEIGHTS = 2e8


def first_chunk(net: Network, m: int) -> int:
    """The first chunk's length: FIRST_CHUNK_SAMPLES, fewer on a wide network (at most
    FIRST_CHUNK_WEIGHTS weights times samples), in whole mini-batches."""
    weights = sum(w.size for w in net.weights)
    return whole_batches(min(FIRST_CHUNK_SAMPLES, CHUNK_SAMPLES, FIRST_CHUNK_WEIGHTS / weights), m)


def next_chunk(samples: int, seconds: float, m: int) -> int:
    """The length of the next chunk after one of samples took seconds: CHUNK_SECONDS of work
    at that pace, at most CHUNK_SAMPLES, in whole mini-batches."""
    pace = samples / max(seconds, 1e-6)
    return whole_batches(min(pace * CHUNK_SECONDS, CHUNK_SAMPLES), m)


def whole_batches(samples: float, m: int) -> int:
    """samples rounded down to whole mini-batches of m, at least one."""
    return max(1, int(samples) // m) * m
