"""The Compare / sweep service and the Learn text, against a tiny zoo with real checkpoint files
(tests/conftest_browser.py) and against hand-written indexes whose verdicts are known."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest_browser import L1S, L2S, build_small_zoo, build_tiny_zoo, fake_fd

from normgen.app.tabs import learn
from normgen.checkpoints import load
from normgen.engine.sampling import sample
from normgen.models import family
from normgen.render.grids import grid_image
from normgen.service.requests import CompareQuery
from normgen.words import fmt_lambda, fmt_num
from normgen.zoo import findings, small_data, verdicts
from normgen.zoo import sweep_view as V
from normgen.zoo import sweeps as S
from normgen.zoo.index import Entry, ZooIndex, load_index
from normgen.zoo.readings import metric, spread, weight_stat
from normgen.zoo.verdicts import Stat, versus_spread

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
    fig = V.sweep_figures(enet)["quality"]
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
    fds = V.values(sw, lambda e: metric(e, "fd"))
    assert fds == [[fake_fd(0, 0, 0), fake_fd(0, 0, 1)], [fake_fd(L1S[0], 0, 0)],
                   [fake_fd(L1S[1], 0, 0), fake_fd(L1S[1], 0, 1)], [fake_fd(L1S[2], 0, 0)]]
    nz = V.values(sw, lambda e: weight_stat(e, "generator", "near_zero_pct"))
    ref = [[e.weights["generator"]["near_zero_pct"] for e in p.entries] for p in sw.points]
    assert nz == ref
    assert nz[-1][0] > nz[0][0]  # soft-thresholding made weights near zero
    md = V.point_markdown(sw, 2)
    mean = (fake_fd(L1S[1], 0, 0) + fake_fd(L1S[1], 0, 1)) / 2
    assert f"| judge FD (lower = better) | {mean:.3g} (2 seeds:" in md
    with pytest.raises(ValueError, match="point index"):
        V.point_markdown(sw, 9)
    figs = V.sweep_figures(sw, 1, zoo.floors)
    assert set(figs) == {"sparsity", "norm", "quality", "extra"}
    assert figs["quality"].axes[0].get_title() == "Sample quality"


def test_strip_is_the_checkpoints_samples_from_one_noise(zoo):
    sw = S.get_sweep(zoo, "gan", "shapes", L1_ID)
    strip = S.strip(sw, noise_seed=5, root=zoo.root)
    assert [c.split(" · ")[0] for _, c in strip] == ["λ = 0", "L1 1e-5", "L1 1e-4", "L1 1e-3"]
    assert strip[2][1] == f"L1 1e-4 · FD {fmt_num(fake_fd(L1S[1], 0, 0))}"
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
    assert "no sweep for Conditional GAN on Shapes (made offline)" in S.missing_report(zoo, "cgan", "shapes")
    report = S.missing_report(zoo, "gan", "shapes")
    assert "no elastic net" not in report and "only 1 regularized point" in report
    assert "no elastic net" in S.missing_report(zoo, "vae", "shapes")


def test_planned_missing_names_the_absent_entries(zoo):
    moved = ZooIndex(root=zoo.root, entries=[replace(e, dataset="mnist") for e in zoo.entries])
    lines = S.planned_missing(moved, "gan", "mnist")
    from normgen.zoo.spec import spec

    plan = [z for z in spec() if z.model == "gan" and z.dataset == "mnist"]
    present = sum(1 for z in plan if moved.find(model="gan", dataset="mnist", g_norm=z.g_norm, target=z.target,
                                                variant=z.variant, l1=z.l1, l2=z.l2, group=z.group, seed=z.seed,
                                                train_size=z.train_size, dropout=z.dropout))
    assert lines[0].startswith(f"- {len(plan) - present} of the {len(plan)} planned GAN entries on MNIST digits")


def test_compare_view_values_and_validation(zoo):
    from normgen.app.tabs.compare import compute_view

    v = compute_view(zoo.root, CompareQuery.parse("gan", "shapes", L1_ID, 3, 0, 1))
    assert v["point"] == 3 and len(v["strip"]) == 4 and v["seed"] == 1
    assert v["points"][0] == ("λ = 0 (baseline)", 0)
    assert v["grid"].size == (242 * 3, 242 * 3)
    sw = S.get_sweep(zoo, "gan", "shapes", L1_ID)
    assert "GAN on Shapes (made offline), " in V.point_markdown(sw, 3)  # the dataset's name, never its id
    with pytest.raises(ValueError, match="seed"):
        CompareQuery.parse("gan", "shapes", L1_ID, 0, -3, None)
    assert CompareQuery.parse("gan", "shapes", L1_ID, "3", None, "x") == CompareQuery("gan", "shapes", L1_ID, 3)
    empty = compute_view(Path("/nowhere"), CompareQuery())
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
            "(the largest λ before collapse); judge FD 22 (seeds 20-24) → 29 (outside the seed spread of 2 "
            "seeds)") in text
    assert "at most 0.02% of the generator's weights are exactly 0" in text
    assert f"from L1 λ=1e-3 the samples collapse: class entropy 0.30 of a possible {math.log(10):.2f}" in text
    assert "| 1e-4 | 68.0 | 0.01 | 10 | 29 | 2.30 |" in text  # the axis table
    assert "L2 - GAN" in text.split("Not measured yet")[1]  # no L2 axis: said so, not invented


def test_learn_states_the_sample_count_behind_every_fd():
    from normgen.zoo.judges import EVAL_N

    text = learn.learn_markdown(_index(_e(seed=0, fd=20.0, nz=4.0)))
    assert f"features\nof generated and of real test images (lower is better), from {EVAL_N:,} of each" in text


def test_learn_does_not_blame_lambda_for_a_collapsed_baseline():
    idx = _index(_e(ent=0.02), _e(l1=1e-3, ent=0.01, nz=90.0))
    text = findings.measured_markdown(idx)
    assert "the GAN baseline itself is collapsed (class entropy 0.02" in text
    assert "Breaking point" not in text and "before collapse" not in text


def test_plots_without_values_say_so():
    idx = _index(_e(fd=None), _e(l1=1e-4, fd=None))
    sw = S.list_sweeps(idx, "gan", "mnist")[0]
    fig = V.sweep_figures(sw)["quality"]
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
    a = Stat([20.0, 24.0])
    assert [versus_spread(a, v) for v in (22.0, 25.0, 17.0, 15.0, 29.0)] == [
        "inside", "near", "near", "outside", "outside"]
    idx = _index(_e(seed=0, fd=20.0), _e(seed=1, fd=24.0), _e(l1=1e-4, fd=26.0))
    assert ("→ 26 (just outside the seed spread of 2 seeds, by less than the seeds or noise draws differ: not a clear "
            "effect)") in findings.measured_markdown(idx)


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
            "(seeds 20-22) → 21 (inside the seed spread of 2 seeds: not an effect). Without BatchNorm, the same λ: "
            "judge FD 20 → 30 (1 seed of the baseline: no seed spread to judge by). The samples did not change beyond "
            "the seed spread.") in text
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
    """The files store the generator only: the discriminator's norms are its trained figures, and say so."""
    def with_d(e: Entry, target: str, d_norm: float) -> Entry:
        return replace(e, id=f"{e.id}-{target}", target=target,
                       extra={"trained_weights": {"discriminator": {"l2": d_norm, "near_zero_pct": 1.0}}})

    idx = _index(with_d(_e(seed=0, fd=20.0), "generator", 16.0), with_d(_e(seed=1, fd=24.0), "generator", 18.0),
                 with_d(_e(l2=1e-1, fd=90.0), "discriminator", 1e-6),
                 with_d(_e(l1=1e-3, fd=22.0), "discriminator", 6.0))
    text = findings.measured_markdown(idx)
    assert ("penalty on the discriminator, L2 λ=0.1: judge FD 22 (seeds 20-24) → 90 (outside the seed spread of 2 "
            "seeds); "
            "discriminator weight norm 17 (seeds 16-18) → 1e-06 (of the trained weights: these files store only the "
            "generator) (with its weights at zero") in text
    assert ("penalty on the discriminator, L1 λ=1e-3: judge FD 22 (seeds 20-24) → 22 (inside the seed spread of 2 "
            "seeds: not an effect); discriminator weight norm 17 (seeds 16-18) → 6 (of the trained weights") in text


