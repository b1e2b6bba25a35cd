"""Explore's coach: the guided paths of normgen.zoo.texts.coach, shown on Explore itself.

Layout: a bar above the controls ("Start here" and a lesson picker, always there, so a closed guide opens
again), the guide above the grids (a gr.HTML whose script draws the current step, points at its control and
ticks it off when the page's values meet its condition: the λ the sliders set, the noise seed), and a row of
two pictures a lesson adds beside the grids (batch norm: with and without it at the same λ; small data: the
nearest training images of the baseline and of the penalized model).

The guide's value is its part of the link (`coach=l2-collapse&coach_guess=collapsed`): the script sets it
(`trigger('change')`) on a tick, a guess or a close, and the app's link glue joins it to the address bar as
it does each tab's fragment. A lesson's question hides the selected grid, its histogram and headline
(the body's class `coach-guessing`) until a choice is made; then the measured answer shows, and whether
the guess was right. Opening a path ("Start here", a lesson here or on Learn) is one server call that sets
Explore's controls and view (explore_handlers.load_view), the guide and the pictures in one reply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from normgen.app.events import refuse
from normgen.app.replies import in_order
from normgen.app.static_files import asset
from normgen.app.tabs.explore_handlers import LOAD, load_view
from normgen.service.data_views import nearest_view
from normgen.service.explore_images import PNGS
from normgen.service.explorer import explore, png_path
from normgen.service.requests import ExploreQuery
from normgen.service.view_order import VIEW_ORDER
from normgen.service.zoo_access import coach_paths
from normgen.words import fmt_lambda
from normgen.zoo.texts import coach as C

PICK = "Open a lesson…"


@dataclass(frozen=True)
class CoachWidgets:
    """The coach's widgets on Explore (`build_coach`)."""

    start: gr.Button
    pick: gr.Dropdown  # a lesson, opened here
    guide: gr.HTML  # value: the coach's link fragment
    pics: gr.Column  # two pictures a lesson adds above the grids
    note: gr.Markdown  # what the two show
    cap_a: gr.Markdown
    pic_a: gr.Image
    cap_b: gr.Markdown
    pic_b: gr.Image
    titles: dict[str, str]  # path key -> title

    def pic_outputs(self) -> list[Any]:
        return [getattr(self, n) for n in PICTURES]

    def load_outputs(self) -> list[Any]:
        """What the page load sets from a link (`make_load_fn`)."""
        return [getattr(self, n) for n in COACH]


# the coach's replies by name (normgen.app.replies): the lesson's two pictures, and what a link sets
PICTURES = ("pics", "note", "cap_a", "pic_a", "cap_b", "pic_b")
COACH = ("guide", "pick", *PICTURES)
# opening a lesson: the tab, Explore's view at its setting (LOAD), then the coach's (prefixed: Explore has a note)
OPEN = ("tabs", "tab_box", *LOAD, *(f"coach_{n}" for n in COACH))


def build_bar(root: str | None = None) -> tuple[gr.Button, gr.Dropdown, dict[str, str]]:
    """The bar ("Start here", the lesson picker), in the current Blocks (where Explore's controls start);
    returns them and the paths' titles by key."""
    found = coach_paths(root)
    titles = {p.key: p.title for p in found}
    lessons = [(f"{i}. {p.title}", p.key) for i, p in enumerate((p for p in found if p.key != C.START), 1)]
    with gr.Row(elem_id="coach-bar", equal_height=True):
        start = gr.Button("▶ Start here", elem_id="coach-start", size="sm", variant="secondary", scale=0,
                          min_width=120, visible=C.START in titles)
        pick = gr.Dropdown([(PICK, "")] + lessons, value="", label="Lessons", show_label=False, elem_id="coach-pick",
                           scale=1, min_width=160, visible=bool(lessons))
    return start, pick, titles


