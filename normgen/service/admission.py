"""Training admission: a short, bounded line of runs, so training can never crowd out Explore.

Gradio's queue limit counts every waiting event of every kind, so /train requests that waited in
Gradio's queue could fill it and make /explore answer "Queue is full" for everyone. Here /train
events start at once (no Gradio concurrency limit) and ask `admission()` for a place:
- at most `per_session` live runs per session (a browser tab or a gradio_client `Client`),
- at most `max_runs` runs training or waiting on the whole server,
- `slots` of them train at the same time (1 on a 2-core machine: two runs would each go at half speed).
A request beyond a cap is refused at once with a message that says why and how long to wait; an
admitted one waits in line (its run reports its place and the estimated wait) until a slot is free.

The estimate is measured, not guessed: each ticket carries its run's expected wall time (the measured
seconds per step times its steps, capped by its time budget), and a running ticket its start time.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from normgen.service.inputs import env_number


class Refused(Exception):
    """A run that would exceed a cap; the message says which and what to do."""


_IDS = itertools.count(1)


@dataclass(eq=False)
class Ticket:
    """One run's place: waiting (started is None) or training (started = its monotonic start time)."""

    session: str
    expected_s: float  # the run's expected wall time in seconds
    stopped: Callable[[], bool]  # the run's stop flag: a stopped run that waits gives its place up
    id: int = field(default_factory=lambda: next(_IDS))
    started: float | None = None
    ends_at: float | None = None  # while it trains: when its own measured pace says it ends (monotonic)
    kind: tuple = ()  # what its pace is learned per (normgen.service.pace.pace_kind); () = unknown
    steps: int = 0  # the steps it asks for
    guessed: bool = False  # expected_s is its time budget, not a measurement (no probe could run)
    refine: Callable[[], float | None] | None = None  # a measured expectation once one exists (ended runs)

    def remaining(self, now: float, expected: float) -> float:
        """Seconds this run still needs: from its own pace once it trains (`ends_at`), else its expected
        time (`expected`: `expectation`'s) less the time it has trained."""
        if self.started is None:
            return expected
        if self.ends_at is not None:
            return max(1.0, self.ends_at - now)
        return max(1.0, expected - (now - self.started))


def expectation(ticket: Ticket, line: list[Ticket], pace: float = 1.0) -> float:
    """A ticket's expected wall time. What the pace book has measured here since it came speaks first
    (`refine`: the runs of its kind that ended, else the start-up of the run training now; at today's load, so
    `pace` does not scale it). Else a measured ticket's own probe-based expectation × `pace` (the actual /
    expected of the runs that ended). A guessed one (no speed probe could run: another run trained when it
    came) takes a measured ticket of its kind in the line (its expectation per step × these steps, within the
    budget: a class runs one setting), else its whole time budget."""
    if ticket.refine is not None:
        e = ticket.refine()
        if e is not None:
            return min(ticket.expected_s, max(1.0, e)) if ticket.guessed else max(1.0, e)
    if not ticket.guessed:
        return ticket.expected_s * pace
    for t in line:
        if t is not ticket and not t.guessed and t.kind and t.kind == ticket.kind and t.steps > 0:
            total = (t.ends_at - t.started if t.ends_at is not None and t.started is not None
                     else t.expected_s * pace)
            return min(ticket.expected_s, max(1.0, total * max(1, ticket.steps) / t.steps))
    return ticket.expected_s * pace


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def wait_words(seconds: float) -> str:
    """'about 40 s' / 'about 3 min'."""
    s = max(1.0, seconds)
    return f"about {s:.0f} s" if s < 90 else f"about {s / 60:.0f} min"


