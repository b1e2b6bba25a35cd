"""A ZeroGPU Space, with a stand-in `spaces` package that keeps the real one's contract (spaces 0.51):
`spaces.GPU(duration=...)` registers the function, the platform asks at launch which functions are
registered, and a call computes its duration from the call's own arguments, sends the arguments to a GPU
worker process and the result back (both pickled). The stand-in has no GPU: the worker trains on the CPU.

Checked: off ZeroGPU a run trains with the plain trainer; building the app registers the GPU function
before launch; a live run on a ZeroGPU Space trains through that function (once, holding the GPU for its
budget plus the margin, with picklable arguments only) and finishes with its downloads.
"""

from __future__ import annotations

import pickle
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from ui_zoo import build_tiny_zoo

from normgen.engine.train import train
from normgen.service import admission as A
from normgen.service import run_estimate, runs, train_plan, zerogpu
from normgen.service import train_process as TP


class StandInSpaces(types.ModuleType):
    """The `spaces` package as a ZeroGPU Space has it, minus the GPU."""

    def __init__(self) -> None:
        super().__init__("spaces")
        self.registered: list[Any] = []  # what the platform's start-up report would list
        self.calls: list[dict[str, Any]] = []

    def GPU(self, task=None, *, duration=None, size=None):  # noqa: N802  (the real name)
        if task is None:
            return lambda f: self.GPU(f, duration=duration, size=size)
        self.registered.append(task)

        def gpu_call(*args, **kwargs):
            seconds = duration(*args, **kwargs) if callable(duration) else duration
            self.calls.append({"duration": seconds, "device": kwargs.get("device")})
            args, kwargs = pickle.loads(pickle.dumps((args, kwargs)))  # to the worker process
            kwargs = {**kwargs, "device": "cpu"}  # the worker's GPU (none here)
            return pickle.loads(pickle.dumps(task(*args, **kwargs)))  # and back

        return gpu_call


@pytest.fixture
def spaces(monkeypatch) -> StandInSpaces:
    stand_in = StandInSpaces()
    monkeypatch.setitem(sys.modules, "spaces", stand_in)
    monkeypatch.setenv(zerogpu.ENV, "true")
    zerogpu.gpu_train.cache_clear()
    yield stand_in
    zerogpu.gpu_train.cache_clear()


@pytest.fixture(scope="module")
def zoo(tmp_path_factory) -> Path:
    return build_tiny_zoo(tmp_path_factory.mktemp("zoo")).parent


@pytest.fixture
def fresh_admission():
    old = A.set_admission(A.Admission(slots=1, per_session=1, max_runs=3))
    yield A.admission()
    A.set_admission(old)


def test_off_zerogpu_a_run_trains_with_the_plain_trainer(monkeypatch):
    monkeypatch.delenv(zerogpu.ENV, raising=False)
    assert not zerogpu.zero_gpu() and zerogpu.training_function() is train
    monkeypatch.setenv(zerogpu.ENV, "true")
    monkeypatch.setitem(sys.modules, "spaces", None)  # the variable without the package: not ZeroGPU
    assert not zerogpu.zero_gpu() and zerogpu.training_function() is train
    zerogpu.prepare()  # registers nothing, imports nothing


def test_building_the_app_registers_the_gpu_function_before_launch(spaces, tmp_path):
    from normgen.app import build_demo

    assert spaces.registered == []
    build_demo(root=str(tmp_path))  # what app.py does before demo.launch()
    assert spaces.registered == [zerogpu.train_on_gpu]
    build_demo(root=str(tmp_path))
    assert len(spaces.registered) == 1  # once per process


def test_a_live_run_on_zerogpu_trains_through_the_decorated_function(spaces, zoo, fresh_admission):
    assert train_plan.device_name() == "cuda" and not TP.use_process()  # trains in the server's own process
    plan = train_plan.plan_run("gan", "shapes", "none", 1e-3, 0, "generator", "loss", 0, 12, 45, "scratch",
                             root=str(zoo))
    assert plan.device == "cuda" and train_plan.caps(plan.device) == train_plan.caps("cuda")
    assert "GPU is attached when the run starts" in run_estimate.estimate_text(plan)  # no probe outside a run
    run = runs.start_run(plan, session="visitor")
    snaps = list(runs.stream(run, poll=0.05))
    last = snaps[-1]
    assert last.status == "finished" and last.step == 12, (last.status, last.message)
    assert spaces.calls == [{"duration": 45 + zerogpu.MARGIN_S, "device": "cuda"}]
    assert Path(last.files["checkpoint"]).is_file() and last.grid is not None
    run.cleanup()


def test_the_gpu_hold_is_the_budget_plus_the_margin_capped():
    from dataclasses import replace

    from normgen.config import make_config

    cfg = make_config("gan", "shapes", steps=10)
    assert zerogpu.gpu_seconds(replace(cfg, max_seconds=60)) == 60 + zerogpu.MARGIN_S
    assert zerogpu.gpu_seconds(replace(cfg, max_seconds=10_000)) == zerogpu.MAX_HOLD_S + zerogpu.MARGIN_S
