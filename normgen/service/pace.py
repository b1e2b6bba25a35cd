"""How long a run really takes on this server, learned from the runs that ended here.

A run's wall time is more than its steps: its process starts (importing torch), loads its data, trains,
measures the kept model and writes its downloads; and the machine is shared, so a busy server trains
slower than a short probe measured it. Estimates made from the probe alone were 2-9x too short (issue 23).

`PaceBook` keeps, per setting kind (model, dataset, start, device), what the last runs took: the fixed
part (`overhead_s`: everything but the training steps) and the seconds per step. An estimate is

    overhead + min(steps x s_per_step, the time budget)

from the median of that kind's runs where there are some, else from the probe (measured just now, so at
today's load) scaled by how the other runs' pace compared with their probes, else from the probe and a
start-up allowance (`COLD_OVERHEAD_S`). The load average is not used to scale: the machine's other work
is often niced below the run's (a CI job, a zoo build), so it overstated the wait 3x in the load test;
the admission's own pace (actual against expected of the runs that ended) corrects what is left.
"""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass

COLD_OVERHEAD_S = 6.0  # a run's process start, data load and measuring before any run ended here
COLD_SLOWDOWN = 1.5  # a run's step against the probe's, before any run ended here (process, nice, share)
COLD_TAIL_S = 3.0  # a run's last step to its downloads written, before any run ended here: 2-3 s measured for
# a GAN on MNIST on a 2-core machine (scripts/load_test.py, the class phase after a stopped run)
KEEP = 8  # observations kept per kind (the newest)


@dataclass(frozen=True)
class Observed:
    overhead_s: float  # wall time less the training steps
    s_per_step: float  # training seconds per step
    probe_ratio: float | None  # s_per_step against the probe's measured seconds per step (None: no probe)
    tail_s: float | None = None  # from its last training step to its downloads written (None: not seen)


class PaceBook:
    """Observations of ended runs, per kind; thread-safe."""

    def __init__(self) -> None:
        self._seen: dict[tuple, list[Observed]] = {}
        self._lock = threading.Lock()

    def record(self, kind: tuple, *, wall_s: float, train_s: float, steps: int,
               probe_s_per_step: float | None, tail_s: float | None = None) -> None:
        """A run of `kind` took `wall_s` from its turn to its downloads, `train_s` of it for `steps` steps,
        and `tail_s` from its last step to its downloads (measuring the kept model, writing its files)."""
        if steps < 1 or wall_s <= 0 or train_s <= 0:
            return
        sps = train_s / steps
        obs = Observed(max(0.0, wall_s - train_s), sps, sps / probe_s_per_step if probe_s_per_step else None,
                       tail_s if tail_s is not None and tail_s >= 0 else None)
        with self._lock:
            self._seen.setdefault(kind, []).append(obs)
            del self._seen[kind][:-KEEP]

    def knows(self, kind: tuple) -> bool:
        """True once a run of `kind` ended here (an estimate needs no probe then)."""
        with self._lock:
            return bool(self._seen.get(kind))

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
            mine = list(self._seen.get(kind, ()))
            every = [o for seen in self._seen.values() for o in seen]
        ratios = [o.probe_ratio for o in every if o.probe_ratio]
        if mine:
            sps = statistics.median(o.s_per_step for o in mine)
            overhead = statistics.median(o.overhead_s for o in mine)
            source = f"{len(mine)} run(s) of this kind on this server"
        else:
            sps = (probe_s_per_step or 0.0) * (statistics.median(ratios) if ratios else COLD_SLOWDOWN)
            overhead = statistics.median(o.overhead_s for o in every) if every else COLD_OVERHEAD_S
            source = (f"a speed probe, scaled by {len(every)} earlier run(s) here" if every
                      else "a speed probe and the usual start-up time")
        budget_steps = int(max_seconds / sps) if sps > 0 else steps
        n = max(1, min(steps, budget_steps))
        train_s = min(steps * sps, max_seconds)
        return {"s_per_step": sps, "steps": n, "train_s": train_s, "overhead_s": overhead,
                "seconds": overhead + train_s, "source": source}


BOOK = PaceBook()  # this server's runs (one per process)


__all__ = ["PaceBook", "Observed", "BOOK", "COLD_OVERHEAD_S", "COLD_SLOWDOWN", "COLD_TAIL_S"]
