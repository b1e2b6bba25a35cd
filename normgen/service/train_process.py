"""A live run's training in a process of its own, and the parts of a run that both ways of
running it share: the held-out inputs of a translator, the picture it shows, the measurement at the end.

Why a process: the app serves Explore from one Python process, and a run trained in one of its threads
shares that process's interpreter lock with every request, so busy visitors starve it (scripts/load_test.py
measures it). In its own process a run has the other core to itself, niced below the server
(NORMGEN_TRAIN_NICE), and its memory goes back to the OS when it ends.

The parent (`runs.Run`) starts `python -m normgen.service.train_process FD` with one end of a socket
pair, sends a `Job`, and reads messages until the result: ("started", niceness, threads), ("progress",
step, elapsed, record, picture | None, λ changes, threads), ("status", sentence), ("result", dict) or
("error", sentence). It sends ("stop",), ("lambdas", {name: value}) and ("threads", n). Messages are
pickled by both ends of a pipe that only this app's own processes hold. The child stops when the
parent goes away (its end of the socket closes). `NORMGEN_TRAIN_PROCESS=0` runs the same child in a thread
(`TrainThread`; also on a ZeroGPU Space, where the GPU is attached to the server's own calls only).
"""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import torch

from normgen.config import TrainConfig
from normgen.data import Dataset, DatasetUnavailable, dataset_label
from normgen.engine.live_lambdas import LiveLambdas
from normgen.engine.sampling import translation_rows
from normgen.engine.train import Progress, TrainResult
from normgen.models import GenerativeModel, build_model, family
from normgen.public_text import no_paths
from normgen.service.cpu_share import lower_thread_priority
from normgen.service.server_datasets import get_data, get_test_data
from normgen.service.zerogpu import training_function, zero_gpu
from normgen.service.zoo_access import get_index, zoo_problem
from normgen.zoo.views import train_translation as TT
from normgen.zoo.views.run_metrics import measure_run, run_markdown

PROCESS_ENV = "NORMGEN_TRAIN_PROCESS"
CLOSE_WAIT_S = 10.0  # a child that has sent its result exits at once; one that does not is killed after this


def use_process() -> bool:
    """Train live runs in their own process: on a POSIX system unless $NORMGEN_TRAIN_PROCESS is 0, never
    on a ZeroGPU Space."""
    return os.environ.get(PROCESS_ENV, "1") != "0" and os.name == "posix" and not zero_gpu()


# ----------------------------------------------------------------------------------------------
# what both ways of running share


def held_out_inputs(cfg: TrainConfig, data_root: str | None) -> torch.Tensor | None:
    """A translator's rows of held-out inputs (its test split), or None where there is none here (the
    rows then come from its own probe images)."""
    try:
        return TT.held_out_inputs(cfg, get_test_data(cfg, data_root))
    except (DatasetUnavailable, OSError):
        return None


def picture(cfg: TrainConfig, model: GenerativeModel | None, samples: torch.Tensor | None,
            inputs: torch.Tensor | None) -> torch.Tensor | None:
    """What the run's grid shows: the fixed-noise samples, or a translator's rows of `inputs`."""
    if not family(cfg.model.name).translates or model is None:
        return samples
    if inputs is not None:
        return TT.rows_of(model, inputs)
    return translation_rows(model, TT.ROWS, cfg.seed)


def measure(cfg: TrainConfig, model: GenerativeModel, steps: int, data: Dataset, data_root: str | None, *,
            upload: bool, root: str | Path | None, init_steps: int) -> tuple[dict, str, dict]:
    """(generalization, its note, translation scores) of the kept model: the zoo's generalization
    metrics on the images it trained on and the test split (normgen.zoo.views.run_metrics.measure_run), a
    translator's scores beside the zoo's (train_translation); or why they are not measured here."""
    if upload:  # the folder's "test split" is the same images: a gap of 0 says nothing
        return {}, ("Your images have no held-out split, so how the model fits training vs held-out images "
                    "is not measured."), {}
    try:
        test = get_test_data(cfg, data_root)
    except (DatasetUnavailable, OSError) as exc:
        return {}, (f"The test split of {dataset_label(cfg.dataset)} is not on this server "
                    f"({no_paths(str(exc))}), so the held-out scores are not measured."), {}
    if family(cfg.model.name).translates:
        index = None if zoo_problem(root) else get_index(root)
        translation = TT.measure(model, cfg, test, index.root if index else None)
        return {}, TT.scores_markdown(translation, cfg, index, steps, init_steps), translation
    gen = measure_run(model, cfg.training_images(data), test, cfg.data_seed)
    return gen, run_markdown(gen, cfg.dataset), {}


