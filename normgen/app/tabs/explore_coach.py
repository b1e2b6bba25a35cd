"""Explore's coach: the guided paths of normgen.zoo.texts.coach, shown on Explore itself.

Layout: a bar above the controls ("Start here" and a lesson picker, always there, so a closed guide opens
again), the guide above the grids
(a gr.HTML whose script draws the current step, points at its control and ticks it off when the page's
values meet its condition: the λ the sliders set, the noise seed), and a row of two pictures a lesson adds
beside the grids (batch norm: with and without it at the same λ; small data: the nearest training images
of the baseline and of the penalized model).

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

from normgen.app.replies import in_order
from normgen.app.tabs.explore_handlers import LOAD, load_view
from normgen.render.figures import fmt_lambda
from normgen.service.explore_images import PNGS
from normgen.service.explorer import explore, png_path
from normgen.service.generalization_view import nearest_view
from normgen.service.requests import ExploreQuery
from normgen.service.zoo_access import coach_paths
from normgen.zoo.texts import coach as C

PICK = "Open a lesson…"

# The guide, in the page. props.paths: the paths (coach.paths_json); props.value: the link fragment.
COACH_JS = r"""
const P = () => { try { return JSON.parse(props.paths || '{}'); } catch (e) { return {}; } };
const parse = (v) => { const q = new URLSearchParams(v || '');
  return {path: q.get('coach') || '', step: Number(q.get('coach_step') || 0), guess: q.get('coach_guess') || ''}; };
const frag = (s) => { if (!s.path) { return ''; } const q = new URLSearchParams({coach: s.path});
  if (s.step) { q.set('coach_step', String(s.step)); } if (s.guess) { q.set('coach_guess', s.guess); }
  return q.toString(); };
