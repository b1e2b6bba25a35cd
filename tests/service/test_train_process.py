"""normgen.service.train_process (issue #14): a live run trains in a child process of its own, niced below the
server, told the server's stop, λ changes and thread count; what it sends back is what the run shows and
keeps; a child that dies is reported and the server goes on; a child whose server goes away stops."""

from __future__ import annotations

import os
import pickle
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from ui_zoo import build_tiny_zoo

from normgen.checkpoints import load
from normgen.engine.live_lambdas import LiveLambdas
from normgen.service import runs, train_plan
from normgen.service import train_process as TP
from normgen.service.cpu_share import governor

pytestmark = pytest.mark.skipif(os.name != "posix", reason="runs train in their own process on POSIX systems")


@pytest.fixture(autouse=True)
def patient_runs(monkeypatch):
    """No page reads these runs' streams: on a busy machine a child can take longer than HEARTBEAT_S to
    start, and the run would stop itself as if its page had gone (that stop has its own tests)."""
    monkeypatch.setattr(runs, "HEARTBEAT_S", 300.0)


@pytest.fixture(scope="module")
def zoo(tmp_path_factory) -> Path:
    return build_tiny_zoo(tmp_path_factory.mktemp("zoo")).parent


def _plan(zoo: Path, steps: int, **kw):
    plan = train_plan.plan_run("gan", "shapes", "none", 1e-2, 0, "generator", "loss", 0, steps, 60, "finetune",
                             root=str(zoo), device="cpu", **kw)
    return replace(plan, cfg=replace(plan.cfg, log_every=5, sample_every=10))


def _wait(cond, timeout: float = 60.0) -> bool:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_live_runs_train_in_a_process_unless_told_not_to(monkeypatch):
    monkeypatch.delenv(TP.PROCESS_ENV, raising=False)
    assert TP.use_process()
    monkeypatch.setenv(TP.PROCESS_ENV, "0")
    assert not TP.use_process()


def test_a_run_trains_in_its_own_niced_process_and_keeps_what_it_sent(zoo, monkeypatch):
    monkeypatch.setenv("NORMGEN_TRAIN_NICE", "4")
    here = os.getpriority(os.PRIO_PROCESS, 0)
    run = runs.start_run(_plan(zoo, 40))
    assert _wait(lambda: run.process is not None or run.done.is_set())
    proc = run.process
    assert proc is not None and proc.pid != os.getpid()
    snaps = list(runs.stream(run, poll=0.05))
    last = snaps[-1]
    assert last.status == "finished" and last.step == 40, last.message
    assert run.nice == min(19, here + 4) and os.getpriority(os.PRIO_PROCESS, 0) == here  # the server keeps its own
    assert proc.proc.poll() == 0 and run.process is None  # the child has exited
    assert [r["step"] for r in run.history][-1] == 40 and last.grid is not None and last.generalization
    kept = load(last.files["checkpoint"])  # the weights the child sent, written by the server
    assert kept.config.steps == 40
    for k, v in kept.model.state_dict().items():
        assert torch.allclose(v, run.result.model.state_dict()[k].to(v.dtype), atol=1e-2), k
    run.cleanup()


def test_without_a_process_the_same_child_trains_in_a_niced_thread_and_learns_stop_and_lambda(zoo, monkeypatch):
    """NORMGEN_TRAIN_PROCESS=0 (a ZeroGPU Space): one path, the child in a thread of the server's process; it is
    niced on its own (the server's priority untouched), takes a λ change and a stop, and keeps its steps."""
    monkeypatch.setenv(TP.PROCESS_ENV, "0")
    monkeypatch.setenv("NORMGEN_TRAIN_NICE", "2")
    here = os.getpriority(os.PRIO_PROCESS, 0)
    run = runs.start_run(_plan(zoo, 3000))
    assert _wait(lambda: run.step >= 5 or run.done.is_set()), run.message
    assert isinstance(run.process, TP.TrainThread) and run.process.thread.is_alive()
    run.set_lambdas(l1=1e-3)
    assert _wait(lambda: run.live.changes or run.done.is_set())
    snap = runs.stop(run)
    assert snap.status == "stopped" and 5 <= snap.step < 3000 and snap.files, snap.message
    assert run.nice == min(19, here + 2) and os.getpriority(os.PRIO_PROCESS, 0) == here
    assert run.live.changes[0]["new"] == 1e-3 and load(snap.files["checkpoint"]).config.steps == snap.step
    assert not any(t.name == "normgen-train" for t in threading.enumerate())  # the child thread has ended
    run.cleanup()


