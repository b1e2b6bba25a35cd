"""The parts of `runs.Run` that relay a run's child (normgen.service.train_process: a process, or a thread):
its messages (started, progress, status, error, result) go into the Run as it trains, and the Run's
stop, λ changes and thread count go to the process, until the result comes back as a TrainResult.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from normgen.engine.train import TrainResult
from normgen.service import train_process as TP

if TYPE_CHECKING:
    from normgen.service.runs import Run


def relay(run: Run, proc: TP.TrainProcess | TP.TrainThread) -> TrainResult | None:
    """Relay the child `proc` (a process, or a thread) to `run` until it sends its result. None when it
    reported an error, or stopped before its first step (status and message set)."""
    run.process = proc
    stopping = False
    try:
        while True:
            if not stopping and run.should_stop():
                stopping = proc.send(("stop",)) or True
            pending = run.live.settled()
            if pending:
                proc.send(("lambdas", pending))
            try:
                msg = proc.recv(0.1)
            except (EOFError, OSError):
                run.status, run.message = "error", (f"training failed: the training process ended before "
                                                    f"its result ({proc.exit_words()}); nothing was kept. "
                                                    "Start the run again.")
                return None
            if msg is None:
                continue
            kind, *rest = msg
            if kind == "started":
                run.nice, run.child_threads = rest
            elif kind == "progress":
                step, elapsed, record, pic, changes, run.child_threads = rest
                run.live.changes[:] = changes
                run.step, run.elapsed = step, elapsed
                run.stepped()
                run.project_end()
                run.history.append(record)
                if pic is not None:
                    run.samples, run.sample_step = pic, step
                run.wake.put(None)
            elif kind == "status":
                run.message = rest[0]
                run.wake.put(None)
            elif kind == "error":
                run.status, run.message = "error", rest[0]
                return None
            elif kind == "result":
                if "state" not in rest[0]:  # it stopped before its first step: nothing to keep
                    run.status, run.message = rest[0]["status"], rest[0]["message"]
                    return None
                return result_of(run, rest[0])
    finally:
        run.process = None
        proc.close()


def result_of(run: Run, out: dict[str, Any]) -> TrainResult:
    """The TrainResult of the child's ("result", dict) message; its λ changes, held-out inputs and
    measurements go into `run`."""
    run.live.changes[:] = out["changes"]
    run.inputs = out["inputs"]
    run.generalization, run.generalization_note, run.translation = (out["generalization"], out["note"],
                                                                    out["translation"])
    model = TP.rebuild(out["config"], out["state"])
    return TrainResult(model, out["config"], out["status"], out["steps"], out["elapsed"], out["history"],
                       out["samples"], out["message"], out["device"])

