"""The Explore tab's handlers without a server (tests/conftest_browser.py's tiny zoo of real files):
the log-scale λ sliders over the zoo's trained values and their readouts, a Model switch that keeps no
value of the previous model, a link's off-grid λ said plainly, the query fragment of every view, a slider's
view that a later view of its session made old answering nothing, and alt text naming the setting on every
picture."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qs

import gradio as gr
import pytest
from conftest_browser import L1S, L2S, build_tiny_zoo

from normgen.app.tabs import explore as E
from normgen.app.tabs import explore_handlers as H
from normgen.service import links
from normgen.service.view_order import VIEW_ORDER
from normgen.service.zoo_access import get_index

ARGS = ("gan", "shapes", "none", 1e-4, 0.0, "generator", "loss", 0, 0, 0.0)


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp("explore-zoo")
    build_tiny_zoo(root)
    return str(root)


@pytest.fixture(scope="module")
def tab(zoo):
    with gr.Blocks():
        return E.build_explore_tab(zoo)


def _request(session: str) -> SimpleNamespace:
    """A page's request as the handlers read it: its session, no headers or query."""
    return SimpleNamespace(session_hash=session, headers={}, query_params={}, request=None)


def _view(tab, out) -> dict:
    """`view_outputs()`'s values by component."""
    comps = tab.view_outputs()
    assert len(out) == len(comps)
    return dict(zip(map(id, comps), out, strict=True))


def test_slider_stops_are_zero_then_the_zoo_values(zoo):
    index = get_index(zoo)
    assert E.lambda_values(index, "l1", "gan", "shapes", 0, "generator") == [0.0, *L1S]
    assert E.lambda_values(index, "l2", "gan", "shapes", 0, "generator") == [0.0, *L2S]
    # a part the zoo never penalizes with L1: the values of any part (the slider never goes empty)
    assert E.lambda_values(index, "l1", "gan", "shapes", 0, "discriminator") == [0.0, *L1S]
    vals = [0.0, *L1S]
    assert [E.slider_pos(vals, v) for v in (0.0, 1e-5, 2e-4, 6e-4, 1.0)] == [0, 1, 2, 3, 3]


def test_readout_writes_the_value_and_says_when_it_is_not_trained():
    vals = [0.0, 1e-5, 1e-4, 1e-3]
    assert E.readout("l1", vals, 1e-4).startswith("L1 λ = **1e-4**") and "asked" not in E.readout("l1", vals, 1e-4)
    assert "L1 λ = **0 (off)**" in E.readout("l1", vals, 0.0)
    off = E.readout("l1", vals, 2e-4)
    assert "L1 λ = **1e-4**" in off and "2e-4 was asked: not trained" in off and "nearest trained" in off


def test_a_slider_position_drives_the_lambda_and_the_view(zoo, tab):
    out = _view(tab, E.make_slider_fn(zoo)("gan", "shapes", "none", 3, 0, "generator", "loss", 5, 0, 0.0))
    assert out[id(tab.l1)] == L1S[2] and out[id(tab.l2)] == 0.0
    assert "1e-3" in out[id(tab.l1_readout)]
    sel = out[id(tab.selected)]
    assert isinstance(sel, gr.Image) and sel.value and "L1 λ = 1e-3" in sel.alt_text
    assert "noise seed 5" in sel.alt_text and "GAN" in sel.alt_text
    q = parse_qs(out[id(tab.query)])
    assert q["l1"] == ["1e-3"] and q["model"] == ["gan"] and q["seed"] == ["5"]
    assert out[id(tab.stats)]["selected"]["l1"] == pytest.approx(L1S[2])
    with pytest.raises(gr.Error, match=r"L1 slider position must be in \[0, 3\], got 9"):
        E.make_slider_fn(zoo)("gan", "shapes", "none", 9, 0, "generator", "loss", 0, 0, 0.0)


def test_a_slider_view_answers_nothing_once_its_session_asked_for_a_later_one(zoo, tab, monkeypatch):
    """The view at rest of one rest, still computing when the page asks for the next (or jumps to a lesson),
    must not put its λ's table and link back after the later one answered."""
    request = _request("a-visitor")
    fn = E.make_slider_fn(zoo)
    args = ("gan", "shapes", "none", 3, 0, "generator", "loss", 0, 0, 0.0)
    fresh = _view(tab, fn(*args, request=request))
    assert fresh[id(tab.l1)] == L1S[2]  # nothing later: the view answers
    drawn = H.view_updates

    def later_asked_meanwhile(*a, **kw):
        out = drawn(*a, **kw)
        VIEW_ORDER.begin("a-visitor")  # the page's next rest (or a jump) arrives while this view is drawn
        return out

    monkeypatch.setattr(H, "view_updates", later_asked_meanwhile)
    old = _view(tab, fn(*args, request=request))
    assert all(v == gr.skip() for v in old.values()), old


