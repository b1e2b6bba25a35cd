"""One training run inside one browser session: a worker thread, a wake-up queue, snapshots for the
stream, a stop that keeps what the run has, and the files to download.

The worker writes everything it learns into the `Run` object as it goes (step, history rows, the
latest fixed-noise samples, finally the TrainResult). The streaming handler only reads that object,
so when the stream is cancelled (Stop button, closed tab, `job.cancel()` from gradio_client) the
run still holds its last state: `stop()` ends the worker and `finalize()` writes the downloads from
the weights it kept. A worker whose stream nobody reads for HEARTBEAT_S seconds stops by itself.

Its downloads are written by normgen.service.run_files, a run trained in its own process is relayed by
normgen.service.run_relay, and a session holds its latest run in a normgen.service.train_store.TrainStore.
"""

from __future__ import annotations

import queue
import shutil
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from normgen.engine.live_lambdas import LiveLambdas
from normgen.engine.sampling import ROW_LABELS, sample, translation_rows
from normgen.engine.train import TrainResult
from normgen.models import family
from normgen.public_text import no_paths
from normgen.regularizers import PENALTIES
from normgen.render.grids import GRID_SCALE, grid_image, grid_size
from normgen.service import run_files, run_relay, workdir
from normgen.service import train_process as TP
from normgen.service.admission import Ticket, admission, ordinal, wait_words
from normgen.service.cpu_share import TRAIN_THREADS, governor, train_nice
from normgen.service.pace import BOOK, COLD_TAIL_S
from normgen.service.run_estimate import pace_kind, refiner
from normgen.service.train_plan import (
    HEARTBEAT_S,
    STREAM_MIN_INTERVAL,
    RunPlan,
    release_memory,
)
from normgen.zoo.files import load_entry
from normgen.zoo.index import Entry
from normgen.zoo.views import train_translation as TT

SHARE_CHECK_S = 0.25  # how often a run asks the CPU share for its thread count


@dataclass
class Snapshot:
    """What the UI shows at one moment of a run."""

    run_id: str
    step: int
    total: int
    elapsed: float
    status: str  # waiting | running | finished | stopped | diverged | error
    message: str
    grid: Image.Image | None
    sample_step: int  # the step the grid was drawn at
    history: list[dict[str, float]]
    done: bool
    files: dict[str, str]  # kind -> path: checkpoint, grid, config (after the run ends)
    command: str  # the CLI command that reproduces the kept weights
    generalization: dict[str, float] = field(default_factory=dict)  # measured on the kept model (see runs)
    generalization_note: str = ""  # markdown: those numbers in words, or why they are not measured
    changes: list[dict[str, Any]] = field(default_factory=list)  # λ changed mid-run: step, name, old, new
    lambdas: dict[str, float] = field(default_factory=dict)  # the λ in force now (nonzero ones)
    translation: dict[str, float] = field(default_factory=dict)  # a translator's scores (train_translation)

    @property
    def eta(self) -> float | None:
        """Seconds left at the current speed (the time budget caps it); None before the first step."""
        if self.done or self.step == 0:
            return None
        return self.elapsed / self.step * (self.total - self.step)


