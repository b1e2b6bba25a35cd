"""The normgen app: `build_demo()` lays out the tabs (Explore, Train, Compare, Learn) and wires
them to plain functions (normgen.service.explorer / train_plan / runs, normgen.zoo.sweeps / findings).
The only package that imports gradio; a tab that fails to import fails the app, loudly.

Every tab module follows one convention: plain functions, then `build_*_tab(...)` (the layout, with
named widgets), then its wiring. Explore and Train return their widgets (`ExploreTab`, `TrainTab`)
because the events between tabs, wired here, need them.

The address bar carries every tab's state (issue #13; normgen.service.links): each tab keeps its
link fragment in a hidden `query` textbox (elem_id "<tab>-query", class "query-state"); `wire_links`
joins `?tab=<selected>&<explore>&<train>&<compare>` in the browser and writes it with
history.replaceState whenever one changes, shows it in a selectable box with one "Copy link" button,
and the page load parses the query once and hands it to each tab's `make_load_fn(root, data_root)`. Explore's
guide (normgen.app.tabs.explore_coach) is one more fragment (`coach=…`); a link with no query at all is a first
visit, which opens the guide's "Start here" at its setting.

Public API (gradio_client): `/explore(model, dataset, g_norm, l1, l2, target, variant, seed, train_size,
dropout, loss)` and `/train(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start,
train_size, dropout, loss, lambda_cyc, lambda_id, cycle_norm)`; the values added later have defaults, and a
call without them (gradio_client's, or a REST call with fewer values: normgen.app.events) gets those.
`/train_lambda(l1, l2)` changes the λ of this session's live run from its next step; `/train_result()` returns
this session's last run (finished, stopped or cancelled) to the client that started it. Every other event is
private.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import gradio as gr

from normgen.app.events import PRIVATE, CheckedBlocks, refusing
from normgen.app.replies import in_order
from normgen.app.tabs import classroom as class_tab
from normgen.app.tabs import compare as compare_tab
from normgen.app.tabs import explore as explore_tab
from normgen.app.tabs import explore_coach
from normgen.app.tabs import train as train_tab
from normgen.app.tabs import translate as translate_tab
from normgen.app.tabs.classroom import ClassTab, build_class_tab, wire_class
from normgen.app.tabs.compare import CompareTab, build_compare_tab
from normgen.app.tabs.explore import (
    ExploreTab,
    build_explore_tab,
    make_nearest_fn,
    target_choices,
    wire_explore,
)
from normgen.app.tabs.explore_coach import wire_coach
from normgen.app.tabs.learn import build_learn_tab
from normgen.app.tabs.train import TrainTab, build_train_tab, wire_train
from normgen.app.tabs.train_handlers import make_estimate_fn, target_update
from normgen.app.tabs.translate import TranslateTab, build_translate_tab
from normgen.data import OFFLINE_DATASET, dataset_label
from normgen.service import inputs as I
from normgen.service import links, zerogpu
from normgen.service.explore_images import newly_served
from normgen.service.requests import ExploreQuery
from normgen.service.server_datasets import dataset_status

HEADER = (
    "# normgen: what does weight regularization do to an image generator?\n"
    "A penalty on the weights is added to the training loss: **L1** adds λ·Σ|w|, **L2** adds λ·Σw². "
    "Both pull weights toward zero. **Explore** drags λ over pretrained models, **Train** trains one live, "
    "**Compare** picks λ from a sweep, **Learn** explains, **Translate** shows a cycle GAN, **Class** runs one "
    "λ grid with a whole class."
)  # on every tab: nothing here describes one tab's layout (Explore's left / right is said on Explore)
QUERY_CSS = ".query-state { display: none !important; }"  # in the DOM (the browser reads them), never shown
LINK_CSS = """
#link-bar { align-items: center; gap: 0.5em; }
#page-link textarea, #page-link input { font-family: ui-monospace, monospace; font-size: 0.95em; }
#copy-status { min-height: 1.5em; font-weight: 600; }
"""

# Browser side of the shareable link. COMPOSE gets (tab, explore, train, compare, translate) fragments and returns
# (the full link, the cleared "copied" note); until the page load has restored every tab (READY_JS at
# the end of its chain) it leaves the address bar alone, so a shared link is never overwritten by the
# defaults the page starts with. COPY gets the link and returns the note.
COMPOSE_JS = """(tab, ...frags) => {
  if (!window.normgenLinkReady) { return [location.href, '']; }  // the page load restores the state first
  const parts = (tab ? ['tab=' + tab] : []).concat(frags.filter(f => f));
  const url = location.origin + location.pathname + (parts.length ? '?' + parts.join('&') : '');
  if (url !== location.href) { history.replaceState(history.state, '', url); }
  return [url, ''];
}"""
READY_JS = "(...args) => { window.normgenLinkReady = true; return args; }"
COPY_JS = """async (url) => {
  url = url || location.href;
  try { await navigator.clipboard.writeText(url); return '<span role="status">✓ Link copied</span>'; }
  catch (e) {
    const box = document.querySelector('#page-link textarea, #page-link input');
    if (box) { box.focus(); box.select(); try { if (document.execCommand('copy')) {
      return '<span role="status">✓ Link copied</span>'; } } catch (e2) {} }
    return '<span role="status">Select the link and copy it (Ctrl+C)</span>';
  }
}"""


def wire_train_this(tabs: gr.Tabs, ex: ExploreTab, tr: TrainTab, tab_box: gr.Textbox,
                    data_root: str | None = None) -> None:
    """"Train this setting": copy Explore's controls into Train and switch tabs (and the link's tab). Both tabs
    name their controls by the request's fields (ExploreQuery), so the copy is by name."""
    fields = tuple(f.name for f in dataclasses.fields(ExploreQuery))
    reply = ("tabs", *fields, "tab_box")

    def to_train(model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout, loss="ns"):
        # the values as sent (not preprocessed), checked as /explore checks them: a bad one is named, not
        # copied (an unknown dataset into Train's list; a huge seed would end the page's event stream)
        with refusing(I.InputError, title="Invalid input"):
            q = ExploreQuery.parse(model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout, loss)
        ok = dataset_status(data_root).get(q.dataset) is None
        if not ok:
            gr.Warning(f"{dataset_label(q.dataset)} is not on this server: training on "
                       f"{OFFLINE_DATASET} instead.")
        return in_order({"tabs": gr.Tabs(selected="train"), **dataclasses.asdict(q),
                         "dataset": q.dataset if ok else OFFLINE_DATASET,
                         "target": gr.update(choices=target_choices(q.model), value=q.target),
                         "tab_box": "train"}, reply)

    ex.train_this.click(to_train, [getattr(ex, n) for n in fields],
                        [tabs, *(getattr(tr, n) for n in fields), tab_box], preprocess=False, **PRIVATE)


