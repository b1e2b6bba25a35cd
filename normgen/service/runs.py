"""One training run inside one browser session: a worker thread, a wake-up queue, snapshots for the
stream, a stop that keeps what the run has, and the files to download.

The worker writes everything it learns into the `Run` object as it goes (step, history rows, the
latest fixed-noise samples, finally the TrainResult). The streaming handler only reads that object,
so when the stream is cancelled (Stop button, closed tab, `job.cancel()` from gradio_client) the
run still holds its last state: `stop()` ends the worker and `finalize()` writes the downloads from
the weights it kept. A worker whose stream nobody reads for HEARTBEAT_S seconds stops by itself.
"""

from __future__ import annotations

import json
import queue
import shutil
import tempfile
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

from normgen.checkpoints import save
from normgen.config import reproduce_command
from normgen.data import DATASETS, DatasetUnavailable
from normgen.engine.sampling import ROW_LABELS, sample, translation_rows
from normgen.engine.train import LiveLambdas, Progress
from normgen.models import family
from normgen.regularizers import PENALTIES
from normgen.render.figures import fmt_lambda
from normgen.render.grids import grid_image
from normgen.service import train_translation as TT
from normgen.service.admission import Ticket, admission, ordinal, wait_words
from normgen.service.explorer import grid_size, idle_for
from normgen.service.generalization_view import measure_run, run_markdown
from normgen.service.inputs import dataset_label, get_index, zoo_problem
from normgen.service.sessions import (
    GRID_SCALE,
    HEARTBEAT_S,
    STREAM_MIN_INTERVAL,
    TRAIN_THREADS,
    RunPlan,
    get_data,
    get_test_data,
    lower_thread_priority,
    release_memory,
    training_function,
)
from normgen.service.uploads import Upload
from normgen.zoo.index import Entry, load_entry