def build_guide(root: str | None = None) -> gr.HTML:
    """The guide, in the current Blocks: above the grids, so the controls it names keep their place in the
    first screen (on a phone the page's CSS puts it first). Its script (static/coach.js) reads props.paths
    (coach.paths_json) and keeps the link fragment in props.value; coach-page.css rings the control the current
    step names and hides a lesson's result while it waits for a guess."""
    return gr.HTML("", html_template='<div class="coach-box" hidden></div>', js_on_load=asset("coach.js"),
                   elem_id="explore-coach", paths=C.paths_json(coach_paths(root)),
                   head=f"<style>{asset('coach.css')}{asset('coach-page.css')}</style>")


def build_pictures() -> tuple[gr.Column, gr.Markdown, gr.Markdown, gr.Image, gr.Markdown, gr.Image]:
    """The two pictures a lesson adds (hidden until one does) under one line saying what they show, in the
    current Blocks (above the grids)."""
    with gr.Column(visible=False, elem_id="coach-pics") as pics:
        note = gr.Markdown(elem_classes=["caption"], elem_id="coach-pics-note")
        with gr.Row(equal_height=False):
            with gr.Column(min_width=150):
                cap_a = gr.Markdown(elem_classes=["caption"], elem_id="coach-cap-a")
                pic_a = gr.Image(type="filepath", format="png", show_label=False, interactive=False,
                                 elem_id="coach-pic-a", buttons=["fullscreen"])
            with gr.Column(min_width=150):
                cap_b = gr.Markdown(elem_classes=["caption"], elem_id="coach-cap-b")
                pic_b = gr.Image(type="filepath", format="png", show_label=False, interactive=False,
                                 elem_id="coach-pic-b", buttons=["fullscreen"])
    return pics, note, cap_a, pic_a, cap_b, pic_b


def _query(s: dict[str, Any]) -> ExploreQuery:
    """A lesson step's setting as an Explore request (the lesson's own values: checked like a visitor's)."""
    return ExploreQuery.parse(s["model"], s["dataset"], s["g_norm"], s["l1"], s["l2"], s["target"], s["variant"],
                              s["seed"], s.get("train_size", 0), s.get("dropout", 0.0))


def _selected_png(root: str | None, st: dict[str, Any], **over: Any) -> tuple[str | None, str]:
    s = {**st, **over}
    r = explore(_query(s), root=root, figure_names=())
    return png_path(r, "selected"), r.selected_label.removeprefix("Selected: ")


def _nearest_png(root: str | None, data_root: str | None, st: dict[str, Any], **over: Any) -> tuple[str | None, str]:
    """The nearest-training-image picture of a setting and what it measured ("5 of 8 samples are closer to a
    training image than to any new one"), or None and why there is none."""
    s = {**st, **over}
    # the lesson draws the baseline's picture beside it itself
    v = nearest_view(_query(s), root=root, data_root=data_root, beside_baseline=False)
    if v.image is None:
        return None, v.text
    closer, n = v.stats.get("closer_to_training"), v.stats.get("n")
    said = f"{closer} of {n} samples are closer to a training image than to any new one" if n else ""
    return PNGS.path(v.image, v.key), said


def pictures(path: C.Path | None, root: str | None, data_root: str | None) -> dict[str, Any]:
    """The lesson's pictures by name (PICTURES) for `path`: the row hidden, or its note and two pictures with
    captions."""
    if path is None or not path.pictures:
        return dict(zip(PICTURES, (gr.Column(visible=False), "", "", None, "", None), strict=True))
    st = path.state
    lam = f"L2 λ = {fmt_lambda(st['l2'])}" if st.get("l2") else f"L1 λ = {fmt_lambda(st.get('l1', 0.0))}"
    if path.pictures == "batchnorm":
        a, _ = _selected_png(root, st, g_norm="none")
        b, _ = _selected_png(root, st)
        return {"pics": gr.Column(visible=True),
                "note": f"**The same penalty, {lam}, without and with batch norm** (same noise)",
                "cap_a": "**Without batch norm**", "pic_a": a, "cap_b": "**With batch norm** (the selected grid)",
                "pic_b": b}
    n = st.get("train_size", 0)
    a, why_a = _nearest_png(root, data_root, st, l1=0.0, l2=0.0)
    b, why_b = _nearest_png(root, data_root, st)
    note = (f"**Does it copy its {n:,} training images?** Rows: samples, each one's nearest training image, "
            "its nearest new image. A copy looks like the row under it.")
    return {"pics": gr.Column(visible=True), "note": note, "cap_a": f"**No penalty:** {why_a}" + ("." if a else ""),
            "pic_a": a, "cap_b": f"**{lam} on the {st['target']}:** {why_b}" + ("." if b else ""), "pic_b": b}