Loader = tuple[Callable[[dict[str, Any]], tuple], list[Any]]


def tab_loaders(tabs: list[tuple[Any, Any]], root: str | None = None, data_root: str | None = None) -> list[Loader]:
    """(load function, its outputs) of every tab that restores itself from the parsed query: a tab
    widget set with `load_outputs()` whose module has `make_load_fn(root, data_root)` -> fn(q)."""
    out = []
    for widgets, module in tabs:
        if not callable(getattr(module, "make_load_fn", None)):
            continue
        if not callable(getattr(widgets, "load_outputs", None)):  # a rename lost a tab's link state silently
            raise TypeError(f"{module.__name__} restores its tab from the link, but {type(widgets).__name__} "
                            "has no load_outputs()")
        out.append((module.make_load_fn(root, data_root), list(widgets.load_outputs())))
    return out


def _takes_request(fn: Callable[..., Any]) -> bool:
    """Whether a tab's loader also takes the page's request (`fn(q, request=...)`, e.g. for its link base)."""
    try:
        return "request" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def make_page_load_fn(loaders: list[Loader], first: Callable[[], dict[str, Any]] | None = None) -> Callable[..., tuple]:
    """Page load: parse the URL's query once (links.parse_page_query) and hand it to every tab's loader;
    a link with no query at all (a first visit) gets `first()`'s values (the coached path's setting).
    Outputs: the Tabs, the link's tab box, then each loader's outputs in turn."""

    def on_load(request: gr.Request) -> tuple:
        params = dict(request.query_params) if request is not None else {}
        q, bad = links.check_page_query(params)
        if not params and first is not None:
            q = {**first(), **q}
        if bad:
            gr.Warning("This link has values the page cannot use (the defaults are shown instead): "
                       + "; ".join(bad))
        out: list[Any] = [gr.Tabs(selected=q["tab"]) if "tab" in q else gr.skip(), q.get("tab", gr.skip())]
        for fn, outputs in loaders:
            got = tuple(fn(q, request=request) if _takes_request(fn) else fn(q))
            if len(got) != len(outputs):
                raise RuntimeError(f"{fn!r} returned {len(got)} updates for {len(outputs)} outputs")
            out += got
        return tuple(out)

    return on_load