def test_every_other_view_of_the_session_makes_a_slider_view_on_its_way_old(zoo):
    """A control's view (seed, target, loss, new noise) or a model switch that answers first must not be
    overwritten by a slider's view at rest that was asked for before it."""
    request = _request("another-visitor")
    for fn in (E.make_view_fn(zoo), E.make_model_fn(zoo), E.make_loss_fn(zoo)):
        ticket = VIEW_ORDER.begin("another-visitor")  # the slider's view, on its way
        fn(*ARGS, request=request)
        assert VIEW_ORDER.stale("another-visitor", ticket), fn.__name__


def test_every_picture_has_alt_text_naming_the_setting(zoo, tab):
    out = _view(tab, E.make_view_fn(zoo)(*ARGS))
    for comp in (tab.baseline, tab.selected, tab.diff, tab.noise):
        img = out[id(comp)]
        assert img.value and img.alt_text, comp.elem_id
    # the per-layer chart is inline SVG drawn from the numbers, its label naming the setting
    assert 'role="img" aria-label="Bar chart of the weight norm per layer, baseline and GAN' in out[id(tab.fig_layers)]
    # the weight histogram is inline SVG drawn for the page (explore_scrub), named as the figure was
    assert 'role="img" aria-label="Histograms of the weights of the baseline and of GAN' in out[id(tab.hist)]
    assert "baseline" in out[id(tab.baseline)].alt_text and "no penalty" in out[id(tab.baseline)].alt_text
    assert "L1 λ = 1e-4 on the generator" in out[id(tab.diff)].alt_text


def test_seed_noise_reference_beside_the_difference(zoo, tab):
    out = _view(tab, E.make_view_fn(zoo)(*ARGS))
    assert out[id(tab.noise_box)].visible is True
    caption, stats = out[id(tab.noise_caption)], out[id(tab.stats)]["seed_noise"]
    assert stats["baseline_seeds"] == [0, 1]
    assert f"{stats['mean_pixel_change']:.3f}" in caption and f"{stats['selected_mean_pixel_change']:.3f}" in caption


def test_an_invalid_lambda_is_refused_with_its_field_and_range(zoo):
    with pytest.raises(gr.Error, match=r"l1 must be a number in \[0, 10\].*got 'abc'"):
        E.make_view_fn(zoo)("gan", "shapes", "none", "abc", 0.0, "generator", "loss", 0)


def test_model_switch_sets_the_new_models_choices_and_grids(zoo, tab):
    """GAN -> VAE with the GAN's target still selected: no 'generator is not in the list' error, the
    target follows the model, and both grids are the VAE's."""
    out = E.make_model_fn(zoo)("vae", "shapes", "none", 1e-4, 0.0, "generator", "loss", 0, 0, 0.0)
    comps = tab.load_outputs()
    assert len(out) == len(comps)
    got = dict(zip(map(id, comps), out, strict=True))
    assert got[id(tab.model)]["value"] == "vae" and got[id(tab.target)]["value"] == "decoder"
    assert ("decoder", "decoder") in got[id(tab.target)]["choices"]
    for comp in (tab.baseline, tab.selected):
        assert "VAE" in got[id(comp)].alt_text and "GAN" not in got[id(comp)].alt_text
    stats = got[id(tab.stats)]
    assert stats["selected"]["id"].startswith("vae-") and stats["baseline"]["id"].startswith("vae-")


def test_load_from_a_parsed_query_keeps_an_off_grid_lambda_and_says_so(zoo, tab):
    fn = E.make_load_fn(zoo)
    out = fn(links.parse_page_query({"model": "gan", "dataset": "shapes", "l1": "2e-4", "seed": "7"}))
    comps = tab.load_outputs()
    assert len(out) == len(comps)
    got = dict(zip(map(id, comps), out, strict=True))
    assert got[id(tab.l1)] == pytest.approx(2e-4) and got[id(tab.seed)] == 7
    assert "2e-4 was asked: not trained" in got[id(tab.l1_readout)]
    assert got[id(tab.l1_slider)].value == 2  # the stop of 1e-4, the nearest in log-λ
    assert "Not in the zoo" in got[id(tab.note)]
    assert "l1=2e-4" in got[id(tab.query)]
    assert len(fn({})) == len(comps)  # no query: the defaults


def test_the_public_endpoint_keeps_its_parameters_and_outputs(zoo, tab):
    out = E.make_explore_fn(zoo)(*ARGS)
    assert len(out) == len(tab.outputs())
    assert isinstance(out[4], str) and out[4].endswith(".png")  # plain paths for API clients
    assert [c for c in tab.inputs()][3:5] == [tab.l1, tab.l2]
