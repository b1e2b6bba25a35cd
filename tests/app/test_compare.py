"""The Compare / sweep service and the Learn text, against a tiny zoo with real checkpoint files
(tests/conftest_browser.py) and against hand-written indexes whose verdicts are known."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest_browser import L1S, L2S, build_tiny_zoo, fake_fd

from normgen.app.tabs import learn
from normgen.checkpoints import load
from normgen.engine.sampling import sample
from normgen.models import family
from normgen.render.grids import grid_image
from normgen.zoo import findings
from normgen.zoo import sweeps as S
from normgen.zoo.index import Entry, ZooIndex, load_index

L1_ID = "l1|none|none|generator|loss|10"


@pytest.fixture(scope="module")
def zoo(tmp_path_factory) -> ZooIndex:
    root = tmp_path_factory.mktemp("zoo")
    build_tiny_zoo(root)
    return load_index(root)


def test_sweeps_group_the_index(zoo):
    sweeps = {s.key.id: s for s in S.list_sweeps(zoo, "gan", "shapes")}
    assert set(sweeps) == {L1_ID, "l2|none|none|generator|loss|10", "l1|none|none|generator|proximal|10",
                           "elastic|none|none|generator|loss|10"}
    enet = sweeps["elastic|none|none|generator|loss|10"]
    assert enet.x_labels() == ["baseline", f"L1 {L1S[1]:.0e}\nL2 {L2S[0]:.0e}".replace("e-0", "e-")]
    fig = S.sweep_figures(enet)["quality"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == enet.x_labels()
    l1 = sweeps[L1_ID]
    assert [p.lams["l1"] for p in l1.points] == [0.0, *L1S]
    assert [p.seeds for p in l1.points] == [[0, 1], [0], [0, 1], [0]]
    assert l1.has_baseline and l1.part == "generator"
    assert any(n.startswith(f"training seeds per point: 2 at λ = 0 (baseline), {l1.points[2].label()}; "
                            f"1 at {l1.points[1].label()}, {l1.points[3].label()} (no seed spread there)")
               for n in l1.notes), l1.notes
    vae = {s.key.id for s in S.list_sweeps(zoo, "vae", "shapes")}
    assert vae == {"l1|none|none|decoder|loss|10", "l2|none|none|decoder|loss|10"}
    assert S.list_sweeps(zoo, "cgan", "shapes") == []
    assert S.models_and_datasets(zoo) == [("gan", "shapes"), ("vae", "shapes")]
    assert [c[1] for c in S.sweep_choices(zoo, "gan", "shapes")][0] == L1_ID


def test_sweep_values_are_the_index_values(zoo):
    sw = S.get_sweep(zoo, "gan", "shapes", L1_ID)
    fds = S.values(sw, lambda e: S.metric(e, "fd"))
    assert fds == [[fake_fd(0, 0, 0), fake_fd(0, 0, 1)], [fake_fd(L1S[0], 0, 0)],
                   [fake_fd(L1S[1], 0, 0), fake_fd(L1S[1], 0, 1)], [fake_fd(L1S[2], 0, 0)]]
    nz = S.values(sw, lambda e: S.weight_stat(e, "generator", "near_zero_pct"))
    ref = [[e.weights["generator"]["near_zero_pct"] for e in p.entries] for p in sw.points]
    assert nz == ref
    assert nz[-1][0] > nz[0][0]  # soft-thresholding made weights near zero
    md = S.point_markdown(sw, 2)
    mean = (fake_fd(L1S[1], 0, 0) + fake_fd(L1S[1], 0, 1)) / 2
    assert f"| judge FD (lower = better) | {mean:.3g} (2 seeds:" in md
    with pytest.raises(ValueError, match="point index"):
        S.point_markdown(sw, 9)
    figs = S.sweep_figures(sw, 1, zoo.floors)
    assert set(figs) == {"sparsity", "norm", "quality", "extra"}
    assert figs["quality"].axes[0].get_title() == "Sample quality"


def test_strip_is_the_checkpoints_samples_from_one_noise(zoo):
    sw = S.get_sweep(zoo, "gan", "shapes", L1_ID)
    strip = S.strip(sw, noise_seed=5, root=zoo.root)
    assert [c.split(" · ")[0] for _, c in strip] == ["λ = 0", "L1 1e-5", "L1 1e-4", "L1 1e-3"]
    assert strip[2][1] == f"L1 1e-4 · FD {S.plots.fmt_num(fake_fd(L1S[1], 0, 0))}"
    # reference: load the file directly, sample with the same noise seed, draw the grid
    e = sw.points[2].entries[0]
    ck = load(zoo.root / e.file)
    ref = grid_image(sample(ck.model, 16, 5), nrow=family("gan").grid_columns(16, 4), scale=2)
    assert np.array_equal(np.asarray(strip[2][0]), np.asarray(ref))
    assert not np.array_equal(np.asarray(strip[0][0]), np.asarray(strip[3][0]))  # lambda changed the samples
    other = S.strip(sw, noise_seed=6, root=zoo.root)
    assert not np.array_equal(np.asarray(strip[0][0]), np.asarray(other[0][0]))  # noise changed them
    big = S.large_grid(sw, 0, noise_seed=5, train_seed=1, root=zoo.root)
    ck1 = load(zoo.root / sw.points[0].entry(1).file)
    assert np.array_equal(np.asarray(big), np.asarray(grid_image(sample(ck1.model, 64, 5), nrow=8, scale=3)))
    with pytest.raises(ValueError, match="training seed 7"):
        sw.points[0].entry(7)


def test_bad_sweep_ids_and_missing_reports(zoo):
    for bad in ("", "l1|x", "zz|none|none|generator|loss|10", "l1|none|none|generator|loss|ten"):
        with pytest.raises(ValueError, match="unknown sweep"):
            S.get_sweep(zoo, "gan", "shapes", bad)
    with pytest.raises(ValueError, match="no .* sweep"):
        S.get_sweep(zoo, "gan", "shapes", "group|none|none|generator|loss|10")
    assert "zoo is empty" in S.missing_report(ZooIndex(root=Path("/nowhere")), "gan", "mnist")
    assert "no sweep for Conditional GAN on shapes" in S.missing_report(zoo, "cgan", "shapes")
    report = S.missing_report(zoo, "gan", "shapes")
    assert "no elastic net" not in report and "only 1 regularized point" in report
    assert "no elastic net" in S.missing_report(zoo, "vae", "shapes")


def test_planned_missing_names_the_absent_entries(zoo):
    moved = ZooIndex(root=zoo.root, entries=[replace(e, dataset="mnist") for e in zoo.entries])
    lines = S.planned_missing(moved, "gan", "mnist")
    from normgen.zoo.spec import spec

    plan = [z for z in spec() if z.model == "gan" and z.dataset == "mnist"]
    present = sum(1 for z in plan if moved.find(model="gan", dataset="mnist", g_norm=z.g_norm, target=z.target,
                                                variant=z.variant, l1=z.l1, l2=z.l2, group=z.group, seed=z.seed))
    assert lines[0].startswith(f"- {len(plan) - present} of the {len(plan)} planned GAN entries on mnist")


def test_compare_view_values_and_validation(zoo):
    from normgen.app.tabs.compare import compute_view

    v = compute_view(zoo.root, "gan", "shapes", L1_ID, 3, 0, 1)
    assert v["point"] == 3 and len(v["strip"]) == 4 and v["seed"] == 1
    assert v["points"][0] == ("λ = 0 (baseline)", 0)
    assert v["grid"].size == (242 * 3, 242 * 3)
    with pytest.raises(ValueError, match="seed"):
        compute_view(zoo.root, "gan", "shapes", L1_ID, 0, -3, None)
    empty = compute_view(Path("/nowhere"), None, None, None, None, 0, None)
    assert empty["strip"] == [] and "zoo is empty" in empty["notes"]


def test_build_tabs_without_launching(zoo, tmp_path):
    import gradio as gr

    from normgen.app.tabs.compare import build_compare_tab
    from normgen.app.tabs.learn import build_learn_tab

    for root in (zoo.root, tmp_path / "empty"):
        with gr.Blocks() as demo:
            with gr.Tabs():
                build_compare_tab(root)
                build_learn_tab(root)
        ids = {getattr(b, "elem_id", None) for b in demo.blocks.values()}
        assert {"tab-compare", "tab-learn", "compare-strip", "compare-grid", "learn-md"} <= ids


# ----------------------------------------------------------------------------------------------
# Learn: sentences generated from the index


def _e(l1=0.0, l2=0.0, seed=0, fd=20.0, nz=4.0, zero=0.0, norm=10.0, ent=2.3, g_norm="none", model="gan",
       variant="loss", target=None, **metrics) -> Entry:
    part = "decoder" if model == "vae" else "generator"
    return Entry(id=f"{model}-{g_norm}-{variant}-{l1}-{l2}-{seed}", file="x.safetensors", model=model,
                 dataset="mnist", g_norm=g_norm, d_norm="none", target=target or part, variant=variant, l1=l1, l2=l2,
                 group=0.0, act=0.0, seed=seed, steps=100, device="cpu", wall_s=1.0, sha256="0", parts=[part],
                 metrics={"fd": fd, "class_entropy": ent, **metrics},
                 weights={part: {"near_zero_pct": nz, "zero_pct": zero, "l2": norm, "dead_filter_pct": 0.0}})


def _index(*entries: Entry) -> ZooIndex:
    return ZooIndex(root=Path("."), entries=list(entries), floors={"mnist": {"fd": 1.25}})


def test_learn_l1_sentences_come_from_the_index():
    idx = _index(_e(seed=0, fd=20.0, nz=4.0), _e(seed=1, fd=24.0, nz=4.4),
                 _e(l1=1e-4, fd=29.0, nz=68.0, zero=0.01), _e(l1=1e-3, fd=90.0, nz=95.0, ent=0.3, zero=0.02))
    text = findings.measured_markdown(idx)
    assert "Judge-FD floor (real training vs real test images): 1.25." in text
    assert ("L1 raised the near-zero weights from 4.2% (seeds 4.0-4.4%) at λ=0 to 68.0% at L1 λ=1e-4 "
            "(the largest λ before collapse); judge FD 22 (seeds 20-24) → 29 (outside the seed spread)") in text
    assert "at most 0.02% of the generator's weights are exactly 0" in text
    assert f"from L1 λ=1e-3 the samples collapse: class entropy 0.30 of a possible {math.log(10):.2f}" in text
    assert "| 1e-4 | 68.0 | 0.01 | 10 | 29 | 2.30 |" in text  # the axis table
    assert "L2 - GAN" in text.split("Not measured yet")[1]  # no L2 axis: said so, not invented


def test_learn_states_the_sample_count_behind_every_fd():
    from normgen.zoo.build import EVAL_N

    text = learn.learn_markdown(_index(_e(seed=0, fd=20.0, nz=4.0)))
    assert f"uses {EVAL_N:,} generated images, and the floor as many real ones" in text
    assert 'a ratio "FD / floor" means something only' in text


def test_learn_does_not_blame_lambda_for_a_collapsed_baseline():
    idx = _index(_e(ent=0.02), _e(l1=1e-3, ent=0.01, nz=90.0))
    text = findings.measured_markdown(idx)
    assert "the GAN baseline itself is collapsed (class entropy 0.02" in text
    assert "Breaking point" not in text and "before collapse" not in text


def test_plots_without_values_say_so():
    idx = _index(_e(fd=None), _e(l1=1e-4, fd=None))
    sw = S.list_sweeps(idx, "gan", "mnist")[0]
    fig = S.sweep_figures(sw)["quality"]
    assert any("no values" in t.get_text() for t in fig.axes[0].texts)


@pytest.mark.parametrize("best_fd, verdict", [(15.0, "the claim holds here"), (21.0, "the claim is not shown here"),
                                              (18.0, "below both baseline seeds (20 and 24) but by less"),
                                              (30.0, "the claim does not hold here")])
def test_learn_l2_verdict_follows_the_numbers(best_fd, verdict):
    idx = _index(_e(seed=0, fd=20.0), _e(seed=1, fd=24.0), _e(l2=1e-2, fd=best_fd, norm=5.0),
                 _e(l2=1e-1, fd=40.0, norm=2.0))
    text = findings.measured_markdown(idx)
    assert verdict in text
    assert "L2 λ=0.1 shrank the weight norm from 10 to 2 (5.0x smaller)" in text


def test_spread_verdicts_need_a_margin_beyond_two_seeds():
    a = findings.Stat([20.0, 24.0])
    assert [findings._versus_spread(a, v) for v in (22.0, 25.0, 17.0, 15.0, 29.0)] == [
        "inside", "near", "near", "outside", "outside"]
    idx = _index(_e(seed=0, fd=20.0), _e(seed=1, fd=24.0), _e(l1=1e-4, fd=26.0))
    assert "→ 26 (just outside the seed spread, by less than the seeds differ: not a clear effect)" in \
        findings.measured_markdown(idx)


def test_learn_vae_gap_says_when_the_test_elbo_fell():
    idx = _index(_e(model="vae", elbo_gap=0.002, elbo_test=-0.30),
                 _e(model="vae", l2=1e-2, elbo_gap=0.001, elbo_test=-0.35))
    text = findings.measured_markdown(idx)
    assert "so narrower here, but not by fitting unseen images better: the test ELBO fell (-0.3 → -0.35)." in text


def test_learn_vae_gap_and_reconstruction():
    idx = _index(_e(model="vae", rec_error=0.1, elbo_gap=0.02), _e(model="vae", l2=1e-1, rec_error=0.3, elbo_gap=0.005),
                 _e(model="vae", l1=1e-3, rec_error=0.25, nz=60.0))
    text = findings.measured_markdown(idx)
    assert "ELBO gap (train - test, nats per pixel; > 0 = fits training images better): 0.02 → 0.005" in text
    assert "so narrower here" in text
    assert "reconstruction error 0.1 → 0.25" in text


def test_learn_batchnorm_and_variants():
    idx = _index(_e(), _e(l2=1e-1, norm=2.0, fd=30.0),
                 _e(g_norm="batch", seed=0, fd=20.0, norm=12.0), _e(g_norm="batch", seed=1, fd=22.0, norm=12.0),
                 _e(g_norm="batch", l2=1e-1, fd=21.0, norm=1.5),
                 _e(variant="proximal", l1=1e-3, zero=55.5, fd=40.0))
    text = findings.measured_markdown(idx)
    assert ("GAN with BatchNorm in the generator, L2 λ=0.1: weight norm 12 → 1.5 (8.0x smaller), judge FD 21 "
            "(seeds 20-22) → 21 (inside the seed spread: not an effect). Without BatchNorm, the same λ: "
            "judge FD 20 → 30. The samples did not change beyond the seed spread.") in text
    moved = _index(_e(g_norm="batch", seed=0, fd=20.0), _e(g_norm="batch", seed=1, fd=22.0),
                   _e(g_norm="batch", l2=1e-1, fd=40.0, norm=1.5))
    assert "BatchNorm did not fully hide the penalty" in findings.measured_markdown(moved)
    assert "proximal L1 λ=1e-3: 55.5% of weights exactly zero" in text
    # the side-by-side table: every BatchNorm point beside the same λ without normalization
    assert "| penalty | BatchNorm: norm | BatchNorm: judge FD | no norm: norm | no norm: judge FD |" in text
    assert "| 0 (baseline) | 12 | 21 [20-22] | 10 | 20 |" in text
    assert "| L2 0.1 | 1.5 | 21 (inside) | 2 | 30 |" in text
    assert "| L2 0.1 | 1.5 | 40 (outside) | - | - |" in findings.measured_markdown(moved)


def test_learn_says_when_the_discriminator_penalty_zeroed_it():
    def with_d(e: Entry, target: str, d_norm: float) -> Entry:
        return replace(e, id=f"{e.id}-{target}", target=target,
                                   weights={**e.weights, "discriminator": {"l2": d_norm, "near_zero_pct": 1.0}})

    idx = _index(with_d(_e(seed=0, fd=20.0), "generator", 16.0), with_d(_e(seed=1, fd=24.0), "generator", 18.0),
                 with_d(_e(l2=1e-1, fd=90.0), "discriminator", 1e-6),
                 with_d(_e(l1=1e-3, fd=22.0), "discriminator", 6.0))
    text = findings.measured_markdown(idx)
    assert ("penalty on the discriminator, L2 λ=0.1: judge FD 22 (seeds 20-24) → 90 (outside the seed spread); "
            "discriminator weight norm 17 (seeds 16-18) → 1e-06 (with its weights at zero") in text
    assert ("penalty on the discriminator, L1 λ=1e-3: judge FD 22 (seeds 20-24) → 22 (inside the seed spread: "
            "not an effect); discriminator weight norm 17 (seeds 16-18) → 6.") in text


def test_learn_page_empty_and_units():
    text = learn.learn_markdown(ZooIndex(root=Path(".")))
    assert "The zoo is empty" in text
    assert "$$" in text and r"\lambda_1" in text
    from normgen.eval.metrics import NEAR_ZERO
    from normgen.regularizers import DECAY_SCALE

    assert f"{DECAY_SCALE:g}" in text and f"|w| < {NEAR_ZERO:g}" in text
    assert findings.pick_dataset(_index(_e())) == "mnist"


def test_learn_on_the_tiny_zoo(zoo):
    text = learn.learn_markdown(zoo)
    assert "What this zoo measured: Shapes (made offline)" in text
    sw = S.get_sweep(zoo, "gan", "shapes", "l2|none|none|generator|loss|10")
    n0 = np.mean([e.weights["generator"]["l2"] for e in sw.points[0].entries])
    n1 = sw.points[-1].entries[0].weights["generator"]["l2"]
    assert f"L2 λ={S.plots.fmt_lambda(L2S[-1])} shrank the weight norm from {n0:.3g}" in text
    assert f"({n0 / n1:.1f}x smaller)" in text
    enet = S.get_sweep(zoo, "gan", "shapes", "elastic|none|none|generator|loss|10").points[1].entries[0]
    assert (f"L1 1e-4, L2 1e-3: near-zero weights {enet.weights['generator']['near_zero_pct']:.1f}%, "
            f"weight norm {enet.weights['generator']['l2']:.3g}; L1 alone:") in text


def test_learn_decoupled_decay_and_group_lasso_give_norm_and_fd():
    idx = _index(_e(seed=0, fd=20.0, norm=10.0), _e(seed=1, fd=24.0, norm=10.0), _e(l2=1e-2, fd=30.0, norm=5.0),
                 _e(variant="decoupled", l2=1e-2, fd=900.0, norm=1.0),
                 replace(_e(fd=60.0), id="group", group=1e-2,
                         weights={"generator": {"l2": 4.0, "dead_filter_pct": 19.2, "near_zero_pct": 50.0}}))
    text = findings.measured_markdown(idx)
    assert ("GAN generator, L2 λ=1e-2: weight norm 1 and judge FD 900 with decoupled decay, 5 and 30 with L2 "
            "in the loss.") in text
    assert "group lasso λ=1e-2: dead filters 0.0% → 19.2%; judge FD 22 (seeds 20-24) → 60 (outside" in text