def wire_page_load(demo: gr.Blocks, tabs: gr.Tabs, tab_box: gr.Textbox, ex: ExploreTab, tr: TrainTab,
                   cmp: CompareTab, tl: TranslateTab, cl: ClassTab, root: str | None = None,
                   data_root: str | None = None) -> Any:
    """The page state from the URL (?tab=compare&model=gan&l1=1e-4&train_steps=600&compare_sweep=...) on
    load (Explore's loader returns its whole first view), then the nearest training images, the Train
    targets of its model and Train's measured time estimate.
    Every tab's widgets restore themselves through `load_outputs()` (`tab_loaders`). Returns the chain's last
    dependency."""
    pairs = [(ex, explore_tab), (tr, train_tab), (cmp, compare_tab)] + (
        [(tl, translate_tab)] if tl.setting is not None else []) + [(ex.coach, explore_coach), (cl, class_tab)]
    loaders = tab_loaders(pairs, root, data_root)
    outs = [tabs, tab_box] + [c for _, o in loaders for c in o]
    dep = demo.load(make_page_load_fn(loaders, lambda: explore_coach.first_visit(root)), None, outs, **PRIVATE)
    # preprocess=False: the values as the page holds them when each step runs (a visitor may type while the
    # page loads); the nearest view names a bad one, the estimate says it in its line, not in a toast
    return dep.then(
        make_nearest_fn(root, data_root, only_small=True), ex.inputs(), ex.nn_outputs(), preprocess=False,
        **PRIVATE).then(
        target_update, [tr.model, tr.target], tr.target, **PRIVATE).then(
        make_estimate_fn(root, data_root), tr.inputs(), tr.estimate, preprocess=False, **PRIVATE)


def query_boxes(ex: ExploreTab, tr: TrainTab, cmp: CompareTab, tl: TranslateTab) -> list[gr.Textbox]:
    """The hidden link fragments of Explore, Train, Compare and Translate, in the link's order, then the coach's
    guide (its value is its part of the link: explore_coach). A Translate tab without a cycle GAN has no box."""
    boxes = [ex.query, tr.query, cmp.query, tl.query, ex.coach.guide]
    return [b for b in boxes if b is not None]


def build_link_bar() -> tuple[gr.Textbox, gr.Button, gr.HTML, gr.Textbox]:
    """The visible link (selectable, for a projector), its "Copy link" button and the "copied" note, and
    the hidden box that holds the selected tab's id."""
    with gr.Row(equal_height=True, elem_id="link-bar"):
        link = gr.Textbox("", label="Link to this page (every tab's settings)", show_label=False, elem_id="page-link",
                          interactive=False, scale=6, min_width=240, lines=1, max_lines=1, container=False)
        copy = gr.Button("Copy link", elem_id="copy-link", variant="secondary", scale=0, min_width=130)
        note = gr.HTML("", elem_id="copy-status", min_width=160, head=f"<style>{QUERY_CSS}{LINK_CSS}</style>")
    tab_box = gr.Textbox("", elem_id="app-tab", elem_classes=["query-state"], show_label=False, container=False,
                         interactive=False)
    return link, copy, note, tab_box