def test_learn_page_empty_and_units():
    text = learn.learn_markdown(ZooIndex(root=Path(".")))
    assert "The zoo is empty" in text
    assert "$$" in text and r"\lambda_1" in text
    from normgen.eval.metrics import NEAR_ZERO
    from normgen.regularizers import DECAY_SCALE

    assert f"{DECAY_SCALE:g}" in text and f"|w| < {NEAR_ZERO:g}" in text
    assert findings.pick_dataset(_index(_e())) == "mnist"


def test_learn_on_the_tiny_zoo(zoo):
    assert "What this zoo measured: Shapes (made offline)" in learn.learn_markdown(zoo)
    text = findings.measured_markdown(zoo)  # the full text (the Learn page shows it as pictures)
    assert "What this zoo measured: Shapes (made offline)" in text
    sw = S.get_sweep(zoo, "gan", "shapes", "l2|none|none|generator|loss|10")
    n0 = np.mean([e.weights["generator"]["l2"] for e in sw.points[0].entries])
    n1 = sw.points[-1].entries[0].weights["generator"]["l2"]
    assert f"L2 λ={fmt_lambda(L2S[-1])} shrank the weight norm from {n0:.3g}" in text
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


# ----------------------------------------------------------------------------------------------
# small training sets: sweeps keyed by size and dropout, generalization plots, Learn's verdicts


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> ZooIndex:
    root = tmp_path_factory.mktemp("small")
    build_small_zoo(root)
    return load_index(root)


