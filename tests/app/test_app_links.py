"""The app-level glue of the shareable link (normgen.app): one visible link and "Copy link" button,
every tab's hidden fragment box, client-side handlers, and the page load handing the parsed query to
each tab's loader (the browser round trip is in test_links_browser.py)."""

from __future__ import annotations

import gradio as gr
import pytest
from conftest_browser import build_tiny_zoo

import normgen.app as app


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("app-links")
    build_tiny_zoo(root)
    return app.build_demo(str(root))


def test_one_link_one_copy_button_and_a_fragment_box_per_tab(demo):
    ids = [getattr(b, "elem_id", None) for b in demo.blocks.values()]
    for elem_id in ("page-link", "copy-link", "copy-status", "app-tab", "explore-query", "train-query",
                    "compare-query", "class-query"):
        assert ids.count(elem_id) == 1, elem_id
    # the tiny zoo has no cycle GAN: Translate says so and has no setting to share, so no fragment box
    assert "translate-setting" not in ids and "translate-query" not in ids
    boxes = [b for b in demo.blocks.values()
             if isinstance(b, gr.Textbox) and "query-state" in (getattr(b, "elem_classes", None) or [])]
    assert {b.elem_id for b in boxes} == {"app-tab", "explore-query", "train-query", "compare-query", "class-query"}
    buttons = [b for b in demo.blocks.values() if isinstance(b, gr.Button) and b.value == "Copy link"]
    assert len(buttons) == 1


def test_the_address_bar_is_written_in_the_browser_only(demo):
    js = [d for d in demo.fns.values() if d.js and "replaceState" in d.js]
    assert js and all(d.fn is None for d in js)  # no server round trip
    # every page-only event is private; /train's js runs in the page only (it sends a value as typed where the
    # slider put it back in range, issue 23), never for an API client
    assert all(d.api_visibility == "private" for d in demo.fns.values() if d.js and d.api_name != "train")
    assert any(d.fn is None and d.js and "clipboard" in d.js for d in demo.fns.values())


def test_page_load_parses_once_and_dispatches_to_each_loader():
    seen = []

    def loader(tag, n):
        def fn(q):
            seen.append((tag, dict(q)))
            return tuple(f"{tag}{i}" for i in range(n))
        return fn

    class Req:
        query_params = {"tab": "train", "train_steps": "40", "compare_point": "2", "l1": "1e-4"}

    on_load = app.make_page_load_fn([(loader("t", 2), [None, None]), (loader("c", 1), [None])])
    out = on_load(Req())
    assert out[1] == "train" and out[2:] == ("t0", "t1", "c0")
    assert [tag for tag, _ in seen] == ["t", "c"] and seen[0][1] == seen[1][1]
    assert seen[0][1]["train_steps"] == 40 and seen[0][1]["compare_point"] == 2 and seen[0][1]["l1"] == 1e-4


def test_a_loader_with_the_wrong_number_of_updates_fails_loudly():
    class Req:
        query_params: dict = {}

    with pytest.raises(RuntimeError, match="returned 1 updates for 2 outputs"):
        app.make_page_load_fn([(lambda q: ("x",), [None, None])])(Req())



def test_a_tab_that_cannot_restore_itself_from_the_link_fails_loudly(demo):
    """`tab_loaders` skipped a tab whose widgets had no `load_outputs()`, so a rename (load_outputs ->
    loadrun_outputs, in a module split) lost Train's state on reload with no error; now it raises. The demo
    built above has every tab's loader."""
    from types import SimpleNamespace

    import normgen.app.tabs.train_link as train_link

    with pytest.raises(TypeError, match="train_link restores its tab from the link, but SimpleNamespace has no"):
        app.tab_loaders([(SimpleNamespace(loadrun_outputs=lambda: []), train_link)])
    assert app.tab_loaders([(SimpleNamespace(), SimpleNamespace())]) == []  # a module without a loader: none
