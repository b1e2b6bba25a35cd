"""Explore's figures as inline SVG drawn from the numbers (no store, no background drawing), every pair the
controls reach drawn on its first view and reused after, the seed-noise reference, and the weight figure's
numbers being the index's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import product

import pytest
import torch
from conftest_browser import build_tiny_zoo

from normgen.engine.sampling import sample
from normgen.eval.compare import mean_pixel_change
from normgen.render import figures as plots
from normgen.service import explore_images as M
from normgen.service import explorer as X
from normgen.service import inputs as I
from normgen.service.requests import ExploreQuery
from normgen.service.zoo_access import get_index
from normgen.zoo.files import load_entry
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.select import Selection, noise_partner, select, zoo_choices
from normgen.zoo.views import explore_figures as F

ARGS = ("gan", "shapes", "none", 1e-4, 0.0, "generator", "loss", 3)


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp("fig-zoo")
    build_tiny_zoo(root)
    return str(root)


def reachable_pairs(index: ZooIndex) -> Iterator[tuple[Selection, Entry, Entry]]:
    """(selection, baseline, selected) of every setting the Explore controls can ask for, each pair once."""
    seen: set[tuple] = set()
    for model in zoo_choices(index)["model"]:
        for dataset in zoo_choices(index, model)["dataset"]:
            for size in zoo_choices(index, model, dataset)["train_size"]:
                c = zoo_choices(index, model, dataset, size)
                for g_norm, dropout, target, variant, l1, l2, loss in product(
                        c["g_norm"], c["dropout"], c["target"] or I.target_choices(model)[:1], c["variant"], c["l1"],
                        c["l2"], c.get("loss", ["ns"])):
                    s = select(index, ExploreQuery(model, dataset, g_norm, l1, l2, target, variant, train_size=size,
                                                   dropout=dropout, loss=loss))
                    if s.selected is not None and s.baseline is not None and (s.baseline.id, s.selected.id) not in seen:
                        seen.add((s.baseline.id, s.selected.id))
                        yield s, s.baseline, s.selected


def test_figures_are_svg_drawn_from_the_numbers_without_matplotlib(zoo, monkeypatch):
    def no_matplotlib(*a, **k):
        raise AssertionError("a figure was drawn with matplotlib")

    for name in ("weight_mechanism", "layer_norms", "class_histogram"):
        monkeypatch.setattr(plots, name, no_matplotlib)
    r = X.explore(ExploreQuery.parse(*ARGS), root=zoo)
    assert r.figures["weights"].startswith("<svg") and r.figures["layers"].startswith("<svg")
    index = get_index(zoo)
    sel = index.get(r.stats["selected"]["id"])
    stats = F.weight_stats(index, sel)["generator"]["layers"]
    # one pair of bars per layer of the penalized part, each bar's value the layer's L2 norm in the file
    shown = re.findall(r"<title>selected: ([^<]+)</title>", r.figures["layers"])
    assert shown == [f"{v['l2']:.3g}" for v in stats.values()]
    again = X.explore(ExploreQuery.parse(*ARGS[:-1], 4),
                      root=zoo)  # another noise seed: the same pair, the same figures
    assert again.figures == r.figures


def test_the_weight_figure_prints_the_index_statistics(zoo):
    index = get_index(zoo)
    sel = index.nearest(model="gan", dataset="shapes", l1=1e-3, l2=0.0, target="generator", variant="loss",
                        g_norm="none", train_size=0, group=0.0, act=0.0, dropout=0.0)
    r = X.explore(ExploreQuery.parse("gan", "shapes", "none", 1e-3, 0.0, "generator", "loss", 0), root=zoo)
    w = sel.weights["generator"]
    legend = f'>selected</text><text x="28" y="388">{w["near_zero_pct"]:.1f}% near 0, {w["zero_pct"]:.1f}% exactly 0<'
    assert legend in r.figures["weights"]
    assert torch.get_num_threads() >= 1


def test_the_controls_reach_each_pair_once(zoo):
    index = get_index(zoo)
    pairs = list(reachable_pairs(index))
    ids = {(b.id, s.id) for _, b, s in pairs}
    assert len(ids) == len(pairs) >= 8  # each pair once: the L1 and L2 points, the baselines, the elastic net
    r = X.explore(ExploreQuery.parse("vae", "shapes", "none", 0.0, 1e-1, "decoder", "loss", 0), root=zoo)
    assert (r.stats["baseline"]["id"], r.stats["selected"]["id"]) in ids


def test_seed_noise_reference_is_two_baseline_seeds_from_the_same_noise(zoo):
    r = X.explore(ExploreQuery.parse(*ARGS), root=zoo)
    index = get_index(zoo)
    base = index.get(r.stats["baseline"]["id"])
    other = noise_partner(index, base)
    assert other is not None and other.seed != base.seed and other.is_baseline
    xa = sample(load_entry(base, index.root).model, 64, 3)
    xb = sample(load_entry(other, index.root).model, 64, 3)
    assert r.stats["seed_noise"]["mean_pixel_change"] == pytest.approx(mean_pixel_change(xa, xb))
    assert r.stats["seed_noise"]["selected_mean_pixel_change"] == pytest.approx(r.stats["mean_abs_pixel_change"])
    assert r.image("noise") is not None and r.image("noise").size == r.image("diff").size


def test_every_pair_draws_on_its_first_view_and_nothing_on_the_next(zoo, monkeypatch):
    """No pass draws ahead of time: each pair the controls reach is sampled and drawn on its first view; a
    second view of it loads no checkpoint, samples nothing and draws no grid, with the same numbers."""
    from normgen.service.inputs import DEFAULT_SEED

    M.PNGS.files.clear()
    M.SAMPLES.clear()
    M.CHANGES.clear()
    first, views = {}, {}
    for _, _base, sel in reachable_pairs(get_index(zoo)):
        target = F.shown_parts(sel)[0] if sel.target != "both" else "both"
        q = ExploreQuery.parse(sel.model, sel.dataset, sel.g_norm, sel.l1, sel.l2, target, sel.variant, DEFAULT_SEED,
                               sel.train_size, sel.dropout)
        r = X.explore(q, root=zoo)
        if r.stats.get("selected", {}).get("id") != sel.id:
            continue  # a setting Explore reaches through another control
        assert all(X.png_path(r, name) for name in r.draw), sel.id
        first[sel.id], views[sel.id] = q, (r.headline, r.stats["mean_abs_pixel_change"])
    assert len(first) >= 4

    def nothing(*a, **k):
        raise AssertionError("a checkpoint was sampled or a grid drawn on a second view")

    M.SAMPLES.clear()  # even with the samples gone: the numbers and the files are what a view needs
    monkeypatch.setattr(M, "sample", nothing)
    monkeypatch.setattr(X, "grid_image", nothing)
    monkeypatch.setattr(plots, "heat_grid", nothing)
    for sid, q in first.items():
        r = X.explore(q, root=zoo)
        assert all(X.png_path(r, name) for name in r.draw), sid
        assert (r.headline, r.stats["mean_abs_pixel_change"]) == views[sid]


def test_pair_change_is_the_mean_pixel_change_of_the_two_sample_sets(zoo):
    index = get_index(zoo)
    base = index.baseline("gan", "shapes")
    other = next(e for e in index.entries if e.model == "gan" and e.id != base.id)
    want = mean_pixel_change(M.entry_samples(index, base, 16, 7), M.entry_samples(index, other, 16, 7))
    assert M.pair_change(index, base, other, 16, 7) == pytest.approx(want)
    assert M.pair_change(index, base, base, 16, 7) == 0.0