def _series(fig) -> dict[str, list[float]]:
    """The mean of each point, per legend label, of a metric_vs_lambda figure."""
    ax = fig.axes[0]
    return {c.get_label(): list(c.lines[0].get_ydata()) for c in ax.containers}


def test_small_data_sweeps_are_keyed_by_size_and_dropout(small, zoo):
    ids = {s.key.id: s for s in S.list_sweeps(small, "vae", "shapes")}
    full = {"l1|none|none|decoder|loss|10", "l2|none|none|decoder|loss|10"}
    assert set(ids) == full | {"l2|none|none|decoder|loss|10|n300", "l1|none|none|decoder|loss|10|n300",
                               "dropout|none|none|decoder|loss|10|n300", "l2|none|none|decoder|loss|10|n300|do0.2",
                               "l2|none|none|decoder|loss|10|n2000"}
    for sid, sw in ids.items():  # same step count everywhere: only train_size keeps the blocks apart
        sizes = {e.train_size for p in sw.points for e in p.entries}
        assert sizes == {sw.key.train_size}, (sid, sizes)
        assert S.SweepKey.parse(sid) == sw.key
    l2 = ids["l2|none|none|decoder|loss|10|n300"]
    assert l2.key.label() == "L2 axis on the decoder, in the loss, 300 training images, 10 steps"
    assert [p.label() for p in l2.points] == ["λ = 0 (baseline)", "L2 1e-4", "L2 1e-3"]
    assert [p.seeds for p in l2.points] == [[0, 1, 2]] * 3 and l2.has_baseline
    assert ids["l2|none|none|decoder|loss|10|n2000"].key.label().endswith("2,000 training images, 10 steps")
    drop = ids["dropout|none|none|decoder|loss|10|n300"]
    assert drop.key.label() == "dropout rate axis (no weight penalty), 300 training images, 10 steps"
    assert [p.label() for p in drop.points] == ["λ = 0 (baseline)", "dropout 0.2", "dropout 0.5"]
    assert drop.x_labels() == ["baseline", "0.2", "0.5"] and drop.has_baseline
    both = ids["l2|none|none|decoder|loss|10|n300|do0.2"]  # L2 on top of dropout: dropout alone is its reference
    assert [p.label() for p in both.points] == ["dropout 0.2", "dropout 0.2, L2 1e-3"] and both.has_baseline
    assert "dropout 0.2 in every point" in both.key.label()
    gan = {s.key.id for s in S.list_sweeps(small, "gan", "shapes")}
    assert {"l2|none|none|discriminator|loss|10|n300", "dropout|none|none|discriminator|loss|10|n300"} <= gan
    for bad in ("l2|none|none|decoder|loss|10|x300", "l2|none|none|decoder|loss|10|n300|n300",
                "l2|none|none|decoder|loss|10|n300|do0.2|z"):
        with pytest.raises(ValueError, match="unknown sweep"):
            S.get_sweep(small, "vae", "shapes", bad)
    # the full-data sweeps read exactly as in a zoo without a small-data block
    for model in ("gan", "vae"):
        assert S.sweep_choices(small, model, "shapes")[:len(S.sweep_choices(zoo, model, "shapes"))] == \
            S.sweep_choices(zoo, model, "shapes")
        for _, sid in S.sweep_choices(zoo, model, "shapes"):
            a, b = S.get_sweep(zoo, model, "shapes", sid), S.get_sweep(small, model, "shapes", sid)
            assert [c for _, c in S.strip(a, root=zoo.root)] == [c for _, c in S.strip(b, root=small.root)]
            assert [V.point_markdown(a, i) for i in range(len(a.points))] == \
                [V.point_markdown(b, i) for i in range(len(b.points))]
            assert set(V.sweep_figures(b)) == {"sparsity", "norm", "quality", "extra"}
    assert S.sweep_choices(small, "gan", "shapes")[0][1] == L1_ID  # the default sweep is still the full-data L1 axis