const esc = (t) => String(t).replace(/[&<>"]/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
const md = (t) => esc(t).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
const seeds = {};
let shown = null;
const set = (s) => { props.value = frag(s); trigger('change'); requestAnimationFrame(render); };
const num = (id) => { const el = document.querySelector('#' + id + ' input'); return el ? Number(el.value) : NaN; };
const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1e-12);
const met = (t, key) => {
  const l1 = num('explore-l1'), l2 = num('explore-l2'), seed = num('explore-seed');
  if (t.l1_min !== undefined && !(l1 >= t.l1_min || close(l1, t.l1_min))) { return false; }
  if (t.l1_max !== undefined && !(l1 <= t.l1_max || close(l1, t.l1_max))) { return false; }
  if (t.l2_min !== undefined && !(l2 >= t.l2_min || close(l2, t.l2_min))) { return false; }
  if (t.l2_max !== undefined && !(l2 <= t.l2_max || close(l2, t.l2_max))) { return false; }
  if (t.seed_not !== undefined) {  // the seed when this step came up: a new one ticks it
    if (!(key in seeds)) { seeds[key] = seed; }
    if (seed === seeds[key]) { return false; }
  }
  return true;
};
function render() {
  const s = parse(props.value), path = P()[s.path];
  const box = element.querySelector('.coach-box');
  if (!box) { return; }
  document.querySelectorAll('.coach-target').forEach((el) => el.classList.remove('coach-target'));
  const guessing = !!(path && path.question && !s.guess);
  document.body.classList.toggle('coach-guessing', guessing);
  document.body.classList.toggle('coach-open', !!path);
  element.dataset.path = s.path; element.dataset.step = String(s.step); element.dataset.guess = s.guess;
  if (!path) { box.innerHTML = ''; box.hidden = true; shown = null; return; }
  box.hidden = false;
  const steps = path.steps || [], q = path.question;
  const at = steps.length ? '<span class="coach-progress">' + (s.step >= steps.length ? '✓ all ' + steps.length
    + ' steps done' : 'step ' + (s.step + 1) + ' of ' + steps.length) + '</span>' : '';
  let h = '<div class="coach-head"><span><strong>' + esc(path.title) + '</strong> ' + (guessing ? '' : at) + '</span>'
    + '<button type="button" class="coach-close" aria-label="Close the guide">✕ Close</button></div>';
  if (q) {
    h += '<p class="coach-ask"><strong>Predict first:</strong> ' + md(q.ask) + '</p>';
    if (!s.guess) {
      h += '<div class="coach-choices" role="group" aria-label="Your prediction">' + q.choices.map((c) =>
        '<button type="button" class="coach-choice" data-choice="' + esc(c[0]) + '">' + esc(c[1]) + '</button>')
        .join('') + '</div><p class="coach-hint">The selected grid and its numbers stay hidden until you choose.</p>';
    } else {
      const mine = (q.choices.find((c) => c[0] === s.guess) || [s.guess, s.guess])[1];
      const right = q.choices.find((c) => c[0] === q.answer)[1];
      const ok = s.guess === q.answer, close = (q.also || []).includes(s.guess);
      h += '<p class="coach-verdict ' + (ok || close ? 'right' : 'wrong') + '" role="status">'
        + (ok ? '✓ Right: ' : close ? '✓ Close: ' : '✗ Not this time: ') + 'you said <em>' + esc(mine)
        + '</em>; measured: <strong>' + esc(right) + '</strong>. <span class="coach-why">' + md(q.verdict)
        + '</span></p>';
      h += '<details class="coach-more"><summary>All the measured numbers</summary><p class="coach-why-again">'
        + md(q.verdict) + '</p>' + (path.text ? '<p>' + md(path.text) + '</p>' : '') + '</details>';
    }
  }
  if (!guessing && steps.length) {
    h += '<ol class="coach-steps">';
    steps.forEach((st, i) => {
      if (i < s.step) { h += '<li class="done">✓ ' + md(st.do) + '</li>'; }
      else if (i === s.step) { h += '<li class="now" aria-current="step">' + md(st.do)
        + '<div class="coach-watch">' + md(st.watch) + '</div></li>'; }
      else { h += '<li class="later">' + md(st.do) + '</li>'; }
    });
    h += '</ol>';
  }
  if (!guessing && s.step >= steps.length) {
    h += '<p class="coach-done">' + (steps.length ? '✓ All done. ' : '')
      + 'Next: another lesson from the Lessons list (each asks you to predict first), or close this guide.</p>';
  }
  box.classList.toggle('answered', !!(q && s.guess));
  if (shown !== h) { box.innerHTML = h; shown = h; }
  const now = !guessing && steps[s.step];
  if (now) { const el = document.getElementById(now.control); if (el) { el.classList.add('coach-target'); } }
}
element.addEventListener('click', (e) => {
  const b = e.target.closest('button');
  if (!b) { return; }
  const s = parse(props.value);
  if (b.classList.contains('coach-close')) { set({path: '', step: 0, guess: ''}); }
  else if (b.dataset.choice) { s.guess = b.dataset.choice; set(s); }
});
setInterval(() => {
  const s = parse(props.value), path = P()[s.path];
  if (!path || (path.question && !s.guess)) { return; }
  const st = (path.steps || [])[s.step];
  if (st && met(st.tick, s.path + ':' + s.step)) { s.step += 1; set(s); }
}, 250);
let last = parse(props.value).path;
watch(['value', 'paths'], () => {
  shown = null; render();
  const now = parse(props.value).path;  // a path opened (here or from Learn): its guide in view, from its top
  if (now && now !== last) { requestAnimationFrame(() => { const r = element.getBoundingClientRect();
    if (r.top < 0 || r.top > window.innerHeight * 0.6) {
      (document.getElementById('explore-row') || element).scrollIntoView({block: 'start'}); } }); }
  last = now;
});
render();
"""

COACH_CSS = """
#explore-coach .coach-box { border-left: 5px solid #b45309; background: #fffbeb; padding: 0.5em 0.8em;
  margin-bottom: 0.4em; color: #1f2937; }
#explore-coach .coach-head { display: flex; justify-content: space-between; align-items: center; gap: 0.5em; }
#explore-coach .coach-close, #explore-coach .coach-choice { border: 1px solid #92400e; border-radius: 4px;
  background: #fff; color: #1f2937; padding: 0.25em 0.6em; cursor: pointer; font: inherit; }
#explore-coach .coach-choice:hover, #explore-coach .coach-close:hover { background: #fde68a; }
#explore-coach .coach-choices { display: flex; flex-wrap: wrap; gap: 0.4em; margin: 0.3em 0; }
#explore-coach p, #explore-coach ol { margin: 0.3em 0; }
#explore-coach .coach-steps { padding-left: 1.4em; }
#explore-coach li.done { color: #166534; }
#explore-coach li.later { color: #4b5563; }
#explore-coach li.now { font-weight: 600; }
#explore-coach .coach-watch { font-weight: 400; }
#explore-coach .coach-verdict.right { color: #166534; }
#explore-coach .coach-verdict.wrong { color: #9a3412; }
#explore-coach .coach-hint, #explore-coach .coach-progress { color: #4b5563; font-size: 0.95em; }
#explore-coach .coach-close { white-space: nowrap; }
#explore-coach .coach-why-again { display: none; }
#explore-coach li.later { display: none; }  /* the step to do now ("step 1 of 4" says how many follow) */
@media (max-width: 720px) {  /* a phone: the step to do now, not the list; once answered, the answer in short */
  #explore-coach li.done, #explore-coach li.later, #explore-coach .coach-done { display: none; }
  #explore-coach .answered .coach-ask, #explore-coach .coach-why { display: none; }
  #explore-coach .coach-why-again { display: block; }
  #explore-coach .coach-steps { list-style: none; padding-left: 0; }
  #explore-coach .coach-box { padding: 0.3em 0.5em; font-size: 0.9em; line-height: 1.3; }
  #explore-coach .coach-close { padding: 0.1em 0.4em; }
}
"""

# the page: the control the current step names is ringed; while a lesson waits for a guess, its result is hidden
PAGE_CSS = """
html body .block.coach-target, html body button.coach-target {
  box-shadow: inset 0 0 0 3px #b45309, 0 0 0 3px #fde68a !important;
  border-radius: 6px !important; }
body.coach-guessing #explore-selected img, body.coach-guessing #explore-diff img,
body.coach-guessing #coach-pics img { filter: blur(14px) grayscale(1); }
body.coach-guessing #explore-hist, body.coach-guessing #explore-headline, body.coach-guessing #explore-details,
body.coach-guessing #explore-selected-caption, body.coach-guessing #coach-cap-a,
body.coach-guessing #coach-cap-b { visibility: hidden; }
#explore-coach:has(.coach-box[hidden]) { display: none !important; }  /* closed: no empty box above the controls */
#coach-bar { align-items: center; gap: 0.4em; flex-wrap: wrap !important; }
#coach-bar > div { flex: 1 1 100% !important; min-width: 100% !important; }  /* a lesson title is never clipped */
#coach-bar input[role=combobox] { font-size: 0.85em !important; text-overflow: ellipsis; }
#coach-pics img { image-rendering: pixelated; object-fit: contain; max-height: min(40vh, 400px); }
@media (max-width: 720px) { #coach-pics .caption p { font-size: 0.85em; line-height: 1.25; } }
"""


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


def _paths(root: str | None) -> list[C.Path]:
    return coach_paths(root)


def build_bar(root: str | None = None) -> tuple[gr.Button, gr.Dropdown, dict[str, str]]:
    """The bar ("Start here", the lesson picker), in the current Blocks (where Explore's controls start);
    returns them and the paths' titles by key."""
    found = _paths(root)
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
    first screen (on a phone the page's CSS puts it first)."""
    return gr.HTML("", html_template='<div class="coach-box" hidden></div>', js_on_load=COACH_JS,
                   elem_id="explore-coach", paths=C.paths_json(_paths(root)),
                   head=f"<style>{COACH_CSS}{PAGE_CSS}</style>")


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
        by = {p.key: p for p in _paths(root)}
        path = by.get(key)
        if path is None:
            if key:
                raise gr.Error(f"lesson must be one of {', '.join(by)}; got {str(key)[:60]!r}", title="Invalid input")
            return in_order(dict.fromkeys(OPEN, gr.skip()), OPEN)
        coach = {"guide": C.fragment(C.CoachState(path=path.key)), "pick": "" if key == C.START else key,
                 **pictures(path, root, data_root)}
        return in_order({"tabs": gr.Tabs(selected="explore"), "tab_box": "explore",
                         **load_view(root, data_root, dict(path.state), request, snap=True),
                         **{f"coach_{k}": v for k, v in coach.items()}}, OPEN)

    return open_path


def first_visit(root: str | None = None) -> dict[str, Any]:
    """Explore's setting on a first visit (a link with no query): where "Start here" begins ({} without it)."""
    return next((dict(p.state) for p in _paths(root) if p.key == C.START), {})


def make_load_fn(root: str | None = None, data_root: str | None = None):
    """Page load: the guide and pictures from the link's coach keys (a bad one named in a warning)."""

    def load_coach(q: dict[str, Any], request: gr.Request | None = None) -> tuple:
        params = dict(request.query_params) if request is not None else {}
        found = _paths(root)
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
           "pictures", "first_visit", "COACH_JS"]
