"""How long a run really takes on this server, learned from the runs that ended here.

A run's wall time is more than its steps: its process starts (importing torch), loads its data, trains,
measures the kept model and writes its downloads; and the machine is shared, so a busy server trains
slower than a short probe measured it.

`PaceBook` keeps, per setting kind (model, dataset, start, device), what the last runs took: the fixed
part (`overhead_s`: everything but the training steps) and the seconds per step. An estimate is

    overhead + min(steps x s_per_step, the time budget)

from the median of that kind's runs that ran their course where there are some, else from the probe
(measured just now, so at today's load) scaled by how the other runs' pace compared with their probes, else
from the probe, the start-up measured of a run that trains now (its turn to its first step, `started`) and the
tail allowance (`COLD_TAIL_S`), else from the probe and a start-up allowance (`COLD_OVERHEAD_S`). A stopped
run gives its tail only. The load average is not used to scale: the machine's other work is often niced below
the run's (a CI job, a zoo build); the admission's own pace (actual against expected of the runs that ended)
corrects what is left.
"""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass

# Before any run ended here: what short runs took on a 2-core machine (scripts/load_test.py --phases flood,class)
COLD_OVERHEAD_S = 4.5  # a run's process start, data load, measuring and writing
COLD_SLOWDOWN = 1.0  # a run's step against the probe's
COLD_TAIL_S = 2.0  # a run's last step to its downloads written (measuring the kept model, writing its files)
KEEP = 8  # observations kept per kind (the newest)


@dataclass(frozen=True)
class Observed:
    overhead_s: float  # wall time less the training steps
    s_per_step: float  # training seconds per step
    probe_ratio: float | None  # s_per_step against the probe's measured seconds per step (None: no probe)
    tail_s: float | None = None  # from its last training step to its downloads written (None: not seen)
    ran_course: bool = True  # False: stopped (Stop, its visitor left): only its tail speaks for the others


class PaceBook:
    """Observations of ended runs and of runs' start-ups, per kind; thread-safe."""

    def __init__(self) -> None:
        self._seen: dict[tuple, list[Observed]] = {}
        self._startups: dict[tuple, list[float]] = {}  # per kind: its turn to its first step, of runs that trained
        self._lock = threading.Lock()

    def started(self, kind: tuple, startup_s: float) -> None:
        """A run of `kind` reported its first step `startup_s` after its turn came (its process started, its data
        loaded): known while it trains, so a line formed before any run ended is not told a guess."""
        if startup_s < 0:
            return
        with self._lock:
            self._startups.setdefault(kind, []).append(startup_s)
            del self._startups[kind][:-KEEP]

    def record(self, kind: tuple, *, wall_s: float, train_s: float, steps: int,
               probe_s_per_step: float | None, tail_s: float | None = None, ran_course: bool = True) -> None:
        """A run of `kind` took `wall_s` from its turn to its downloads, `train_s` of it for `steps` steps,
        and `tail_s` from its last step to its downloads (measuring the kept model, writing its files). A run
        that did not run its course (`ran_course` False: stopped) gives its tail only: a stopped run's pace may
        be anything (it may have been stopped for being slow)."""
        if steps < 1 or wall_s <= 0 or train_s <= 0:
            return
        sps = train_s / steps
        obs = Observed(max(0.0, wall_s - train_s), sps, sps / probe_s_per_step if probe_s_per_step else None,
                       tail_s if tail_s is not None and tail_s >= 0 else None, ran_course)
        with self._lock:
            self._seen.setdefault(kind, []).append(obs)
            del self._seen[kind][:-KEEP]

    def knows(self, kind: tuple) -> bool:
        """True once a run of `kind` ended here (an estimate needs no probe then)."""
        with self._lock:
            return any(o.ran_course for o in self._seen.get(kind, ()))

    def has_startups(self) -> bool:
        """True once any run here reported its first step."""
        with self._lock:
            return any(self._startups.values())

    def tail(self, kind: tuple) -> float | None:
        """Seconds from a run's last step to its downloads: the median of its kind's runs, else of every
        run here, else None (the caller's cold allowance: COLD_TAIL_S). What a running run still needs once it
        stops training (or is stopped)."""
        with self._lock:
            mine = [o.tail_s for o in self._seen.get(kind, ()) if o.tail_s is not None]
            every = [o.tail_s for seen in self._seen.values() for o in seen if o.tail_s is not None]
        return statistics.median(mine or every) if (mine or every) else None

    def estimate(self, kind: tuple, *, steps: int, max_seconds: float,
                 probe_s_per_step: float | None) -> dict[str, float]:
        """{"s_per_step", "steps" (what the time budget allows), "train_s", "overhead_s", "seconds", "source"}."""
        with self._lock:
            mine = [o for o in self._seen.get(kind, ()) if o.ran_course]
            every = [o for seen in self._seen.values() for o in seen if o.ran_course]
            starts = list(self._startups.get(kind, ())) or [v for seen in self._startups.values() for v in seen]
        ratios = [o.probe_ratio for o in every if o.probe_ratio]
        if mine:
            sps = statistics.median(o.s_per_step for o in mine)
            overhead = statistics.median(o.overhead_s for o in mine)
            source = f"{len(mine)} run(s) of this kind on this server"
        else:
            sps = (probe_s_per_step or 0.0) * (statistics.median(ratios) if ratios else COLD_SLOWDOWN)
            if every:
                overhead = statistics.median(o.overhead_s for o in every)
                source = f"a speed probe, scaled by {len(every)} earlier run(s) here"
            elif starts:  # a run trains now and none ran its course: its start-up as measured, and the tail
                tail = self.tail(kind)  # (a stopped run's, else the allowance)
                overhead = statistics.median(starts) + (COLD_TAIL_S if tail is None else tail)
                source = "a speed probe and the start-up of the run training now"
            else:
                overhead = COLD_OVERHEAD_S
                source = "a speed probe and the usual start-up time"
        budget_steps = int(max_seconds / sps) if sps > 0 else steps
        n = max(1, min(steps, budget_steps))
        train_s = min(steps * sps, max_seconds)
        return {"s_per_step": sps, "steps": n, "train_s": train_s, "overhead_s": overhead,
                "seconds": overhead + train_s, "source": source}


BOOK = PaceBook()  # this server's runs (one per process)


__all__ = ["PaceBook", "Observed", "BOOK", "COLD_OVERHEAD_S", "COLD_SLOWDOWN", "COLD_TAIL_S"]