def test_small_data_plots_carry_the_generalization_series(small):
    from conftest_browser import fake_gan_small, fake_vae_small

    px = 28 * 28
    sw = S.get_sweep(small, "vae", "shapes", "l2|none|none|decoder|loss|10|n300")
    figs = V.sweep_figures(sw, 1)
    assert {"fit", "gap", "copying", "memorization"} <= set(figs)
    mean = lambda key, l2: np.mean([fake_vae_small(0, l2, 0, s)[key] * px for s in (0, 1, 2)])  # noqa: E731
    fit = _series(figs["fit"])
    assert np.allclose(fit["training images"], [mean("elbo_train", v) for v in (0, 1e-4, 1e-3)])
    assert np.allclose(fit["held-out images"], [mean("elbo_test", v) for v in (0, 1e-4, 1e-3)])
    assert np.allclose(_series(figs["gap"])["ELBO gap (nats/image)"], [mean("elbo_gap", v) for v in (0, 1e-4, 1e-3)])
    mem = _series(figs["memorization"])["nearest image is a training image"]
    assert np.allclose(mem, [np.mean([fake_vae_small(0, v, 0, s)["memorization_pct"] for s in (0, 1, 2)])
                             for v in (0, 1e-4, 1e-3)])
    ax = figs["gap"].axes[0]  # the error bar of the baseline spans its three seeds
    segs = [c for c in ax.collections if hasattr(c, "get_segments")][0].get_segments()
    spans = [(round(min(s[:, 1]), 6), round(max(s[:, 1]), 6)) for s in segs]
    base = [fake_vae_small(0, 0, 0, s)["elbo_gap"] * px for s in (0, 1, 2)]
    assert (round(min(base), 6), round(max(base), 6)) in spans
    assert "min-max over seeds" in ax.get_xlabel()
    md = V.point_markdown(sw, 2)
    gaps = [fake_vae_small(0, 1e-3, 0, s)["elbo_gap"] * px for s in (0, 1, 2)]
    assert f"| ELBO gap (nats/image) | {spread(gaps)} |" in md
    assert "| pixel NN share % (blur raises it; not copying) |" in md
    assert "300 training images" in md
    assert "| IWAE k=64 held-out (nats/image) |" in md and "| near-copies % (real data: 1%) |" in md
    iw = _series(figs["fit"])["IWAE k=64, held-out"]  # the IWAE bound beside the ELBO, from the index
    assert np.allclose(iw, [np.mean([fake_vae_small(0, v, 0, s)["iwae_test"] * px for s in (0, 1, 2)])
                            for v in (0, 1e-4, 1e-3)])
    near = _series(figs["copying"])["nearer a training image than 99% of new real images"]
    assert np.allclose(near, [np.mean([fake_vae_small(0, v, 0, s)["near_copy_pct"] for s in (0, 1, 2)])
                              for v in (0, 1e-4, 1e-3)])
    gan = S.get_sweep(small, "gan", "shapes", "dropout|none|none|discriminator|loss|10|n300")
    gf = V.sweep_figures(gan)
    assert np.allclose(_series(gf["gap"])["D gap (logit)"],
                       [np.mean([fake_gan_small(0, d, s)["d_gap"] for s in (0, 1, 2)]) for d in (0, 0.3)])
    assert set(_series(gf["fit"])) == {"training images", "held-out images"}
    assert gf["quality"].axes[0].get_xlabel().startswith("dropout rate in the discriminator")