def measuring_words(cfg: TrainConfig) -> str:
    return (f"scoring the translation on {TT.TRANSLATION_N:,} held-out images" if family(cfg.model.name).translates
            else "measuring how the kept model fits training vs held-out images")


def rebuild(cfg: TrainConfig, state: dict[str, torch.Tensor]) -> GenerativeModel:
    """The model of `cfg` with `state`'s weights (its seeded initialisation drawn under a forked RNG, so
    nothing else's random stream moves)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        model = build_model(cfg.model)
    model.load_state_dict(state)
    return model


# ----------------------------------------------------------------------------------------------
# the parent's handle


@dataclass
class Job:
    cfg: TrainConfig
    data_root: str | None
    device: str
    init_state: dict[str, torch.Tensor] | None  # the starting weights (fine-tuning), None: from scratch
    nice: int  # how much nicer than the server the child makes itself
    threads: int  # torch threads it starts with
    upload: bool  # trains on a visitor's images (no held-out split)
    root: str | None  # the zoo (a translator's scores sit beside its entries)
    init_steps: int  # steps of the baseline it fine-tunes (0: from scratch)


def _send(conn: Connection, msg: Any) -> bool:
    """Pickle `msg` down the pipe; False when the other end has gone."""
    try:
        conn.send_bytes(pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL))
        return True
    except OSError:
        return False


class _Link:
    """The parent's end of a run's pipe (`send`, `recv`); TrainProcess and TrainThread start the child."""

    conn: Connection

    def __init__(self) -> None:
        self._send_lock = threading.Lock()

    def send(self, msg: Any) -> bool:
        """Send `msg`; False when the child has gone."""
        with self._send_lock:
            return _send(self.conn, msg)

    def recv(self, timeout: float) -> Any:
        """The next message, None when none came within `timeout` s; EOFError when the child has gone."""
        if not self.conn.poll(timeout):
            return None
        return pickle.loads(self.conn.recv_bytes())


class TrainProcess(_Link):
    """The child process of one run, started with its `Job`."""

    def __init__(self, job: Job) -> None:
        super().__init__()
        mine, theirs = socket.socketpair()
        package_parent = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_parent,
                                                                        os.environ.get("PYTHONPATH")) if p)}
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", "normgen.service.train_process",
                                          str(theirs.fileno())], pass_fds=(theirs.fileno(),), env=env,
                                         stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        self.conn = Connection(mine.detach())
        self.send(job)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def exit_words(self) -> str:
        """How the child ended, in words (asked once its end of the pipe has closed)."""
        try:
            code = self.proc.wait(2.0)
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            return "it stopped answering"
        if code < 0:
            return f"it was killed by signal {-code}" + (" (out of memory?)" if -code == 9 else "")
        return f"it exited with code {code}"

    def close(self, wait: float = CLOSE_WAIT_S) -> None:
        """Close the pipe (the child stops at its next step if it still trains), wait for it, kill it if it
        does not exit."""
        self.conn.close()
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class TrainThread(_Link):
    """The same child in a thread of the server's own process (NORMGEN_TRAIN_PROCESS=0, a ZeroGPU Space): the
    same job, messages and measurement as a process's, so a run has one path whichever it trains in."""

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.conn, theirs = Pipe()
        self.thread = threading.Thread(target=serve, args=(theirs, job, lambda: lower_thread_priority(job.nice)),
                                       name="normgen-train", daemon=True)
        self.thread.start()

    def exit_words(self) -> str:
        return "its training thread ended"

    def close(self, wait: float = CLOSE_WAIT_S) -> None:
        """Close the pipe (the child stops at its next step if it still trains) and wait for it."""
        self.conn.close()
        self.thread.join(wait)


