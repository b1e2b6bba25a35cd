"""The experiments list: every setting is one Train accepts, its λ axis is the zoo's, and an unknown id is named."""

from __future__ import annotations

import pytest

from normgen.classroom import experiments as X
from normgen.service.server_datasets import dataset_status
from normgen.service.train_plan import plan_run


@pytest.mark.parametrize("exp", list(X.EXPERIMENTS.values()), ids=list(X.EXPERIMENTS))
def test_each_setting_is_a_valid_train_request(exp):
    why = dataset_status().get(exp.dataset)
    if why is not None:  # plan_run refuses a dataset the server lacks ($NORMGEN_DATA: `make test` sets it)
        pytest.skip(why)
    for lam in exp.lambdas:
        s = exp.setting(lam, 3)
        plan = plan_run(**s)  # raises InputError naming a bad value
        assert getattr(plan.cfg.reg, exp.axis) == lam and plan.cfg.seed == 3
        assert plan.cfg.steps == exp.steps and plan.cfg.train_size == exp.train_size
        assert plan.cfg.reg.target == exp.target
        other = "l2" if exp.axis == "l1" else "l1"
        assert getattr(plan.cfg.reg, other) == 0.0


def test_the_axis_starts_at_zero_and_grows():
    for exp in X.EXPERIMENTS.values():
        assert exp.lambdas[0] == 0.0 and list(exp.lambdas) == sorted(set(exp.lambdas))
    assert X.DEFAULT in X.EXPERIMENTS


def test_unknown_experiment_is_named():
    with pytest.raises(ValueError, match="experiment: one of vae-small-l2"):
        X.get("nope")