def test_compare_view_shows_the_generalization_plots_only_for_small_data(small):
    from normgen.app.tabs.compare import GEN_PLOTS, compute_view

    v = compute_view(small.root, CompareQuery("vae", "shapes", "dropout|none|none|decoder|loss|10|n300", 1, 2))
    assert all(v[k] is not None for k in GEN_PLOTS) and v["seed"] == 2 and len(v["strip"]) == 3
    assert [c.split(" · ")[0] for _, c in v["strip"]] == ["λ = 0", "dropout 0.2", "dropout 0.5"]
    assert "dropout in the encoder and decoder" in v["table"]
    full = compute_view(small.root, CompareQuery("vae", "shapes", "l2|none|none|decoder|loss|10"))
    assert all(full[k] is None for k in GEN_PLOTS)


def test_effect_beyond_or_within_the_seed_spread():
    E = verdicts.Effect
    assert not E(Stat([1.0, 2.0, 3.0]), Stat([1.5, 2.5, 3.5])).beyond  # the ranges overlap
    assert E(Stat([1.0, 2.0, 3.0]), Stat([10.0, 11.0])).beyond
    apart = E(Stat([1.0, 3.0]), Stat([3.5, 3.6]))  # apart, but the means differ by 1.55 < the spread 2
    assert not apart.beyond and apart.direction(True) == 0
    assert apart.words("higher", "lower") == "higher by 1.55, within the seed spread of 2 (2 seeds each)"
    assert E(Stat([1.0, 2.0, 3.0]), Stat([10.0, 11.0])).words("wider", "narrower", " nats") == \
        "wider by 8.5 nats, beyond the seed spread of 2 nats (3 and 2 seeds)"
    one = E(Stat([1.0]), Stat([5.0]))  # one baseline seed: no spread, no verdict words
    assert not one.measurable and not one.beyond and one.words("higher", "lower") == "higher by 4"
    assert E(Stat([1.0, 2.0]), Stat([5.0])).measurable  # a one-seed point against a two-seed baseline
    assert E(Stat([5.0, 6.0]), Stat([1.0, 1.5])).direction(higher_is_better=False) == 1