# ----------------------------------------------------------------------------------------------
# the child


class _Child:
    def __init__(self, conn: Connection, job: Job) -> None:
        self.conn, self.job = conn, job
        self.stop = False
        self.gone = False  # the parent has gone: nothing more to measure or send
        self.live = LiveLambdas()

    def send(self, *msg: Any) -> None:
        if not _send(self.conn, msg):  # the parent has gone: stop at the next step
            self.stop = self.gone = True

    def should_stop(self) -> bool:
        """Asked before every step: read what the parent sent since (stop, λ, threads)."""
        try:
            while self.conn.poll():
                kind, *rest = pickle.loads(self.conn.recv_bytes())
                if kind == "stop":
                    self.stop = True
                elif kind == "lambdas":
                    self.live.request(0.0, **rest[0])  # settled in the parent already
                elif kind == "threads":
                    torch.set_num_threads(int(rest[0]))
        except (EOFError, OSError):  # the parent has gone
            self.stop = self.gone = True
        return self.stop

    def run(self) -> None:
        job, cfg = self.job, self.job.cfg
        data = get_data(cfg, job.data_root)
        inputs = held_out_inputs(cfg, job.data_root) if family(cfg.model.name).translates else None
        init = None
        if job.init_state is not None:
            init = rebuild(cfg, job.init_state)
        if self.should_stop():
            self.send("result", {"status": "stopped", "steps": 0, "message": "stopped before the first step"})
            return

        def progress(p: Progress) -> None:
            pic = picture(cfg, p.model, p.samples, inputs) if p.samples is not None else None
            self.send("progress", p.step, p.elapsed, dict(p.record), pic, list(self.live.changes),
                      torch.get_num_threads())

        res: TrainResult = training_function()(cfg, data=data, device=job.device, init=init, progress=progress,
                                               should_stop=self.should_stop, live=self.live)
        out = {"status": res.status, "steps": res.steps, "elapsed": res.elapsed, "message": res.message,
               "device": res.device, "history": res.history, "config": res.config,
               "samples": picture(cfg, res.model, res.samples, inputs), "inputs": inputs,
               "changes": list(self.live.changes), "generalization": {}, "note": "", "translation": {}}
        if self.gone:
            return
        if res.status in ("finished", "stopped") and res.steps > 0:
            self.send("status", measuring_words(cfg))
            gen, note, translation = measure(cfg, res.model, res.steps, data, job.data_root, upload=job.upload,
                                             root=job.root, init_steps=job.init_steps)
            out.update(generalization=gen, note=note, translation=translation)
        out["state"] = {k: v.detach().cpu() for k, v in res.model.state_dict().items()}
        self.send("result", out)


def serve(conn: Connection, job: Job, niceness: Callable[[], int | None]) -> None:
    """The child's whole life on `conn`: made nicer (`niceness()`, which returns its niceness), it says so, trains
    `job` and sends its result, or the error that ended it."""
    nice = niceness()  # before any torch work: the threads torch starts inherit it
    torch.set_num_threads(max(1, job.threads))
    child = _Child(conn, job)
    child.send("started", nice, torch.get_num_threads())
    try:
        child.run()
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which shows it
        child.send("error", no_paths(f"training failed: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _nicer(n: int) -> int:
    if n > 0:
        os.nice(n)
    return os.getpriority(os.PRIO_PROCESS, 0)


def main(argv: list[str] | None = None) -> int:
    """The child: `python -m normgen.service.train_process FD` (started by `TrainProcess`)."""
    args = sys.argv[1:] if argv is None else argv
    conn = Connection(int(args[0]))
    try:
        job: Job = pickle.loads(conn.recv_bytes())
    except (EOFError, OSError):
        return 0
    serve(conn, job, lambda: _nicer(job.nice))
    return 0


if __name__ == "__main__":
    sys.exit(main())