class Run:
    """A run of `plan` in a worker thread; create with `start_run`."""

    def __init__(self, plan: RunPlan, data_root: str | None = None, ticket: Ticket | None = None) -> None:
        self.plan = plan
        self.ticket = ticket  # its place in the server's line (None: trains at once, as the CLI would)
        self.live = LiveLambdas()
        self.cfg = plan.cfg
        self.id = uuid.uuid4().hex[:8]
        self.data_root = data_root
        self.wake: queue.Queue[None] = queue.Queue()
        self.stop_event = threading.Event()
        self.done = threading.Event()
        self.last_poll = time.monotonic()
        self.history: list[dict[str, float]] = []
        self.samples: torch.Tensor | None = None
        self.sample_step = 0
        self.step, self.elapsed = 0, 0.0
        self.status, self.message = "waiting", "waiting for its turn"
        self.result = None
        self.files: dict[str, str] = {}
        self.generalization: dict[str, float] = {}
        self.generalization_note = ""
        self.translates = family(self.cfg.model.name).translates  # its picture: rows of held-out inputs
        self.inputs: torch.Tensor | None = None  # those inputs (None: its own probe images)
        self.translation: dict[str, float] = {}
        self.out_dir: Path | None = None
        self._grid: tuple[int, Image.Image] | None = None
        self.lock = threading.Lock()  # held while its downloads are written
        self._last_step_at: float | None = None  # when it last reported a step (its tail is measured from it)
        self._turn_at: float | None = None  # when its turn came (its start-up is measured from it)
        self._stop_told = False  # the line has been told that it stops (project_stop)
        self.threads, self._shared_at = TRAIN_THREADS, 0.0  # torch threads it trains with (see _share_cpu)
        self.nice: int | None = None  # the niceness it trains at (its child process's, or its thread's)
        # what it trains in while it does (train_process: a child process, or the same child in a thread)
        self.process: TP.TrainProcess | TP.TrainThread | None = None
        self.child_threads: int | None = None  # the torch threads its child last said it trains with
        self.thread = threading.Thread(target=self._work, name=f"normgen-run-{self.id}", daemon=True)

    # -- worker side ------------------------------------------------------------------------------
    def should_stop(self) -> bool:
        """Asked by the training loop before every step (in the worker thread)."""
        self._share_cpu()
        stop = self.stop_event.is_set() or time.monotonic() - self.last_poll > HEARTBEAT_S
        if stop and not self._stop_told:
            self.project_stop()
        return stop

    def _share_cpu(self) -> None:
        """Train with the threads the CPU share gives a run now (cpu_share.Governor.run_threads: one fewer
        while Explore serves visitors), asked at most every SHARE_CHECK_S."""
        now = time.monotonic()
        if now - self._shared_at < SHARE_CHECK_S:
            return
        self._shared_at = now
        want = governor().run_threads(TRAIN_THREADS)
        if want != self.threads:
            if self.process is not None:  # its child, when it trains (it starts with TRAIN_THREADS)
                self.process.send(("threads", want))
            self.threads = want

    def project_end(self) -> None:
        """Tell the line when this run ends by its own pace so far: the steps left at its measured seconds
        per step (within the time budget), and the measuring and saving the estimate allowed for."""
        if self.ticket is None or self._stop_told or self.step < 3 or self.elapsed <= 0:
            return
        left = min((self.cfg.steps - self.step) * self.elapsed / self.step, self.cfg.max_seconds - self.elapsed)
        self.ticket.ends_at = time.monotonic() + max(0.0, left) + self.tail_s()

    def tail_s(self) -> float:
        """Seconds it will need after its last step (measuring the kept model, writing its files): what
        the runs of its kind took here (normgen.service.pace), else the cold allowance."""
        seen = BOOK.tail(pace_kind(self.plan))
        return seen if seen is not None else COLD_TAIL_S

    def project_stop(self) -> None:
        """It has been stopped (Stop, or its visitor left): the line behind it waits only for its tail,
        not for its time budget."""
        self._stop_told = True
        if self.ticket is not None and self.ticket.started is not None:
            self.ticket.ends_at = time.monotonic() + self.tail_s()

    def stepped(self) -> None:
        """It reported a step (`step`, `elapsed` set): its tail is measured from its last one, and its first tells
        the pace book how long this server took to start it (normgen.service.pace: before a run of its kind has
        ended, the line's estimates use that instead of a guess)."""
        now = time.monotonic()
        if self._last_step_at is None and self._turn_at is not None:
            BOOK.started(pace_kind(self.plan), now - self._turn_at - self.elapsed)
        self._last_step_at = now

    def _waiting(self, place: int, seconds: float) -> None:
        msg = f"{ordinal(place)} in line, {wait_words(seconds)}"
        if msg != self.message:
            self.message = msg
            self.wake.put(None)

    def _work(self) -> None:
        in_process = TP.use_process()
        try:
            if self.ticket is not None and not admission().wait_turn(self.ticket, self.should_stop,
                                                                      self._waiting):
                self.status, self.message = "stopped", "stopped while waiting in line (nothing trained)"
                return
            if self.should_stop():
                self.status, self.message = "stopped", "stopped before the first step"
                return
            self.status, self.message = "running", "training"
            self.wake.put(None)
            turn = self._turn_at = time.monotonic()
            self.threads = TRAIN_THREADS
            if in_process:  # its CPU is not the server's: Explore keeps to its share meanwhile (cpu_share)
                governor().training(True)
            try:
                res = self._train(in_process)
            finally:
                if in_process:
                    governor().training(False)
            if res is None:  # the process reported an error, or stopped before a step (status, message set)
                return
            self.result = res
            self.samples, self.sample_step, self.step = res.samples, res.steps, res.steps
            self.elapsed = res.elapsed
            self.status, self.message = res.status, res.message
            self.finalize()  # the downloads exist even if nobody is watching any more
            now = time.monotonic()
            BOOK.record(pace_kind(self.plan), wall_s=now - turn, train_s=res.elapsed, steps=res.steps,
                        probe_s_per_step=self.plan.probe_s_per_step,
                        tail_s=now - self._last_step_at if self._last_step_at is not None else None,
                        ran_course=res.status == "finished")
        except Exception as exc:  # report, never kill the server: the UI shows the message
            self.status, self.message = "error", no_paths(f"training failed: {type(exc).__name__}: {exc}")
        finally:
            if self.ticket is not None:
                admission().release(self.ticket, stopped_early=self.stop_event.is_set() or self.status == "error")
            release_memory()  # this thread's heap arena: its temporaries go back to the OS
            self.done.set()
            self.wake.put(None)

    def _train(self, in_process: bool) -> TrainResult | None:
        """Train in a child process (train_process.TrainProcess), or the same child in a thread of this process
        (TrainThread: NORMGEN_TRAIN_PROCESS=0, a ZeroGPU Space): relay its messages into this object, and this
        side's stop, λ changes and thread count to it, until it sends its result. None when it reported an
        error (status and message set)."""
        init, plan = self.plan.init, self.plan
        job = TP.Job(self.cfg, self.data_root, plan.device,
                     {k: v.detach().cpu() for k, v in init.state_dict().items()} if init is not None else None,
                     train_nice(), TRAIN_THREADS, upload=plan.upload is not None, root=plan.root,
                     init_steps=plan.init_entry.steps if plan.init_entry is not None else 0)
        return run_relay.relay(self, (TP.TrainProcess if in_process else TP.TrainThread)(job))

    # -- λ while it trains ------------------------------------------------------------------------
    def set_lambdas(self, settle_s: float = 0.0, **lams: float) -> str:
        """Change λ values of this run from its next step on, once no newer change has come for
        `settle_s` s (ValueError naming a bad λ); returns a sentence saying what happens. A run that
        has ended is left as it is."""
        if self.done.is_set() or self.stop_event.is_set():
            return "The run has ended; the new λ applies to your next run."
        now = self.current_reg()
        new = {k: v for k, v in self.live.request(settle_s, **lams).items() if getattr(now, k) != v}
        if not new:
            return ""
        when = "from its first step" if self.status == "waiting" else f"from the next step (now at step {self.step})"
        said = ", ".join(run_files.change_words(k, getattr(now, k), v) for k, v in new.items())
        return f"{said}: the running run takes it {when}."

    def current_reg(self):
        """The run's RegConfig with every applied λ change."""
        reg = self.cfg.reg
        for c in self.live.changes:
            reg = replace(reg, **{c["name"]: c["new"]})
        return reg

    # -- reader side ------------------------------------------------------------------------------
    def grid(self) -> Image.Image | None:
        if self.samples is None:
            return None
        if self._grid is None or self._grid[0] != self.sample_step:
            nrow = (len(ROW_LABELS) if self.translates else
                    family(self.cfg.model.name).grid_columns(self.samples.shape[0], self.cfg.model.num_classes))
            self._grid = (self.sample_step, grid_image(self.samples, nrow=nrow, scale=GRID_SCALE))
        return self._grid[1]

    def snapshot(self) -> Snapshot:
        reg = self.current_reg()
        lams = {k: getattr(reg, k) for k in PENALTIES if getattr(reg, k)}
        return Snapshot(self.id, self.step, self.cfg.steps, self.elapsed, self.status, self.message, self.grid(),
                        self.sample_step, list(self.history), self.done.is_set(), dict(self.files),
                        self.command(), dict(self.generalization), self.generalization_note,
                        [dict(c) for c in self.live.changes], lams, TT.summary(self.translation))

    def command(self) -> str:
        """The CLI command that reproduces the kept weights (run_files.command)."""
        return run_files.command(self)

    def finalize(self) -> dict[str, str]:
        """Write checkpoint (.safetensors), grid PNG and config JSON once the worker has ended (run_files)."""
        return run_files.finalize(self)

    def cleanup(self) -> None:
        if self.out_dir is not None:
            workdir.release(self.out_dir)
            shutil.rmtree(self.out_dir, ignore_errors=True)