def test_learn_small_data_sentences_follow_the_seed_spread(small):
    text = small_data.small_data_markdown(small)
    assert text.startswith("## Where regularization helps: small training sets")
    for title in ("### VAE, 300 training images", "### VAE, 2,000 training images", "### GAN, 300 training images",
                  "### Against all training images: VAE"):
        assert title in text
    line = {ln.split(" (3 seeds)")[0][2:]: ln for ln in text.splitlines() if ln.startswith("- ")}
    l2 = line["decoder L2 λ=1e-3"]  # the held-out ELBO rose by 0.02 x 784 against seeds 0.004 x 784 apart
    assert "held-out ELBO -154 (seeds -156 to -153) → -139 (seeds -140 to -137) nats/image, higher (better) by " \
           "15.7 nats/image, beyond the seed spread of 3.14 nats/image (3 seeds each)" in l2
    assert l2.endswith("**held**: the held-out ELBO improved beyond the seed spread.")
    small_l2 = line["decoder L2 λ=1e-4"]  # +1.57 against 3.14: within
    assert "higher (better) by 1.57 nats/image, within the seed spread of 3.14 nats/image" in small_l2
    assert small_l2.endswith("**not shown (within the seed spread)**: every difference is within the seed spread.")
    assert line["decoder L1 λ=1e-4"].endswith(
        "**partly**: the train - held-out ELBO gap narrowed beyond the seed spread, but the held-out ELBO changed by "
        "less than the seed spread.")
    drop = line["dropout 0.2 in the encoder and decoder"]  # narrower gap, worse held-out ELBO: the claim failed
    assert "narrower by 15.7 nats/image, beyond the seed spread of 7.84 nats/image" in drop
    assert drop.endswith("**did not hold (worse beyond the seed spread)**: the held-out ELBO got worse beyond the "
                         "seed spread.")
    assert line["dropout 0.2 in the encoder and decoder + decoder L2 λ=1e-3"].endswith("**held**: the held-out ELBO "
                                                                                     "improved beyond the seed spread.")
    assert line["discriminator L2 λ=1e-3"].endswith("**not shown (within the seed spread)**: every difference is "
                                                    "within the seed spread.")
    assert "narrower by 0.005, within the seed spread of 0.2" in line["discriminator L2 λ=1e-3"]
    assert line["dropout 0.3 in the discriminator"].endswith("**held**: the discriminator gap narrowed beyond the "
                                                             "seed spread.")
    assert ("Held for decoder L2 λ=1e-3, dropout 0.2 in the encoder and decoder + decoder L2 λ=1e-3. Partly for "
            "decoder L1 λ=1e-4. Did not hold (worse beyond the seed spread) for dropout 0.2 in the encoder and "
            "decoder, dropout 0.5 in the encoder and decoder.") in text
    # the contrast: on all images the same L2 lowers the held-out ELBO; the baseline's gap straddles 0
    assert ("VAE on all training images (10 steps, 2 seeds): baseline train - held-out ELBO gap -0.588 (seeds -0.784 "
            "to -0.392) nats/image, against 74.5 (seeds 70.6-78.4) nats/image on 300 training images; 25.1 (seeds "
            "21.2-29) nats/image on 2,000 training images. At least one seed has no gap at all") in text
    assert ("- The same decoder L2 λ=1e-3 on all training images (1 seed): held-out ELBO -110 → -114 nats/image, "
            "lower (worse) by 3.88 nats/image, beyond the seed spread of 0.0784 nats/image (2 and 1 seed): **did not "
            "hold") in text
    assert "GAN on all training images: the index has no discriminator gap for its baseline" in text
    assert "Not built yet" not in text
    page = learn.learn_markdown(small)
    assert page.index("## Where regularization helps") < page.index("## What this zoo measured")


def test_learn_says_how_to_build_a_missing_small_data_block(zoo):
    text = learn.learn_markdown(zoo)
    assert "The small-data block of the zoo has not been built yet" in text
    assert small_data.build_command() in text and "300 or 2,000 training images, 3 seeds a setting" in text
    assert small_data.missing_blocks(zoo) == ["VAE on 300 training images", "VAE on 2,000 training images",
                                               "GAN on 300 training images"]