class Admission:
    """The server's line of training runs (thread-safe)."""

    def __init__(self, slots: int = 1, per_session: int = 1, max_runs: int = 6) -> None:
        if slots < 1 or per_session < 1 or max_runs < slots:
            raise ValueError(f"need slots >= 1, per_session >= 1, max_runs >= slots; got {slots}, "
                             f"{per_session}, {max_runs}")
        self.slots, self.per_session, self.max_runs = slots, per_session, max_runs
        self._cond = threading.Condition()
        self._line: list[Ticket] = []  # in arrival order
        self._measuring = False
        self._pace = 1.0  # actual / expected wall time of the runs that ended (a running mean)

    # -- bookkeeping (call with the lock held) -----------------------------------------------------
    def _prune(self) -> None:
        """Waiting tickets whose run was stopped leave the line (a training one leaves on release)."""
        self._line = [t for t in self._line if t.started is not None or not t.stopped()]

    def _running(self) -> list[Ticket]:
        return [t for t in self._line if t.started is not None]

    def _waiting(self) -> list[Ticket]:
        return [t for t in self._line if t.started is None]

    def _wait_before(self, ahead: list[Ticket], now: float) -> float:
        """Seconds until a slot frees for whoever waits behind `ahead` (the running and waiting runs
        in front), with `slots` runs training at a time."""
        busy = sorted(t.remaining(now, expectation(t, self._line, self._pace)) for t in self._running())
        free = [0.0] * (self.slots - len(busy)) + busy  # when each slot frees
        for t in ahead:
            free.sort()
            free[0] += expectation(t, self._line, self._pace)
        return min(free) if free else 0.0

    # -- the line ----------------------------------------------------------------------------------
    def check(self, session: str) -> None:
        """Refused now if `session` could not be admitted (cheap: before any work is done for it)."""
        with self._cond:
            self._check(session)

    def admit(self, session: str, expected_s: float, stopped: Callable[[], bool], caps: bool = True,
              **about) -> Ticket:
        """A place in line for a run of `session`, or Refused (at once) when a cap is reached (`caps` False: a
        run started by code, not by a visitor, which no cap refuses). `about`: the Ticket's kind, steps, guessed
        and refine (what a guessed expectation is refined from)."""
        with self._cond:
            if caps:
                self._check(session)
            ticket = Ticket(session, max(1.0, float(expected_s)), stopped, **about)
            self._line.append(ticket)
            return ticket

    def _check(self, session: str) -> None:
        """Raise Refused when a cap is reached (call with the lock held)."""
        self._prune()
        now = time.monotonic()
        mine = [t for t in self._line if t.session == session and not t.stopped()]
        if len(mine) >= self.per_session:
            n = self.per_session
            raise Refused(f"You already have {'a run' if n == 1 else f'{n} runs'} training or waiting "
                          f"(at most {n} per visitor). Stop it (its result is kept) or let it finish, "
                          "then start the next one.")
        if len(self._line) >= self.max_runs:
            wait = wait_words(self._wait_before(self._waiting(), now))
            raise Refused(f"The server is busy: {len(self._line)} runs are training or waiting, the most "
                          f"it takes at once ({self.max_runs}). Please try again in {wait}; Explore "
                          "and Compare work meanwhile.")

    def position(self, ticket: Ticket) -> tuple[int, float]:
        """(place among the waiting runs, 1 = next; 0 once training, estimated seconds until it starts)."""
        with self._cond:
            self._prune()
            if ticket.started is not None:
                return 0, 0.0
            ahead = self._ahead(ticket)
            return len(ahead) + 1, self._wait_before(ahead, time.monotonic())

    def _ahead(self, ticket: Ticket) -> list[Ticket]:
        """The waiting tickets in front of `ticket` (all of them once it has left the line)."""
        waiting = self._waiting()
        return waiting[:waiting.index(ticket)] if ticket in waiting else waiting

    def wait_turn(self, ticket: Ticket, should_stop: Callable[[], bool],
                  on_wait: Callable[[int, float], None] | None = None, poll: float = 0.5) -> bool:
        """Block until `ticket` may train (True) or its run is stopped while waiting (False, and the
        ticket has left the line). `on_wait(place, seconds)` reports the place while waiting."""
        with self._cond:
            while True:
                self._prune()
                if should_stop():
                    if ticket in self._line:
                        self._line.remove(ticket)
                    self._cond.notify_all()
                    return False
                waiting = self._waiting()
                if (not self._measuring and len(self._running()) < self.slots and waiting
                        and waiting[0] is ticket):
                    ticket.started = time.monotonic()
                    return True
                if on_wait is not None:
                    on_wait(*self.position(ticket))
                self._cond.wait(poll)

    def release(self, ticket: Ticket, stopped_early: bool = False) -> None:
        """The run has ended (or never started): its place and its slot are free. A run that ran its
        course updates the pace of the estimates (on a busy machine runs take longer than measured)."""
        with self._cond:
            if ticket in self._line:
                self._line.remove(ticket)
            if ticket.started is not None and not stopped_early and not ticket.guessed:
                ratio = min(10.0, max(0.1, (time.monotonic() - ticket.started) / ticket.expected_s))
                self._pace = 0.5 * self._pace + 0.5 * ratio
            self._cond.notify_all()

    def counts(self) -> dict[str, int]:
        with self._cond:
            self._prune()
            return {"running": len(self._running()), "waiting": len(self._waiting())}

    def try_measure(self) -> bool:
        """Reserve the device for a short speed measurement: only when no run trains (runs wait for it)."""
        with self._cond:
            if self._measuring or self._running():
                return False
            self._measuring = True
            return True

    def end_measure(self) -> None:
        with self._cond:
            self._measuring = False
            self._cond.notify_all()


_ADMISSION: Admission | None = None
_ADMISSION_LOCK = threading.Lock()


def admission() -> Admission:
    """The server's admission (made on first use): $NORMGEN_TRAIN_SLOTS (default 1),
    $NORMGEN_RUNS_PER_VISITOR (1) and $NORMGEN_MAX_RUNS (6, training + waiting)."""
    global _ADMISSION
    with _ADMISSION_LOCK:
        if _ADMISSION is None:
            _ADMISSION = Admission(int(env_number("NORMGEN_TRAIN_SLOTS", 1)),
                                   int(env_number("NORMGEN_RUNS_PER_VISITOR", 1)),
                                   int(env_number("NORMGEN_MAX_RUNS", 6)))
        return _ADMISSION


def set_admission(a: Admission | None) -> Admission | None:
    """Replace the server's admission (tests, the load script); returns the previous one."""
    global _ADMISSION
    with _ADMISSION_LOCK:
        old, _ADMISSION = _ADMISSION, a
        return old


def shared_seconds() -> float:
    """The time budget of a run admitted while others train or wait ($NORMGEN_SHARED_SECONDS, default
    30): a short turn each, so a class moves through the line."""
    return env_number("NORMGEN_SHARED_SECONDS", 30.0)
