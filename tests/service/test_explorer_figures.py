"""Explore's figures drawn once and served from disk (normgen.service.figure_cache / prerender), the
seed-noise reference, and the weight figure's numbers being the index's."""

from __future__ import annotations

import pytest
import torch
from conftest_browser import build_tiny_zoo

from normgen.engine.sampling import sample
from normgen.eval.compare import mean_pixel_change
from normgen.render import figures as plots
from normgen.service import explore_figures as F
from normgen.service import explore_images as M
from normgen.service import explorer as X
from normgen.service import figure_cache
from normgen.service.figure_cache import FigureStore
from normgen.service.prerender import prerender, reachable_pairs
from normgen.service.zoo_access import get_index
from normgen.zoo.files import load_entry

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
    # the figures the page shows as pictures (its weight histogram is SVG, drawn in the page per slice)
    assert out["pairs"] == len(pairs) and out["drawn"] >= len(pairs)
    assert all(not F.missing_figures(b, s, F.shown_parts(s), F.PAGE_FIGURES) for _, b, s in pairs)
    assert prerender(zoo)["drawn"] == 0  # the second pass finds every file
    # and every setting the controls can ask for is among them
    r = X.explore("vae", "shapes", "none", 0.0, 1e-1, "decoder", "loss", 0, root=zoo)
    assert (r.stats["baseline"]["id"], r.stats["selected"]["id"]) in ids


def test_figure_cache_off_draws_per_request_in_a_private_folder(zoo, store, monkeypatch):
    monkeypatch.setenv("NORMGEN_FIGURE_CACHE", "0")
    monkeypatch.setattr(F, "_PRIVATE_STORE", [])
    r = X.explore(*ARGS, root=zoo)
    assert r.figures["weights"] and not r.figures["weights"].startswith(str(store.folder))
    assert not list(store.folder.glob("*.png")) if store.folder.exists() else True


def test_the_store_prunes_its_oldest_files_and_nothing_beside_it(tmp_path):
    beside = tmp_path / "normgen-figures-v1"  # another process's folder (or an older version's)
    beside.mkdir()
    (beside / "theirs.png").write_bytes(b"x")
    st = FigureStore(tmp_path / "mine", max_files=2)
    st.folder.mkdir()
    for i in range(4):
        (st.folder / f"{i}.png").write_bytes(b"x")
    assert st.prune() == 2 and len(list(st.folder.glob("*.png"))) == 2
    assert (beside / "theirs.png").exists()


def test_the_default_store_lives_in_this_process_folder():
    from normgen.service import workdir

    assert FigureStore().folder.parent == workdir.root() and workdir.owns(FigureStore().folder)


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


def test_the_warm_pass_leaves_a_first_visit_nothing_to_load_or_draw(zoo, store, monkeypatch):
    """prerender(grids=True) computes each pair's pictures and numbers from the first noise seed: a λ step
    to any setting afterwards loads no checkpoint, samples nothing and draws no grid, with the same
    numbers as a cold call."""
    from normgen.service import prerender as P
    from normgen.service.inputs import DEFAULT_SEED

    args = (*ARGS[:-1], DEFAULT_SEED)
    M._SAMPLES.clear()
    M._CHANGES.clear()
    cold = X.explore(*args, root=zoo)
    M.PNGS.files.clear()
    M._SAMPLES.clear()
    M._CHANGES.clear()
    out = prerender(zoo, grids=True)
    assert out["grids"] >= 2 * out["pairs"]  # at least the selected grid and the heat map of each pair

    def nothing(*a, **k):
        raise AssertionError("a checkpoint was sampled or a grid drawn after the warm pass")

    M._SAMPLES.clear()  # even with the samples gone: the numbers and the files are what a view needs
    monkeypatch.setattr(M, "sample", nothing)
    monkeypatch.setattr(X, "grid_image", nothing)
    monkeypatch.setattr(plots, "heat_grid", nothing)
    pairs, checked = list(P.reachable_pairs(get_index(zoo))), 0
    for _, _base, sel in pairs:
        r = X.explore(sel.model, sel.dataset, sel.g_norm, sel.l1, sel.l2, F.shown_parts(sel)[0]
                      if sel.target != "both" else "both", sel.variant, DEFAULT_SEED, sel.train_size, sel.dropout,
                      root=zoo)
        if r.stats.get("selected", {}).get("id") != sel.id:
            continue  # a setting Explore reaches through another control (its pair is warmed there)
        assert all(X.png_path(r, name) for name in r.draw), sel.id
        checked += 1
    assert checked >= len(pairs) // 2
    warm = X.explore(*args, root=zoo)
    assert warm.headline == cold.headline and warm.stats["mean_abs_pixel_change"] == cold.stats["mean_abs_pixel_change"]


def test_pair_change_is_the_mean_pixel_change_of_the_two_sample_sets(zoo):
    index = get_index(zoo)
    base = index.baseline("gan", "shapes")
    other = next(e for e in index.entries if e.model == "gan" and e.id != base.id)
    want = mean_pixel_change(M.entry_samples(index, base, 16, 7), M.entry_samples(index, other, 16, 7))
    assert M.pair_change(index, base, other, 16, 7) == pytest.approx(want)
    assert M.pair_change(index, base, base, 16, 7) == 0.0


def test_the_background_pass_runs_in_its_own_thread_and_ends(zoo, store, monkeypatch):
    """start_prerender (the app's start) runs the pass with grids on a daemon thread; wait_prerender sees it
    end; the pass leaves the first noise seed's pictures cached."""
    from normgen.service import prerender as P

    monkeypatch.setenv("NORMGEN_PRERENDER", "1")
    monkeypatch.setattr(P, "_STARTED", {})
    M.PNGS.files.clear()
    t = P.start_prerender(zoo)
    assert t is not None and t.daemon and P.start_prerender(zoo) is t  # once per zoo and process
    assert P.wait_prerender(zoo, timeout=300) and not t.is_alive()
    assert len(M.PNGS.files) >= 2 * sum(1 for _ in P.reachable_pairs(get_index(zoo)))
    monkeypatch.setenv("NORMGEN_PRERENDER", "0")
    assert P.start_prerender(zoo + "-other") is None  # turned off