def test_small_data_never_mixes_into_the_full_data_findings(small):
    """The small block's baselines are not full-data seeds: the full-data sections read the same without it."""
    full = ZooIndex(root=small.root, entries=[e for e in small.entries if not e.train_size], floors=small.floors)
    assert findings.measured_markdown(small) == findings.measured_markdown(full)


def test_confident_pct_comes_with_coverage_and_collapse_is_named(zoo):
    sw = S.get_sweep(zoo, "gan", "shapes", L1_ID)
    collapsed = V.point_markdown(sw, 3)  # the tiny zoo's L1 1e-3: one class takes almost every sample
    assert "Mode collapse: the samples cover 1." in collapsed and "not that the samples are good" in collapsed
    assert "Mode collapse" not in V.point_markdown(sw, 1)
    idx = _index(_e(seed=0, confident_pct=80.0), _e(seed=1, confident_pct=82.0),
                 _e(l2=1e-1, norm=2.0, ent=0.1, confident_pct=100.0))
    text = findings.measured_markdown(idx)
    assert ("Samples the judge is confident about: 81.0% (seeds 80.0-82.0%) (class entropy 2.30 of a possible 2.30, "
            "as spread as 10.0 of 10 classes) at λ=0, 100.0% (class entropy 0.10 of a possible 2.30, as spread as 1.1 "
            "of 10 classes: mode collapse) at L2 λ=0.1. The higher confidence is no sign of quality") in text


# ----------------------------------------------------------------------------------------------
# Compare in the shareable link (normgen.service.links)


def test_compare_link_fragment_and_page_load_restore_the_view(zoo):
    from urllib.parse import parse_qsl

    import gradio as gr

    from normgen.app.tabs import compare
    from normgen.service import links

    frag = compare.query_fragment(CompareQuery("gan", "shapes", L1_ID, 3, 1, 7))
    assert frag == f"compare_model=gan&compare_dataset=shapes&compare_sweep={L1_ID}&compare_point=3&compare_seed=1" \
        "&compare_noise=7"
    load = compare.make_load_fn(zoo.root)
    assert all(u is not None and isinstance(u, dict) for u in load({"model": "vae"}))  # no compare_ key: all skips
    with gr.Blocks():
        with gr.Tabs():
            tab = compare.build_compare_tab(zoo.root)
    q = links.parse_page_query(dict(parse_qsl(frag)))
    ups = load(q)
    assert len(ups) == len(tab.load_outputs())
    assert ups[0]["value"] == "gan" and ups[2]["value"] == L1_ID and ups[3] == 7
    names = dict(zip(compare.OUTPUT_NAMES, ups[4:], strict=True))
    assert names["point"]["value"] == 3 and names["seed"]["value"] == 1
    assert names["query"] == frag  # the restored view writes the same fragment back
    bad = load(links.parse_page_query({"compare_model": "gan", "compare_sweep": "no-such-sweep"}))
    assert dict(zip(compare.OUTPUT_NAMES, bad[4:], strict=True))["query"].startswith("compare_model=gan")


@pytest.mark.skipif(not (Path(__file__).resolve().parents[2] / "checkpoints" / "index.json").is_file(),
                    reason="the shipped zoo is not in this checkout")
