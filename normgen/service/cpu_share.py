"""How the server shares the CPU between visitors and runs: the one policy.

- an Explore request runs its tensor work on one thread (`Governor.explore`; torch's OpenMP count is per thread);
- a run trains with TRAIN_THREADS, one fewer while Explore has served a request in the last EXPLORE_QUIET_S
  (`Governor.run_threads`, asked before each step);
- a run's thread (or process) is TRAIN_NICE steps nicer than the server (`lower_thread_priority`), so the OS
  gives a visitor a core before a training step;
- while a run trains in its own process, an Explore view first waits, one view at a time and at most
  MAX_WAIT_S, until the server's CPU use over the last WINDOW_S is below EXPLORE_CORES
  ($NORMGEN_EXPLORE_CORES; 0 turns it off): visitors stepping through Explore back to back would otherwise
  take the run's cores. scripts/load_test.py measures the trade (the run's steps/s against Explore's p95).

`Governor` takes its clocks as arguments so its tests need no real load; `governor()` is the server's.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from normgen.service.inputs import env_number

EXPLORE_CORES = 0.6  # the server's CPU share (cores) for Explore while a run trains
WINDOW_S = 1.0  # the window its use is measured over
MAX_WAIT_S = 0.35  # the longest a view waits for its share
CHECK_S = 0.01  # how often a waiting view looks again
EXPLORE_QUIET_S = 2.0  # Explore idle this long: a run takes every thread again
TRAIN_THREADS = torch.get_num_threads()  # torch's count at import: a run trains with it (OpenMP's count is
# per thread, and Explore's requests pin their own threads to 1)
TRAIN_NICE = 5  # a run's worker thread (and the torch threads it starts) runs this much nicer than Explore


def train_nice() -> int:
    """How much nicer than the server a run trains: $NORMGEN_TRAIN_NICE, default TRAIN_NICE."""
    return int(env_number("NORMGEN_TRAIN_NICE", TRAIN_NICE))


def lower_thread_priority(nice: int | None = None) -> int | None:
    """Make the calling thread `nice` (default $NORMGEN_TRAIN_NICE or TRAIN_NICE) steps nicer than the
    server, so the OS gives an Explore request a core before a training step: on Linux a priority set on a
    thread id is that thread's only, and the OpenMP threads torch starts from it inherit it. Returns the
    thread's niceness afterwards (None where the OS has no per-thread priority). Call it before the
    thread's first torch operation; niceness only goes up without privileges, so a run thread is new."""
    n = nice if nice is not None else train_nice()
    try:
        tid = threading.get_native_id()
        now = os.getpriority(os.PRIO_PROCESS, tid)
        if n > 0:
            os.setpriority(os.PRIO_PROCESS, tid, min(19, now + n))
        return os.getpriority(os.PRIO_PROCESS, tid)
    except (AttributeError, OSError):
        return None


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
        self._in_flight, self._last_request = 0, float("-inf")  # Explore requests running; when one last ended
        self._flight_lock = threading.Lock()

    # -- Explore's requests ------------------------------------------------------------------------
    @contextmanager
    def explore(self) -> Iterator[None]:
        """One Explore request: counted in flight, after its CPU share (`wait`), its tensor work on one thread
        (torch's OpenMP count is per calling thread, so a run elsewhere keeps its own; two threads each would
        wait for each other on a shared 2-core machine)."""
        with self._flight_lock:
            self._in_flight += 1
            self._last_request = self._clock()
        threads = torch.get_num_threads()
        try:
            self.wait()
            torch.set_num_threads(1)  # this thread only (OpenMP)
            yield
        finally:
            torch.set_num_threads(threads)
            with self._flight_lock:
                self._in_flight -= 1
                self._last_request = self._clock()

    def idle_for(self, seconds: float) -> bool:
        """True when no Explore request is running and none ended in the last `seconds`."""
        with self._flight_lock:
            return self._in_flight == 0 and self._clock() - self._last_request >= seconds

    def run_threads(self, total: int = 0) -> int:
        """The torch threads a run trains with now: all `total` (default TRAIN_THREADS) while Explore has been
        quiet for EXPLORE_QUIET_S, one fewer while it serves (torch's threads spin on every core, so a run
        holding all of them made each Explore request wait for a core, and the run's own threads for each other)."""
        total = total or TRAIN_THREADS
        return total if total < 2 or self.idle_for(EXPLORE_QUIET_S) else total - 1

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
        if self._lock.acquire(timeout=self.max_wait_s):
            try:
                while self.use() > self.cores and self._clock() < deadline and self.active:
                    self._sleep(CHECK_S)
            finally:
                self._lock.release()
        return self._clock() - start


_GOVERNOR: Governor | None = None
_GOVERNOR_LOCK = threading.Lock()


def governor() -> Governor:
    """The server's governor (made on first use: importing this module starts nothing)."""
    global _GOVERNOR
    with _GOVERNOR_LOCK:
        if _GOVERNOR is None:
            _GOVERNOR = Governor()
        return _GOVERNOR