SHARE_CHECK_S = 0.25  # how often a run asks whether Explore is busy
EXPLORE_QUIET_S = 2.0  # Explore idle this long: the run takes every thread again


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
        self._lock = threading.Lock()
        self.threads, self._shared_at = TRAIN_THREADS, 0.0  # torch threads it trains with (see _share_cpu)
        self.nice: int | None = None  # the worker thread's niceness (sessions.lower_thread_priority)
        self.thread = threading.Thread(target=self._work, name=f"normgen-run-{self.id}", daemon=True)

    # -- worker side ------------------------------------------------------------------------------
    def should_stop(self) -> bool:
        """Asked by the training loop before every step (in the worker thread)."""
        self._share_cpu()
        return self.stop_event.is_set() or time.monotonic() - self.last_poll > HEARTBEAT_S

    def _share_cpu(self) -> None:
        """Train with one thread fewer while Explore serves visitors, all of them when it is idle: torch's
        threads spin on every core, so a run holding all of them made each Explore request wait for a
        core, and the run's own threads for each other (issue #14). Checked at most every SHARE_CHECK_S."""
        now = time.monotonic()
        if now - self._shared_at < SHARE_CHECK_S or TRAIN_THREADS < 2:
            return
        self._shared_at = now
        want = TRAIN_THREADS if idle_for(EXPLORE_QUIET_S) else TRAIN_THREADS - 1
        if want != self.threads:
            torch.set_num_threads(want)
            self.threads = want

    def _progress(self, p: Progress) -> None:
        self.step, self.elapsed = p.step, p.elapsed
        self.history.append(dict(p.record))
        if p.samples is not None:
            self.samples, self.sample_step = self._picture(p.model, p.samples), p.step
        self.wake.put(None)

    def _waiting(self, place: int, seconds: float) -> None:
        msg = f"{ordinal(place)} in line, {wait_words(seconds)}"
        if msg != self.message:
            self.message = msg
            self.wake.put(None)

    def _work(self) -> None:
        self.nice = lower_thread_priority()  # before any torch work here: its OpenMP threads inherit it
        try:
            data = get_data(self.cfg, self.data_root)
            if self.translates:
                self._held_out_inputs()
            if self.ticket is not None and not admission().wait_turn(self.ticket, self.should_stop,
                                                                      self._waiting):
                self.status, self.message = "stopped", "stopped while waiting in line (nothing trained)"
                return
            if self.should_stop():
                self.status, self.message = "stopped", "stopped before the first step"
                return
            self.status, self.message = "running", "training"
            self.wake.put(None)
            torch.set_num_threads(TRAIN_THREADS)  # this worker thread's count (see sessions.TRAIN_THREADS)
            self.threads = TRAIN_THREADS
            res = training_function()(self.cfg, data=data, device=self.plan.device, init=self.plan.init,
                                      progress=self._progress, should_stop=self.should_stop, live=self.live)
            self.result = res
            self.samples, self.sample_step, self.step = self._picture(res.model, res.samples), res.steps, res.steps
            self.elapsed = res.elapsed
            if res.status in ("finished", "stopped") and res.steps > 0:
                self.message = (f"scoring the translation on {TT.TRANSLATION_N:,} held-out images" if self.translates
                                else "measuring how the kept model fits training vs held-out images")
                self.wake.put(None)
                self._measure(data)
            self.status, self.message = res.status, res.message
            self.finalize()  # the downloads exist even if nobody is watching any more
        except Exception as exc:  # report, never kill the server: the UI shows the message
            self.status, self.message = "error", f"training failed: {type(exc).__name__}: {exc}"
        finally:
            if self.ticket is not None:
                admission().release(self.ticket, stopped_early=self.stop_event.is_set() or self.status == "error")
            release_memory()  # this thread's heap arena: its temporaries go back to the OS
            self.done.set()
            self.wake.put(None)

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
        said = ", ".join(f"{PENALTIES[k].label} λ {fmt_lambda(getattr(now, k))} → {fmt_lambda(v)}"
                         for k, v in new.items())
        return f"{said}: the running run takes it {when}."

    def current_reg(self):
        """The run's RegConfig with every applied λ change."""
        reg = self.cfg.reg
        for c in self.live.changes:
            reg = replace(reg, **{c["name"]: c["new"]})
        return reg

    def _held_out_inputs(self) -> None:
        try:
            self.inputs = TT.held_out_inputs(self.cfg, get_test_data(self.cfg, self.data_root))
        except (DatasetUnavailable, OSError):
            self.inputs = None  # the rows come from the model's own (training) probe images

    def _picture(self, model, samples: torch.Tensor | None) -> torch.Tensor | None:
        """What the grid shows: the fixed-noise samples, or a translator's rows of the held-out inputs."""
        if not self.translates or model is None:
            return samples
        if self.inputs is not None:
            return TT.rows_of(model, self.inputs)
        return translation_rows(model, TT.ROWS, self.cfg.seed)

    def _measure(self, data) -> None:
        """The zoo's generalization metrics of the kept model, on the images it trained on and the test
        split (normgen.service.generalization_view.measure_run), a translator's translation scores beside
        the zoo's (train_translation); or why they cannot be measured here."""
        if self.plan.upload is not None:  # the folder's "test split" is the same images: a gap of 0 says nothing
            self.generalization_note = ("Your images have no held-out split, so how the model fits training vs "
                                        "held-out images is not measured.")
            return
        try:
            test = get_test_data(self.cfg, self.data_root)
        except (DatasetUnavailable, OSError) as exc:
            self.generalization_note = (f"The test split of {dataset_label(self.cfg.dataset)} is not on this "
                                        f"server ({exc}), so the held-out scores are not measured.")
            return
        if self.translates:
            index = None if zoo_problem(self.plan.root) else get_index(self.plan.root)
            self.translation = TT.measure(self.result.model, self.cfg, test, index.root if index else None)
            init = self.plan.init_entry.steps if self.plan.init_entry is not None else 0
            self.generalization_note = TT.scores_markdown(self.translation, self.cfg, index, self.result.steps, init)
            return
        self.generalization = measure_run(self.result.model, self.cfg.training_images(data), test,
                                          self.cfg.data_seed)
        self.generalization_note = run_markdown(self.generalization, self.cfg.dataset)

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

    def kept_config(self):
        """The config of the kept weights (the steps actually kept, the λ in force at the end); the CLI
        run of it reproduces them when no λ changed mid-run."""
        steps = self.result.steps if self.result is not None else self.step
        return replace(self.cfg, reg=self.current_reg(), steps=max(1, steps), max_seconds=0.0)

    def command(self) -> str:
        """The CLI command that reproduces the kept weights (an upload's server folder written as
        YOUR_IMAGES: the visitor has the images, not that path)."""
        cmd = self._command()
        upload = self.plan.upload
        return cmd.replace(str(upload.folder), "YOUR_IMAGES") if upload is not None else cmd

    def _command(self) -> str:
        init = None
        if self.plan.init_path is not None:
            path = self.plan.init_path
            try:
                init = str(path.resolve().relative_to(Path.cwd().resolve()))
            except ValueError:
                init = str(path)
        if not self.live.changes:
            return reproduce_command(self.kept_config(), init=init)
        start = replace(self.kept_config(), reg=self.cfg.reg)
        said = "; ".join(f"step {c['step']}: {PENALTIES[c['name']].label} λ {fmt_lambda(c['old'])} → "
                         f"{fmt_lambda(c['new'])}" for c in self.live.changes)
        return (reproduce_command(start, init=init) + f"\n# λ changed during the run ({said}). The CLI trains "
                "one λ throughout, so this command reproduces the start setting, not the schedule.")

    def finalize(self) -> dict[str, str]:
        """Write checkpoint (.safetensors), grid PNG and config JSON once the worker has ended."""
        with self._lock:
            if self.files or self.result is None:
                return self.files
            cfg, r = self.cfg, self.result
            self.out_dir = Path(tempfile.mkdtemp(prefix=f"normgen-run-{self.id}-"))
            data = cfg.dataset if cfg.dataset in DATASETS else "own-images"  # an upload: no server path
            stem = (f"normgen-{cfg.model.name}-{data}-l1={fmt_lambda(cfg.reg.l1)}-l2={fmt_lambda(cfg.reg.l2)}"
                    f"-{cfg.reg.target}-{cfg.reg.variant}"
                    + (f"-do={cfg.model.dropout:g}" if cfg.model.dropout else "")
                    + (f"-n{cfg.train_size}" if cfg.train_size else "")
                    + (f"-cyc={cfg.model.lambda_cyc:g}-{cfg.model.cycle_norm}" if self.translates else "")
                    + f"-seed{cfg.seed}-{r.steps}steps")
            info = {"status": r.status, "steps": r.steps, "device": r.device, "wall_s": round(r.elapsed, 2),
                    "message": r.message, "init": self.plan.init_entry.id if self.plan.init_entry else None,
                    "command": self.command(), "final": r.history[-1] if r.history else {},
                    "generalization": self.generalization, "translation": TT.summary(self.translation),
                    "lambda_changes": [dict(c) for c in self.live.changes]}
            ck = save(self.out_dir / f"{stem}.safetensors", r.model, self.kept_config(), extra=info)
            png = self.out_dir / f"{stem}-samples.png"
            grid = self.grid()
            if grid is not None:
                grid.save(png)
            js = self.out_dir / f"{stem}-config.json"
            config = self.kept_config().to_dict()
            if self.plan.upload is not None:
                config["dataset"] = config["dataset"].replace(str(self.plan.upload.folder), "YOUR_IMAGES")
            js.write_text(json.dumps({"config": config, **info}, indent=2))
            self.files = {"checkpoint": str(ck), "config": str(js), **({"grid": str(png)} if grid else {})}
            return self.files

    def cleanup(self) -> None:
        if self.out_dir is not None:
            shutil.rmtree(self.out_dir, ignore_errors=True)