def test_compare_sweeps_lambda_cyc_for_the_cycle_gan():
    from normgen.app.tabs import compare as C
    from normgen.zoo.views import cycle_sweep as CS

    root = str(Path(__file__).resolve().parents[2] / "checkpoints")
    index = load_index(root)
    models, *_ = C.selection(index)
    assert models[-1] == "cyclegan" and family("cyclegan").translates  # a translator's sweep, listed last
    lams = ", ".join(f"{lam:g}" for lam, _ in CS.axis(index, "cyclegan", "mnist"))
    assert C.sweep_choices(index, "cyclegan", "mnist") == [(f"λ_cyc axis ({lams}) and the cycle norm L1 vs squared L2",
                                                            CS.SWEEP_ID)]
    out = C._view(root, CompareQuery("cyclegan", "mnist", CS.SWEEP_ID))
    assert set(out) == set(C.OUTPUT_NAMES)
    assert out["cycle_column"]["visible"] and not out["sweep_column"]["visible"] and not out["seed"]["visible"]
    assert len(out["cycle_strip"]) == 4 and out["cycle_axis"] == CS.axis_table(index, "cyclegan", "mnist")
    assert "squared L2 vs L1" in out["cycle_norm"] and out["query"].startswith("compare_model=cyclegan")
    base = CS.baseline_lam(index, "cyclegan", "mnist")
    assert f"at λ_cyc {base:g}: L1" in out["cycle_norm_title"] and f"(λ_cyc {base:g})" in out["cycle_axis_title"]
    assert all(out[f"cycle_{k}"].count("<picture><source ") == 1 for k in CS.PLOTTED)  # served, with phone variants
    # the sample-grid sweeps show their own column again
    back = C._view(root, CompareQuery("gan", "mnist", S.sweep_choices(index, "gan", "mnist")[0][1]))
    assert back["sweep_column"]["visible"] and not back["cycle_column"]["visible"]
    # a link opens the cycle sweep
    loaded = C.make_load_fn(root)({"compare_model": "cyclegan", "compare_sweep": "cycle"})
    assert loaded[0]["value"] == "cyclegan" and loaded[2]["value"] == CS.SWEEP_ID


@pytest.mark.skipif(not (Path(__file__).resolve().parents[2] / "checkpoints" / "index.json").is_file(),
                    reason="the shipped zoo is not in this checkout")
def test_the_cycle_sections_numbers_are_read_from_the_index():
    """Steps, held-out images and the baseline's λ_cyc come from the entries (a zoo rebuilt another way reads
    another way), and the inputs from the pictures' and the checkpoint's own counts, never typed in the text."""
    from normgen.app.tabs import compare as C
    from normgen.app.tabs import translate
    from normgen.models.cyclegan import PROBE
    from normgen.zoo.views import cycle_sweep as CS
    from normgen.zoo.views import translation_view as TV

    root = Path(__file__).resolve().parents[2] / "checkpoints"
    shipped = load_index(root)
    words = CS.texts(shipped, "cyclegan", "mnist", root)
    steps = {e.steps for e in shipped.entries if e.model == "cyclegan"}
    n = {e.metrics["n"] for e in shipped.entries if e.model == "cyclegan"}
    assert len(steps) == len(n) == 1
    assert f"{steps.pop():,} steps" in words["intro"] and f"{int(n.pop()):,} held-out digits" in words["intro"]
    assert f"the same {CS.ROWS} inputs (from the {PROBE} thin" in words["intro"]
    other = [replace(e, steps=e.steps + 200, metrics={**e.metrics, "n": 1234}) if e.model == "cyclegan" else e
             for e in shipped.entries]
    rebuilt = ZooIndex(root=root, entries=other, floors=shipped.floors)
    words = CS.texts(rebuilt, "cyclegan", "mnist", root)
    assert "500 steps" in words["intro"] and "1,234 held-out digits" in words["intro"]
    assert words["axis_title"].endswith("1,234 held-out digits")
    view = C.cycle_view(str(root), CompareQuery("cyclegan", "mnist", CS.SWEEP_ID))
    shown = CS.texts(shipped, "cyclegan", "mnist", root)
    assert all(view[f"cycle_{k}"] == C.explain(shown[k]) for k in C.CYCLE_TEXTS)
    # Translate's heading reads the count the same way, from the entries it lists
    assert TV.scored_on([e for e in rebuilt.entries if e.model == "cyclegan"]) == "1,234 held-out digits"
    from normgen.service.requests import TranslateQuery

    assert f"from the {PROBE} thin training digits its checkpoint keeps" in translate.view(
        str(root), TranslateQuery(""))["caption"]
