"""λ values that change while a run trains (the Train tab's λ sliders): a request from any thread,
checked at once and applied by the training loop between two steps once it has settled, and the record of
every change applied (`LiveLambdas`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from normgen.regularizers import LAMBDAS, RegConfig, check_lambda


class LiveLambdas:
    """λ values that may change while a run trains: `request(...)` from any thread, and the loop
    applies the latest pending request between two steps (the next step trains under it).

    Every applied change is kept in `changes` as {"step", "name", "old", "new"} (step = the steps
    completed under the old value). Only the λ values change: target and update rule stay the run's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, float] = {}
        self._due = 0.0  # monotonic time from which the pending request applies
        self.changes: list[dict[str, float | str]] = []

    def request(self, settle_s: float = 0.0, **lams: float) -> dict[str, float]:
        """Ask for new λ values (by RegConfig field name: l1, l2, group, act); checked at once (ValueError
        naming the λ and its range). The request applies once no newer one has come for `settle_s`
        seconds (a slider being dragged sends many: the run takes the value it comes to rest on).
        Returns the pending request."""
        bad = sorted(set(lams) - set(LAMBDAS))
        if bad:
            raise ValueError(f"unknown λ {', '.join(bad)}; the λ are {', '.join(LAMBDAS)}")
        checked = {k: check_lambda(k, v) for k, v in lams.items()}
        with self._lock:
            self._pending.update(checked)
            self._due = time.monotonic() + max(0.0, settle_s)
            return dict(self._pending)

    def settled(self) -> dict[str, float]:
        """The pending request once it has settled, taken (no longer pending) but not applied or recorded:
        for a caller that hands it to a loop running elsewhere (another process, whose own LiveLambdas
        applies and records it). {} while nothing is due."""
        with self._lock:
            if not self._pending or time.monotonic() < self._due:
                return {}
            pending, self._pending = self._pending, {}
            return pending

    def take(self, reg: RegConfig, step: int) -> RegConfig | None:
        """The RegConfig the next step trains under if a settled request changes `reg` (recorded), else None."""
        with self._lock:
            if not self._pending or time.monotonic() < self._due:
                return None
            pending, self._pending = self._pending, {}
        new = {k: v for k, v in pending.items() if getattr(reg, k) != v}
        if not new:
            return None
        for k, v in new.items():
            self.changes.append({"step": step, "name": k, "old": getattr(reg, k), "new": v})
        return replace(reg, **new)