RUNS: weakref.WeakValueDictionary[str, Run] = weakref.WeakValueDictionary()  # id -> live runs (monitoring)


def start_run(plan: RunPlan, data_root: str | None = None, session: str | None = None) -> Run:
    """Start `plan` in a worker thread; it waits for its turn on the device (one run trains at a time).
    With `session` (a visitor), the admission's caps apply first: `admission.Refused` (nothing started)
    when that visitor already has a live run or the server's line is full."""
    run = Run(plan, data_root)
    guessed = plan.expected_s is None  # no probe could run: reckoned at its budget until a pace is known
    expected = plan.cfg.max_seconds if guessed else plan.expected_s
    about = {"kind": pace_kind(plan), "steps": plan.cfg.steps, "guessed": guessed, "refine": refiner(plan)}
    run.ticket = admission().admit(session or "", expected, run.should_stop, caps=session is not None, **about)
    RUNS[run.id] = run
    run.thread.start()
    return run


def stream(run: Run, poll: float = 0.25) -> Iterator[Snapshot]:
    """Snapshots while the run trains (at most one per STREAM_MIN_INTERVAL, only on news), then a
    final one with the downloads. Reading the stream keeps the run's heartbeat alive."""
    yield run.snapshot()
    last_sent, last_key = time.monotonic(), (run.step, run.status, run.message, len(run.live.changes))
    while not run.done.is_set():
        run.last_poll = time.monotonic()
        try:
            run.wake.get(timeout=poll)
        except queue.Empty:
            pass
        run.last_poll = time.monotonic()
        key = (run.step, run.status, run.message, len(run.live.changes))
        if key != last_key and time.monotonic() - last_sent >= STREAM_MIN_INTERVAL and not run.done.is_set():
            last_sent, last_key = time.monotonic(), key
            yield run.snapshot()
    run.finalize()
    yield run.snapshot()


def stop(run: Run, wait: float = 30.0) -> Snapshot:
    """Ask the worker to stop, wait for it (it checks between steps), keep and write what it has."""
    run.stop_event.set()
    run.done.wait(wait)
    if run.done.is_set():
        run.finalize()
    return run.snapshot()


def compare_samples(run: Run, entry: Entry, index_root: Any, seed: int) -> tuple[Image.Image, Image.Image]:
    """The run's kept model and a zoo checkpoint, sampled from the same noise."""
    if run.result is None:
        raise ValueError("the run has not ended yet: stop it or wait for it to finish")
    other = load_entry(entry, index_root).model
    if run.translates:  # rows of the same held-out inputs (or, without them, the same probe draw)
        a = run.inputs
        mine, theirs = ((TT.rows_of(m, a) for m in (run.result.model, other)) if a is not None else
                        (translation_rows(m, TT.ROWS, seed) for m in (run.result.model, other)))
        k = len(ROW_LABELS)
        return grid_image(mine, nrow=k, scale=GRID_SCALE), grid_image(theirs, nrow=k, scale=GRID_SCALE)
    n, nrow = grid_size(run.cfg.model.name, run.cfg.model.num_classes)
    mine = sample(run.result.model, n, seed)