def make_open_fn(root: str | None, data_root: str | None) -> Callable[..., tuple]:
    """Open a path by key: the reply OPEN (Tabs on Explore, the link's tab, Explore's `load_outputs()` at the
    path's setting, the guide's fragment, the picker, the pictures). An unknown key changes nothing but says so."""

    def open_path(key: str, request: gr.Request = None) -> tuple:
        VIEW_ORDER.begin(getattr(request, "session_hash", None))  # a slider's view still on its way is old now
        by = {p.key: p for p in coach_paths(root)}
        path = by.get(key)
        if path is None:
            if key:
                raise refuse(f"lesson must be one of {', '.join(by)}; got {str(key)[:60]!r}", title="Invalid input")
            return in_order(dict.fromkeys(OPEN, gr.skip()), OPEN)
        coach = {"guide": C.fragment(C.CoachState(path=path.key)), "pick": "" if key == C.START else key,
                 **pictures(path, root, data_root)}
        return in_order({"tabs": gr.Tabs(selected="explore"), "tab_box": "explore",
                         **load_view(root, data_root, dict(path.state), request, snap=True),
                         **{f"coach_{k}": v for k, v in coach.items()}}, OPEN)

    return open_path


def first_visit(root: str | None = None) -> dict[str, Any]:
    """Explore's setting on a first visit (a link with no query): where "Start here" begins ({} without it)."""
    return next((dict(p.state) for p in coach_paths(root) if p.key == C.START), {})


def make_load_fn(root: str | None = None, data_root: str | None = None):
    """Page load: the guide and pictures from the link's coach keys (a bad one named in a warning)."""

    def load_coach(q: dict[str, Any], request: gr.Request | None = None) -> tuple:
        params = dict(request.query_params) if request is not None else {}
        found = coach_paths(root)
        st = C.parse(params, found)
        if not params and any(p.key == C.START for p in found):  # a first visit: the guide starts on its own
            st = C.CoachState(path=C.START)
        if st.bad:
            gr.Warning("This link's guide values cannot be used: " + "; ".join(st.bad))
        path = next((p for p in found if p.key == st.path), None)
        pick = st.path if path is not None and st.path != C.START else ""
        return in_order({"guide": C.fragment(st), "pick": pick, **pictures(path, root, data_root)}, COACH)

    return load_coach


def wire_coach(cw: CoachWidgets, tabs: gr.Tabs, tab_box: Any, explore_load_outputs: list[Any],
               root: str | None = None, data_root: str | None = None,
               openers: dict[str, gr.Button] | None = None) -> None:
    """"Start here", the lesson picker and each of `openers` (Learn's buttons, by path key) open their path on
    Explore in place."""
    fn = make_open_fn(root, data_root)
    outs = [tabs, tab_box, *explore_load_outputs, cw.guide, cw.pick, *cw.pic_outputs()]
    private = {"api_visibility": "private", "show_progress": "hidden"}

    def opener(key: str) -> Callable[..., tuple]:
        def open_this(request: gr.Request) -> tuple:
            return fn(key, request)

        return open_this

    cw.start.click(opener(C.START), None, outs, **private)
    cw.pick.input(fn, cw.pick, outs, **private)
    for key, button in (openers or {}).items():
        button.click(opener(key), None, outs, **private)


__all__ = ["CoachWidgets", "build_bar", "build_guide", "build_pictures", "wire_coach", "make_open_fn", "make_load_fn",
           "pictures", "first_visit"]
