"""Explore's figures drawn once and served from disk (normgen.service.figure_cache / prerender), the
seed-noise reference, and the weight figure's numbers being the index's."""

from __future__ import annotations

import pytest
import torch
from conftest_browser import build_tiny_zoo

from normgen.engine.sampling import sample
from normgen.eval.compare import mean_pixel_change
from normgen.render import figures as plots
from normgen.service import explorer as X
from normgen.service import figure_cache
from normgen.service.figure_cache import FigureStore
from normgen.service.inputs import get_index
from normgen.service.prerender import prerender, reachable_pairs
from normgen.zoo.index import load_entry

ARGS = ("gan", "shapes", "none", 1e-4, 0.0, "generator", "loss", 3)


@pytest.fixture
def store(tmp_path, monkeypatch):
    st = FigureStore(tmp_path / "figs")
    monkeypatch.setattr(figure_cache, "STORE", st)
    return st


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp("fig-zoo")
    build_tiny_zoo(root)
    return str(root)


def test_figures_are_drawn_once_then_read_from_disk(zoo, store, monkeypatch):
    first = X.explore(*ARGS, root=zoo)
    files = [first.figures[k] for k in ("weights", "layers")]
    assert all(f and f.startswith(str(store.folder)) for f in files)

    def no_drawing(*a, **k):
        raise AssertionError("a figure was drawn again")

    monkeypatch.setattr(plots, "weight_mechanism", no_drawing)
    monkeypatch.setattr(plots, "layer_norms", no_drawing)
    again = X.explore(*ARGS[:-1], 4, root=zoo)  # another noise seed: the same pair, the same files
    assert [again.figures[k] for k in ("weights", "layers")] == files


def test_prerender_draws_every_pair_explore_can_show(zoo, store):
    index = get_index(zoo)
    pairs = list(reachable_pairs(index))
    ids = {(b.id, s.id) for _, b, s in pairs}
    assert len(ids) == len(pairs) >= 8  # each pair once: the L1 and L2 points, the baselines, the elastic net
    out = prerender(zoo)
    assert out["pairs"] == len(pairs) and out["drawn"] >= 2 * len(pairs)
    assert all(not X.missing_figures(b, s, X.shown_parts(s)) for _, b, s in pairs)
    assert prerender(zoo)["drawn"] == 0  # the second pass finds every file
    # and every setting the controls can ask for is among them
    r = X.explore("vae", "shapes", "none", 0.0, 1e-1, "decoder", "loss", 0, root=zoo)
    assert (r.stats["baseline"]["id"], r.stats["selected"]["id"]) in ids


def test_figure_cache_off_draws_per_request_in_a_private_folder(zoo, store, monkeypatch):
    monkeypatch.setenv("NORMGEN_FIGURE_CACHE", "0")
    monkeypatch.setattr(X, "_PRIVATE_STORE", [])
    r = X.explore(*ARGS, root=zoo)
    assert r.figures["weights"] and not r.figures["weights"].startswith(str(store.folder))
    assert not list(store.folder.glob("*.png")) if store.folder.exists() else True


def test_the_store_prunes_the_oldest_files_and_old_versions(tmp_path):
    shared = tmp_path / f"{figure_cache.PREFIX}{figure_cache.VERSION}"
    (tmp_path / f"{figure_cache.PREFIX}1").mkdir()
    private = FigureStore(tmp_path / "normgen-figs-private")  # another folder beside them never deletes them
    private.folder.mkdir()
    private.prune()
    assert (tmp_path / f"{figure_cache.PREFIX}1").exists()
    st = FigureStore(shared, max_files=2)
    st.folder.mkdir()
    for i in range(4):
        (st.folder / f"{i}.png").write_bytes(b"x")
    assert st.prune() == 2 and len(list(st.folder.glob("*.png"))) == 2
    assert not (tmp_path / f"{figure_cache.PREFIX}1").exists() and shared.exists()


def test_seed_noise_reference_is_two_baseline_seeds_from_the_same_noise(zoo):
    r = X.explore(*ARGS, root=zoo)
    index = get_index(zoo)
    base = index.get(r.stats["baseline"]["id"])
    other = X.noise_partner(index, base)
    assert other is not None and other.seed != base.seed and other.is_baseline
    xa = sample(load_entry(base, index.root).model, 64, 3)
    xb = sample(load_entry(other, index.root).model, 64, 3)
    assert r.stats["seed_noise"]["mean_pixel_change"] == pytest.approx(mean_pixel_change(xa, xb))
    assert r.stats["seed_noise"]["selected_mean_pixel_change"] == pytest.approx(r.stats["mean_abs_pixel_change"])
    assert r.noise_image is not None and r.noise_image.size == r.diff_image.size


def test_the_weight_figure_prints_the_index_statistics(zoo, store, monkeypatch):
    got = {}
    real = plots.weight_mechanism

    def spy(a, b, labels, *, stats, **kw):
        got["stats"], got["n"] = stats, (a.numel(), b.numel())
        return real(a, b, labels, stats=stats, **kw)

    monkeypatch.setattr(plots, "weight_mechanism", spy)
    X.explore("gan", "shapes", "none", 1e-3, 0.0, "generator", "loss", 0, root=zoo)
    index = get_index(zoo)
    sel = index.nearest(model="gan", dataset="shapes", l1=1e-3, l2=0.0, target="generator", variant="loss",
                        g_norm="none", train_size=0, group=0.0, act=0.0, dropout=0.0)
    assert got["stats"][1]["near_zero_pct"] == pytest.approx(sel.weights["generator"]["near_zero_pct"])
    assert got["stats"][1]["zero_pct"] == pytest.approx(sel.weights["generator"]["zero_pct"])
    assert got["n"][1] == sel.weights["generator"]["n"]
    assert torch.get_num_threads() >= 1
