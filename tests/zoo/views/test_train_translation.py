"""normgen.zoo.views.train_translation: a live cycle GAN run in Train, through the service (plan, worker
thread, stream) for a few CPU steps: its progress picture is rows a | G(a) | F(G(a)) | dilate(a) of fixed
held-out inputs, and at the end it carries its own translation scores, set beside the shipped zoo's
baseline with the seed spread; bad λ_cyc / λ_id / cycle norm are refused, one line each, before anything."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from conftest import REPO_ROOT

from normgen.domains import domain_pair
from normgen.service import admission as A
from normgen.service import runs, server_datasets, train_plan
from normgen.service.inputs import InputError
from normgen.zoo import build, judges
from normgen.zoo.index import load_index
from normgen.zoo.views import train_translation as TT
from normgen.zoo.views import translation_view as TV

SHIPPED = REPO_ROOT / "checkpoints"


@pytest.fixture
def fresh_admission():
    old = A.set_admission(A.Admission(slots=1, per_session=1, max_runs=3))
    yield A.admission()
    A.set_admission(old)


def _plan(steps: int = 6, **cycle):
    plan = train_plan.plan_run("cyclegan", "shapes", "none", 0, 0, "generator", "loss", 0, steps, 60, "finetune",
                             **{"lambda_cyc": 1.0, "lambda_id": 0.5, "cycle_norm": "l2", **cycle}, device="cpu")
    return replace(plan, cfg=replace(plan.cfg, log_every=2, sample_every=2))


def test_a_live_cycle_gan_run_streams_held_out_rows_and_ends_with_its_translation_scores(fresh_admission):
    plan = _plan()
    assert plan.start == "scratch" and (plan.cfg.model.lambda_cyc, plan.cfg.model.lambda_id,
                                        plan.cfg.model.cycle_norm) == (1.0, 0.5, "l2")
    run = runs.start_run(plan, session="a")
    mid = []
    for s in runs.stream(run):
        if s.status == "running" and s.grid is not None and not s.done:
            mid.append((s.step, run.samples.clone()))
    assert run.status == "finished", run.message
    # mid-run pictures: 6 held-out inputs x (a, G(a), F(G(a)), truth) in [-1, 1]; the inputs and their
    # truth never change, the translations do
    assert mid
    step, first = mid[0]
    assert first.shape == (TT.ROWS * 4, 1, 28, 28) and first.min() >= -1 and first.max() <= 1
    a = first[0::4]
    assert torch.equal(a, run.inputs) and torch.allclose(first[3::4], domain_pair("thin-bold").to_b(a))
    test = server_datasets.get_test_data(plan.cfg)
    assert torch.equal(run.inputs, TT.held_out_inputs(plan.cfg, test))  # held out: from the test split
    final = run.samples
    assert torch.equal(final[0::4], a) and not torch.equal(final[1::4], first[1::4])
    assert run.grid().size == (3 * (4 * 30 + 2), 3 * (TT.ROWS * 30 + 2))  # 4 columns at the grid scale
    # the end: its own scores, the JSON summary, the downloads, the status words
    s = run.snapshot()
    for key in ("translation_l1", "cycle_l1", "grey_pct", "copy_l1"):
        assert 0 <= s.translation[key] and key in s.translation
    assert s.translation["n"] == min(TT.TRANSLATION_N, len(test) // 2)
    assert "| error vs truth (L1/pixel) |" in s.generalization_note and "no judge" in s.generalization_note
    assert {"checkpoint", "config", "grid"} <= set(s.files) and "-cyc=1-l2-" in s.files["checkpoint"]
    assert "--lambda-cyc 1 --lambda-id 0.5 --cycle-norm l2" in s.command


def test_the_run_is_scored_as_the_zoo_scores_a_translator():
    assert (TT.TRANSLATION_N, TT.EVAL_SEED) == (build.TRANSLATION_N, judges.EVAL_SEED)


@pytest.mark.skipif(not (SHIPPED / "index.json").is_file(), reason="the shipped zoo is not in this checkout")
def test_the_scores_sit_beside_the_shipped_baseline_and_its_seed_spread(data_root):
    index = load_index(SHIPPED)
    es = TV.translators(index, "mnist")
    base = [e for e in es if e.is_baseline]
    zero = next(e for e in es if TV.lam_cyc(e) == 0)
    cfg = train_plan.plan_run("cyclegan", "mnist", "none", 0, 0, "generator", "loss", 0, 300, 60, "scratch",
                            lambda_cyc=0, device="cpu", data_root=str(data_root)).cfg
    text = TT.scores_markdown(dict(zero.metrics), cfg, index, 300)
    lo, hi = sorted(e.metrics["fd"] for e in base)
    assert f"| zoo baseline ({len(base)} seeds) |" in text and "The zoo baseline: λ_cyc 10, L1 cycle norm" in text
    assert f"| FD vs bold digits | {zero.metrics['fd']:.1f} | {lo:.3g}–{hi:.3g} |" in text
    assert "zoo, your setting (2 seeds)" in text  # the zoo's own λ_cyc 0 entries
    fd_row = next(r for r in text.splitlines() if r.startswith("| FD"))
    assert "higher by" in fd_row and "beyond the seed spread" in fd_row
    # the baseline's own seed 0 is no effect against its seeds
    own = TT.scores_markdown(dict(base[0].metrics), replace(cfg, model=replace(cfg.model, lambda_cyc=10.0)),
                             index, 300)
    assert "beyond" not in own and "within the seed spread" in own and "your setting" not in own


@pytest.mark.parametrize(("field", "value", "said"), [
    ("lambda_cyc", -1, r"lambda_cyc \(weight of the cycle term\) must be a number in \[0, 100\], got -1"),
    ("lambda_cyc", float("nan"), r"lambda_cyc .* got nan"),
    ("lambda_cyc", 1e9, r"lambda_cyc .* got 1000000000"),
    ("lambda_id", float("inf"), r"lambda_id \(weight of the identity term\) must be a number in \[0, 100\], got inf"),
    ("lambda_id", "abc", r"lambda_id .* got 'abc'"),
    ("cycle_norm", "l3", r"cycle_norm must be one of: l1, l2; got 'l3'"),
])
def test_a_bad_cycle_setting_is_one_line_naming_it_and_starts_nothing(fresh_admission, field, value, said):
    with pytest.raises(InputError, match=said) as exc:
        _plan(**{field: value})
    assert "\n" not in str(exc.value)
    assert fresh_admission.counts() == {"running": 0, "waiting": 0}


@pytest.mark.skipif(not (SHIPPED / "index.json").is_file(), reason="the shipped zoo is not in this checkout")
def test_a_fine_tuned_run_says_it_is_not_the_zoos_recipe(data_root):
    index = load_index(SHIPPED)
    base = next(e for e in TV.translators(index, "mnist") if e.is_baseline)
    cfg = train_plan.plan_run("cyclegan", "mnist", "none", 0, 0, "generator", "loss", 0, 300, 60, "scratch",
                            device="cpu", data_root=str(data_root)).cfg
    text = TT.scores_markdown(dict(base.metrics), cfg, index, 300, init_steps=300)
    assert "fine-tuned a zoo checkpoint of 300 steps for 300 more (600 in all)" in text
    assert "from scratch, yours" not in text