def wire_links(demo: gr.Blocks, tabs: gr.Tabs, tab_box: gr.Textbox, boxes: list[gr.Textbox], link: gr.Textbox,
               copy: gr.Button, note: gr.HTML, loaded: Any) -> None:
    """Client-side only (js= with fn=None, no server round trip): a selected tab sets the tab box; any
    change of it or of a fragment rewrites the address bar and the link, from the end of the page
    load (`loaded`, its last dependency) on; Copy copies it."""
    for tab in tabs.children:
        if isinstance(tab, gr.Tab) and tab.id is not None:
            tab.select(None, None, tab_box, js=f"() => {str(tab.id)!r}", **PRIVATE)
    gr.on([tab_box.change, *(b.change for b in boxes)], None, [tab_box, *boxes], [link, note], js=COMPOSE_JS,
          **PRIVATE)
    demo.load(None, None, link, js="() => location.href", **PRIVATE)  # the link as opened, until the load ends
    loaded.then(None, None, None, js=READY_JS, **PRIVATE).then(
        None, [tab_box, *boxes], [link, note], js=COMPOSE_JS, **PRIVATE)
    copy.click(None, link, note, js=COPY_JS, **PRIVATE)


def build_demo(root: str | None = None, data_root: str | None = None) -> gr.Blocks:
    """The gr.Blocks app (not launched). `root`: zoo folder (default $NORMGEN_ZOO or checkpoints/);
    `data_root`: where MNIST / Fashion-MNIST live (default $NORMGEN_DATA)."""
    zerogpu.prepare()  # a ZeroGPU Space reports its GPU functions when the app launches: register ours now
    # Gradio's cache: files this app wrote are deleted an hour after they were made (checked every 10 min);
    # normgen's own temporary folders are swept by service.housekeeping (app.py starts it)
    # CheckedBlocks: a missing or bad value is refused in one line naming the field (normgen.app.events)
    with CheckedBlocks(title="normgen: regularization in image generators", delete_cache=(600, 3600)) as demo:
        gr.Markdown(HEADER, elem_id="header")
        link, copy, note, tab_box = build_link_bar()
        with gr.Tabs(selected="explore", elem_id="tabs") as tabs:
            ex = build_explore_tab(root, data_root)
            tr = build_train_tab(root, data_root)
            cmp = build_compare_tab(root)
            learn_buttons = build_learn_tab(root)
            tl = build_translate_tab(root)
            cl = build_class_tab()
        wire_explore(ex, root, data_root)
        wire_train(tr, root, data_root)
        wire_train_this(tabs, ex, tr, tab_box, data_root)
        # "Start here" and the lessons (here and on Learn) open on Explore, in place
        wire_coach(ex.coach, tabs, tab_box, ex.load_outputs(), root, data_root, learn_buttons)
        wire_class(cl, tabs, tr, root, data_root)
        loaded = wire_page_load(demo, tabs, tab_box, ex, tr, cmp, tl, cl, root, data_root)
        wire_links(demo, tabs, tab_box, [*query_boxes(ex, tr, cmp, tl), cl.query], link, copy, note, loaded)
    demo.queue(default_concurrency_limit=4, max_size=64)
    # Explore's, Learn's and Compare's pictures are served from the folders normgen writes them to (they hold only
    # those PNGs), not hashed and copied into Gradio's cache on every view
    new = newly_served(served_folders())  # Gradio's list only grows: each folder once per process
    if new:
        gr.set_static_paths(new)
    return demo


def served_folders() -> list[str]:
    """The folders of the page's PNG files: Explore's grid cache (its figures are inline SVG) and the folder of
    Learn's pictures and Compare's plots (normgen.service.page_pictures)."""
    from normgen.service import page_pictures
    from normgen.service.explore_images import PNGS

    return [str(PNGS.folder()), str(page_pictures.folder())]


__all__ = ["build_demo", "served_folders", "HEADER"]