def test_the_process_learns_the_servers_stop_and_keeps_the_steps_so_far(zoo):
    run = runs.start_run(_plan(zoo, 3000))
    assert _wait(lambda: run.step >= 5 or run.done.is_set())
    snap = runs.stop(run)
    assert snap.status == "stopped" and 5 <= snap.step < 3000 and snap.files
    assert load(snap.files["checkpoint"]).config.steps == snap.step
    run.cleanup()


def _share_while_training(zoo: Path) -> bool:
    """Whether Explore keeps to its CPU share while a run trains (asked once the run has taken 5 steps)."""
    run = runs.start_run(_plan(zoo, 3000))
    try:
        assert _wait(lambda: run.step >= 5 or run.done.is_set())
        assert not run.done.is_set(), run.message
        return governor().active
    finally:
        runs.stop(run)
        run.cleanup()


def test_explore_keeps_to_its_cpu_share_while_a_process_trains_and_only_then(zoo, monkeypatch):
    assert not governor().active
    assert _share_while_training(zoo)
    assert _wait(lambda: not governor().active, 10)
    monkeypatch.setenv(TP.PROCESS_ENV, "0")  # a run in a server thread: its CPU is the server's, no share
    assert not _share_while_training(zoo)


def test_a_lambda_changed_mid_run_reaches_the_process_and_is_recorded_at_its_step(zoo):
    run = runs.start_run(_plan(zoo, 3000))
    assert _wait(lambda: run.step >= 5 or run.done.is_set())
    said = run.set_lambdas(l1=1e-3)
    assert "1e-2 → 1e-3" in said
    assert _wait(lambda: bool(run.live.changes) or run.done.is_set())
    change = run.live.changes[0]
    assert change["name"] == "l1" and change["old"] == 1e-2 and change["new"] == 1e-3 and change["step"] >= 5
    snap = runs.stop(run)
    assert snap.lambdas == {"l1": 1e-3} and "λ changed during the run" in snap.command
    run.cleanup()


def test_the_process_takes_the_thread_count_the_server_sends(zoo, monkeypatch):
    monkeypatch.setattr(runs, "TRAIN_THREADS", 2)
    monkeypatch.setattr(runs, "SHARE_CHECK_S", 0.0)
    busy = {"explore": True}
    monkeypatch.setattr(runs.governor(), "idle_for", lambda seconds: not busy["explore"])
    run = runs.start_run(_plan(zoo, 3000))
    try:
        assert _wait(lambda: run.child_threads == 1 or run.done.is_set())  # Explore busy: one core left to it
        busy["explore"] = False
        assert _wait(lambda: run.child_threads == 2 or run.done.is_set())
        assert not run.done.is_set()
    finally:
        runs.stop(run)
        run.cleanup()


def test_a_child_that_dies_is_reported_and_the_next_run_trains(zoo):
    run = runs.start_run(_plan(zoo, 3000))
    assert _wait(lambda: run.step >= 1 or run.done.is_set())
    run.process.proc.kill()
    assert run.done.wait(30)
    assert run.status == "error" and "ended before its result" in run.message and "signal 9" in run.message
    assert run.files == {}
    again = runs.start_run(_plan(zoo, 10))
    assert again.done.wait(120) and again.status == "finished", again.message
    again.cleanup()


def test_a_child_stops_when_its_server_goes_away(zoo):
    plan = _plan(zoo, 3000)
    job = TP.Job(plan.cfg, None, "cpu", None, 0, 1, upload=False, root=str(zoo), init_steps=0)
    proc = TP.TrainProcess(job)
    got = []
    assert _wait(lambda: (m := proc.recv(0.1)) is not None and got.append(m) is None and m[0] == "progress",
                 timeout=120)
    proc.conn.close()  # the server's end closes, as it does when the server exits
    proc.proc.wait(30)
    assert proc.proc.returncode == 0 and got[0][0] == "started"


def test_a_settled_request_is_handed_over_unrecorded():
    live = LiveLambdas()
    live.request(0.2, l1=1e-3)
    assert live.settled() == {}  # still settling
    time.sleep(0.25)
    assert live.settled() == {"l1": 1e-3} and live.settled() == {} and live.changes == []


def test_messages_are_plain_pickles_of_what_a_job_holds(zoo):
    job = TP.Job(_plan(zoo, 5).cfg, None, "cpu", None, 0, 1, upload=False, root=None, init_steps=0)
    assert pickle.loads(pickle.dumps(job)) == job
