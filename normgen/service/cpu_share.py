"""How the server shares the CPU with a run that trains (issue #14).

On a 2-vCPU Space, visitors who step through Explore back to back keep the server's interpreter busy
(about 51 ms of server CPU per view and its pictures: 1.1 cores with 8 of them), and a run training
beside it gets what is left. While a run trains in its own process, an Explore view therefore waits,
before its work, until the server's CPU use over the last WINDOW_S is below EXPLORE_CORES (default 0.6,
$NORMGEN_EXPLORE_CORES; 0 turns it off), at most MAX_WAIT_S. Views pass one at a time, so a burst does
not pass together once the CPU frees up. With no run training, or a single visitor (far below the
share), nothing waits. Measured with scripts/load_test.py (8 visitors back to back, 20 s, this 2-core
machine): without the share the run trained 12.8-14.6 steps/s and Explore answered p50 0.32 / p95
0.49-0.55 s; with 0.6 cores, 17.6-19.3 steps/s and p50 0.46 / p95 0.63-0.70 s (the goal: p95 <= 1 s).

`Governor` takes its clocks as arguments so its tests need no real load; `governor()` is the server's.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable

EXPLORE_CORES = 0.6  # the server's CPU share (cores) for Explore while a run trains
WINDOW_S = 1.0  # the window its use is measured over
MAX_WAIT_S = 0.35  # the longest a view waits for its share
CHECK_S = 0.01  # how often a waiting view looks again


def explore_cores() -> float:
    """$NORMGEN_EXPLORE_CORES (0 or below: no cap), default EXPLORE_CORES."""
    try:
        return float(os.environ.get("NORMGEN_EXPLORE_CORES", EXPLORE_CORES))
    except ValueError:
        return EXPLORE_CORES


class Governor:
    """Paces Explore views while runs train. `cpu()` is the server's CPU seconds so far (all threads),
    `clock()` wall seconds, `sleep(s)` waits."""

    def __init__(self, cores: float | None = None, *, window_s: float = WINDOW_S, max_wait_s: float = MAX_WAIT_S,
                 cpu: Callable[[], float] = time.process_time, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.cores = explore_cores() if cores is None else cores
        self.window_s, self.max_wait_s = window_s, max_wait_s
        self._cpu, self._clock, self._sleep = cpu, clock, sleep
        self._samples: deque[tuple[float, float]] = deque()  # (wall, cpu), oldest first: the window and one
        # sample before it (the reference `use` measures from)
        self._lock = threading.Lock()  # one view passes at a time
        self._samples_lock = threading.Lock()
        self._training = 0
        self._training_lock = threading.Lock()
        self.waited_s = 0.0  # total time views waited, and how many views asked (counters to inspect)
        self.views = 0

    # -- runs say when they train ------------------------------------------------------------------
    def training(self, on: bool) -> None:
        with self._training_lock:
            self._training = max(0, self._training + (1 if on else -1))

    @property
    def active(self) -> bool:
        return self._training > 0 and self.cores > 0

    # -- the measure -------------------------------------------------------------------------------
    def use(self) -> float:
        """The server's CPU use (cores) over about the last window (0 before a quarter of one has passed)."""
        now, cpu = self._clock(), self._cpu()
        with self._samples_lock:
            # keep the newest sample at least a window old as the reference: the span stays >= the window
            while len(self._samples) > 1 and now - self._samples[1][0] >= self.window_s:
                self._samples.popleft()
            self._samples.append((now, cpu))
            t0, c0 = self._samples[0]
        return (cpu - c0) / (now - t0) if now - t0 >= self.window_s / 4 else 0.0

    def wait(self) -> float:
        """Before an Explore view: wait for its share while a run trains; the seconds waited."""
        if not self.active:
            return 0.0
        start = self._clock()
        deadline = start + self.max_wait_s
        if not self._lock.acquire(timeout=self.max_wait_s):
            waited = self._clock() - start
        else:
            try:
                while self.use() > self.cores and self._clock() < deadline and self.active:
                    self._sleep(CHECK_S)
                waited = self._clock() - start
            finally:
                self._lock.release()
        self.waited_s += waited
        self.views += 1
        return waited


_GOVERNOR: Governor | None = None
_GOVERNOR_LOCK = threading.Lock()


def governor() -> Governor:
    """The server's governor (made on first use: importing this module starts nothing)."""
    global _GOVERNOR
    with _GOVERNOR_LOCK:
        if _GOVERNOR is None:
            _GOVERNOR = Governor()
        return _GOVERNOR
