"""normgen.service.train_plan' colour note: a colour run from scratch is told how many steps a colour GAN needs
before it draws anything (the zoo's FD-vs-steps curve, normgen.zoo.steps_curve); fine-tuning and grey
families are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from normgen.service import run_estimate, train_plan
from normgen.service.server_datasets import dataset_status
from normgen.service.zoo_access import get_index
from normgen.zoo import steps_curve

ROOT = str(Path(__file__).resolve().parents[2] / "checkpoints")
ARGS = dict(g_norm="batch", l1=0.0, l2=0.0, target="generator", variant="loss", seed=0, steps=150, seconds=60)


@pytest.fixture(scope="module")
def have_curve():
    if not (Path(ROOT) / steps_curve.CURVE_NAME).is_file():
        pytest.skip("no shipped curve")
    for d in ("cifar10", "mnist"):
        if dataset_status().get(d):
            pytest.skip(f"no {d} on this machine (set $NORMGEN_DATA)")


def test_a_colour_run_from_scratch_is_told_how_long_a_colour_gan_needs(have_curve):
    plan = train_plan.plan_run("dcgan", "cifar10", **ARGS, start="scratch", root=ROOT, device="cpu")
    note = run_estimate.scratch_colour_note(plan, 0.2)
    fp = steps_curve.first_picture(get_index(ROOT))
    assert f"{fp.step:,} steps" in note and "150 steps: expect colour noise" in note
    assert f"about {fp.step * 0.2 / 60:.0f} min" in note
    fine = train_plan.plan_run("dcgan", "cifar10", **ARGS, start="finetune", root=ROOT, device="cpu")
    assert run_estimate.scratch_colour_note(fine, 0.2) == ""
    grey = train_plan.plan_run("gan", "mnist", **{**ARGS, "g_norm": "none"}, start="scratch", root=ROOT, device="cpu")
    assert run_estimate.scratch_colour_note(grey, 0.2) == ""
