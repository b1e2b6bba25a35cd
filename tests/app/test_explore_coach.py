"""Explore's coach without a browser (normgen.app.tabs.explore_coach): a first visit starts "Start here" at its
setting, a link's coach keys come back as the guide's fragment (a bad one named), a lesson's pictures are
drawn from the zoo, and an unknown lesson is refused by name. The page's side: test_explore_coach_browser.py."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import pytest
from conftest_browser import build_small_zoo

from normgen.app.tabs import explore_coach as EC
from normgen.zoo.index import load_index
from normgen.zoo.texts import coach as C


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp("coach-app")
    build_small_zoo(r)
    return str(r)


def _request(**params):
    return SimpleNamespace(query_params=params)


def test_a_first_visit_starts_the_guide_at_its_setting(root):
    start = C.paths(load_index(root))[0]
    assert EC.first_visit(root) == start.state and start.state["l1"] == start.state["l2"] == 0.0
    frag, pick, *pics = EC.make_load_fn(root)({}, request=_request())
    assert frag == "coach=start" and pick == "" and pics[0].visible is False


def test_a_link_brings_back_the_lesson_and_the_guess_and_names_a_bad_value(root):
    load = EC.make_load_fn(root)
    frag, pick, *_ = load({}, request=_request(coach="l1-sparse", coach_guess="same", model="gan"))
    assert frag == "coach=l1-sparse&coach_guess=same" and pick == "l1-sparse"
    with pytest.warns(UserWarning, match=r"coach: must be one of start, l1-sparse"):
        frag, pick, *_ = load({}, request=_request(coach="nope", model="gan"))
    assert frag == "" and pick == ""


def test_the_small_data_lesson_draws_both_nearest_pictures(root):
    path = {p.key: p for p in C.paths(load_index(root))}["small-data-vae"]
    row, note, cap_a, pic_a, cap_b, pic_b = EC.pictures(path, root, None).values()
    assert row.visible is True and "Does it copy its 300 training images?" in note
    assert pic_a and pic_b and pic_a != pic_b  # the baseline's and the penalized model's rows
    for cap in (cap_a, cap_b):
        assert "samples are closer to a training image than to any new one" in cap
    assert cap_a.startswith("**No penalty:**") and cap_b.startswith("**L2 λ = 1e-3 on the decoder:**")


def test_an_unknown_lesson_is_refused_by_name(root):
    fn = EC.make_open_fn(root, None)
    with pytest.raises(gr.Error, match=r"lesson must be one of start, l1-sparse.*got 'nope'"):
        fn("nope")
    assert len(fn("")) == len(EC.OPEN) and all(v is not None for v in fn(""))  # "Open a lesson…": nothing changes
