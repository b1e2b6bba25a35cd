"""Explore's slice (normgen.app.tabs.explore_scrub) without a browser, on the tiny zoo: every view carries
one stop per λ slider position, each the same as the server's own view of that λ (grid file, readouts,
headline), every histogram on the slice's one set of axes; the page's step script has one stop per axis."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import pytest
from conftest_browser import L1S, L2S, build_tiny_zoo

from normgen.app.tabs import explore as E
from normgen.app.tabs import explore_scrub as S

ARGS = ("gan", "shapes", "none", 1e-4, 0.0, "generator", "loss", 0, 0, 0.0)


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp("scrub-zoo")
    build_tiny_zoo(root)
    return str(root)


@pytest.fixture(scope="module")
def tab(zoo):
    with gr.Blocks():
        return E.build_explore_tab(zoo)


def _view(tab, out) -> dict:
    return dict(zip(map(id, tab.view_outputs()), out, strict=True))


def test_a_view_carries_every_stop_of_both_sliders(zoo, tab):
    out = _view(tab, E.make_view_fn(zoo)(*ARGS))
    sl = json.loads(out[id(tab.scrub)])
    assert [s["l1"] for s in sl["axes"]["l1"]] == [0.0, *L1S]
    assert [s["l2"] for s in sl["axes"]["l2"]] == [0.0, *L2S]
    assert all(s["l2"] == 0.0 for s in sl["axes"]["l1"]) and all(s["l1"] == 1e-4 for s in sl["axes"]["l2"])
    for axis in ("l1", "l2"):
        for s in sl["axes"][axis]:
            assert s["selected"]["url"] == S.file_url(s["selected"]["path"]) and Path(s["selected"]["path"]).is_file()
            assert f'data-axes="{sl["hist_axes"]}"' in s["hist"]
            assert not any(k.startswith("_") for k in s)  # what the server keeps for itself stays there
    # the view's own histogram is drawn on the same axes
    assert f'data-axes="{sl["hist_axes"]}"' in out[id(tab.hist)]


def test_each_stop_is_the_servers_view_of_that_lambda(zoo, tab):
    sl = json.loads(_view(tab, E.make_view_fn(zoo)(*ARGS))[id(tab.scrub)])
    for i, lam in enumerate([0.0, *L1S]):
        args = list(ARGS)
        args[3] = lam
        v = _view(tab, E.make_view_fn(zoo)(*args))
        s = sl["axes"]["l1"][i]
        shown = v[id(tab.selected)].value  # outside a launched app Gradio copies it into its cache: same name
        assert Path(s["selected"]["path"]).name == Path(shown["path"] if isinstance(shown, dict) else shown).name
        assert s["readouts"] == [v[id(tab.l1_readout)], v[id(tab.l2_readout)]]
        assert s["headline"] == v[id(tab.headline)]
        assert s["selected_caption"] == v[id(tab.selected_caption)]


def test_the_step_script_names_its_axis():
    assert "const axis = 'l2'" in S.step_js("l2")
    with pytest.raises(ValueError, match="axis must be one of"):
        S.step_js("l3")