RUNS: weakref.WeakValueDictionary[str, Run] = weakref.WeakValueDictionary()  # id -> live runs (monitoring)


def start_run(plan: RunPlan, data_root: str | None = None, session: str | None = None) -> Run:
    """Start `plan` in a worker thread; it waits for its turn on the device (one run trains at a time).
    With `session` (a visitor), the admission's caps apply first: `admission.Refused` (nothing started)
    when that visitor already has a live run or the server's line is full."""
    run = Run(plan, data_root)
    expected = plan.expected_s if plan.expected_s is not None else plan.cfg.max_seconds
    adm = admission()
    run.ticket = (adm.admit(session, expected, run.should_stop) if session is not None
                  else adm.join(expected, run.should_stop))
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


class TrainStore:
    """Per-session holder of the latest run (the value of a gr.State). Gradio deep-copies a State's
    initial value for every new session: a copy is a fresh, empty store."""

    def __init__(self) -> None:
        self.run: Run | None = None
        self.upload: Upload | None = None  # the visitor's own images (normgen.service.uploads), if any
        self.key = uuid.uuid4().hex  # this session, for the per-visitor cap of the admission
        self.slider_moved: dict[str, float] = {}  # λ name -> when its slider last moved (monotonic s)

    def __deepcopy__(self, memo: dict) -> TrainStore:
        return TrainStore()

    def replace_run(self, run: Run) -> Run:
        """Stop this session's previous run (if any), drop its files, and hold the new one."""
        old = self.run
        if old is not None:
            old.stop_event.set()
            old.cleanup()
        self.run = run
        return run

    def set_upload(self, upload: Upload | None) -> None:
        """Hold `upload` (None: none) for the next runs; the previous one's folder is removed (a run
        that trained on it has its images in memory already)."""
        old, self.upload = self.upload, upload
        if old is not None and old is not upload:
            old.remove()

    def cleanup(self) -> None:
        if self.run is not None:
            self.run.stop_event.set()
            self.run.cleanup()
        self.set_upload(None)


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
    theirs = sample(other, n, seed)
    return grid_image(mine, nrow=nrow, scale=GRID_SCALE), grid_image(theirs, nrow=nrow, scale=GRID_SCALE)
