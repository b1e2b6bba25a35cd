"""A finished run's record against the member's dealt setting: what counts, what is refused, and the zoo-simulated
record of the load test."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from normgen.classroom import experiments as X
from normgen.classroom.results import (
    RunRecord,
    Seat,
    class_run,
    measured,
    post_finished,
    post_run,
    record_of,
    simulated_record,
    verify,
    zoo_rows,
)
from normgen.classroom.store import ClassError, JoinRequest, Store
from normgen.regularizers import RegConfig
from normgen.service.zoo_access import get_index

EXP = X.get("vae-small-l2")


@pytest.fixture
def seated(tmp_path):
    store = Store(tmp_path / "c.sqlite")
    code, teacher = store.open_class(EXP.id)
    member = store.join(JoinRequest.parse(code, None, 1e-3, list(EXP.lambdas)), list(EXP.lambdas))
    return store, member


def good(member, **kw) -> RunRecord:
    rec = RunRecord("run1", EXP.model, EXP.dataset, EXP.target, {"l1": 0.0, "l2": member.lam, "group": 0.0, "act": 0.0},
                    member.seed, EXP.train_size, EXP.steps, "finished", False,
                    {"elbo_gap": 0.01, "elbo_test": -0.17})
    return replace(rec, **kw)


def test_a_run_of_the_dealt_setting_counts_once(seated):
    store, m = seated
    assert verify(good(m), m, EXP) == (0.01, -0.17)
    assert post_run(store, good(m), m, EXP) is True
    assert post_run(store, good(m), m, EXP) is False
    assert [(r.value, r.pick_value, r.simulated) for r in store.results(m.code)] == [(0.01, -0.17, False)]


@pytest.mark.parametrize("change,words", [
    ({"lambdas": {"l1": 0.0, "l2": 1e-2, "group": 0.0, "act": 0.0}}, "not your dealt setting"),
    ({"lambdas": {"l1": 1e-4, "l2": 1e-3, "group": 0.0, "act": 0.0}}, "not your dealt setting"),
    ({"seed": 7}, "not your dealt setting"),
    ({"status": "stopped", "steps": 50}, "did not finish"),
    ({"steps": EXP.steps - 1}, "did not finish"),
    ({"model": "gan"}, "not this experiment"),
    ({"train_size": 0}, "not this experiment"),
    ({"changed_mid_run": True}, "moved while it trained"),
    ({"measured": {"elbo_gap": 0.01}}, "not measured"),
    ({"measured": {"elbo_gap": float("nan"), "elbo_test": -0.1}}, "not measured"),
])
def test_a_run_that_does_not_match_is_refused(seated, change, words):
    store, m = seated
    with pytest.raises(ClassError, match=words):
        post_run(store, good(m, **change), m, EXP)
    assert store.results(m.code) == []


def _fake_run(m, steps=EXP.steps, status="finished", changes=()):
    cfg = SimpleNamespace(model=SimpleNamespace(name=EXP.model), dataset=EXP.dataset, seed=m.seed,
                          train_size=EXP.train_size)
    reg = RegConfig(l2=m.lam, target=EXP.target)
    rows = [{"step": steps, "decoder/near_zero_pct": 12.5, "encoder/near_zero_pct": 1.0}]
    return SimpleNamespace(id="abc123", cfg=cfg, current_reg=lambda: reg, history=rows, step=steps, status=status,
                           result=SimpleNamespace(steps=steps, status=status, history=rows),
                           live=SimpleNamespace(changes=list(changes)),
                           generalization={"elbo_gap": 0.02, "elbo_test": -0.2, "train_size": 300.0})


def test_record_of_reads_the_run_the_server_trained(seated):
    _, m = seated
    rec = record_of(_fake_run(m))
    assert rec.run_id == "abc123" and rec.lambdas["l2"] == m.lam and rec.seed == m.seed
    assert rec.measured["near_zero_pct"] == 12.5 and rec.measured["elbo_gap"] == 0.02  # the penalized part's
    assert measured({}, {"generator/x": 1.0, "discriminator/x": 2.0}, "discriminator") == {"x": 2.0}


def test_post_finished_posts_a_seat_run_and_says_why_not(seated):
    store, m = seated
    seat = Seat(m.code, m.token)
    assert "on the class chart" in post_finished(seat, _fake_run(m), store)
    assert "already" in post_finished(seat, _fake_run(m), store)
    assert "moved while it trained" in post_finished(seat, replace_id(_fake_run(m, changes=[{"x": 1}])), store)
    assert post_finished(None, _fake_run(m), store) == ""
    other = _fake_run(m)
    other.cfg.model.name = "gan"
    assert post_finished(seat, other, store) == ""  # not the class's experiment: not its business
    assert "Join the class first" in post_finished(Seat(m.code, "forged-token"), replace_id(_fake_run(m)), store)
    assert len(store.results(m.code)) == 1


def test_class_run_is_the_members_own_setting_only(seated):
    from normgen.service.train_plan import plan_run

    store, m = seated
    seat = Seat(m.code, m.token)
    cfg = plan_run(**dict(EXP.setting(m.lam, m.seed), dataset="shapes", train_size=0)).cfg  # shapes: no data needed
    exact = SimpleNamespace(model=cfg.model, dataset=EXP.dataset, reg=cfg.reg, train_size=EXP.train_size,
                            steps=EXP.steps, seed=m.seed)
    assert class_run(seat, exact, store)
    assert not class_run(None, exact, store)
    assert not class_run(seat, replace_ns(exact, seed=m.seed + 1), store)
    assert not class_run(seat, replace_ns(exact, steps=EXP.steps + 10), store)
    assert not class_run(Seat(m.code, "forged"), exact, store)


def replace_ns(ns, **kw):
    return SimpleNamespace(**{**vars(ns), **kw})


def replace_id(run):
    run.id = "other-run"
    return run


def test_every_experiment_has_a_zoo_band_at_each_lambda():
    entries = get_index().entries
    for exp in X.EXPERIMENTS.values():
        for lam in exp.lambdas:
            assert zoo_rows(entries, exp, lam), (exp.id, lam)


def test_simulated_record_goes_through_the_same_check_and_is_marked(seated):
    store, m = seated
    rec = simulated_record(get_index().entries, EXP, m, "1")
    assert rec.simulated and rec.run_id.startswith("sim-")
    assert rec == simulated_record(get_index().entries, EXP, m, "1")  # seeded: the same salt, the same record
    assert post_run(store, rec, m, EXP) is True
    (r,) = store.results(m.code)
    assert r.simulated and r.lam == m.lam
    band = [e.metrics["elbo_gap"] for e in zoo_rows(get_index().entries, EXP, m.lam)]
    assert min(band) - (max(band) - min(band)) * 3 <= r.value <= max(band) + (max(band) - min(band)) * 3
