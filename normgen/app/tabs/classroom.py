"""The Class tab: a class runs one experiment's λ grid together, one dot per student's run.

Like every tab: plain functions (handlers), then `build_class_tab` (the layout, returning its widgets by name
as a `ClassTab`), then `wire_class` (the events). The work is in normgen.classroom.

- A **student** pastes the class code (or opens the join link, `?tab=class&class_code=...`), optionally a
  nickname, and presses Join: the class deals a λ and a seed (or takes the λ chosen). "Run my setting on
  Train" copies that setting into Train's controls, switches to Train and presses Start. When the run
  finishes, the server posts its measured result (normgen.classroom.results.post_finished, from the Train
  handler): no client ever sends a number. The chart below rings the student's own dots.
- A **teacher** picks an experiment and opens a class: its code, the join link and the teacher link (which
  carries the teacher token; the address bar drops the token once the page has read it). Close, reopen,
  reset and CSV export need the token; "Projector view" shows the chart full-screen.
- Both charts refresh every TICK_S seconds (`gr.Timer`) and are only sent when the class changed.

Public endpoints (each needs what a visitor was given: the code, or the code and the teacher token):
`/class_open(experiment)`, `/class_join(code, nickname, lam)`, `/class_view(code)`,
`/class_close(code, teacher)`, `/class_reopen(code, teacher)`, `/class_reset(code, teacher)`,
`/class_export(code, teacher)`; with NORMGEN_CLASS_SIMULATE=1 (the load test) `/class_simulate(salt)`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from html import escape
from typing import Any

import gradio as gr

from normgen.app.events import PRIVATE, refuse, refusing
from normgen.app.replies import in_order
from normgen.app.tabs.train import SETTING
from normgen.classroom import experiments as X
from normgen.classroom.chart import chart_data, csv_text, summary, svg, svg_rows
from normgen.classroom.results import SIMULATE_ENV, Seat, post_run, simulated_record
from normgen.classroom.store import DEAL, ClassError, JoinRequest, shared
from normgen.data import dataset_label
from normgen.service import workdir
from normgen.service.server_datasets import dataset_status
from normgen.service.zoo_access import get_index
from normgen.words import fmt_lambda

TICK_S = 3.0
# replies by name (normgen.app.replies): the timer's, and the page load's from a join or teacher link
TICK = ("chart", "t_chart", "seen")
LOAD = ("code", "t_code", "t_token", "query", "lam")
OPENED = ("t_code", "t_token", "t_note")  # /class_open's reply
JOINED = ("seat_note", "seat_json", "run_btn")  # /class_join's reply
VIEWED = ("chart", "view_json")  # /class_view's reply
CODE = ("lam", "query")  # a typed class code: its λ choices and the link
DEAL_CHOICE = ("let the class deal (recommended)", DEAL)
CSS = """
.class-chart-box { background: #fff; border-radius: 8px; overflow-x: auto; }
.class-chart-box svg.class-chart-rows { display: none; }
@media (max-width: 700px) {  /* a phone: one row per λ, at a readable size (the columns would need 640 px) */
  .class-chart-box svg.class-chart { display: none; }
  .class-chart-box svg.class-chart-rows { display: block; }
}
.class-chart-box p { margin: 0.2em 0 0.4em; font-size: 1.05em; }
#class-teacher-chart:fullscreen { background: #fff; padding: 2vh 3vw; overflow: auto; }
#class-teacher-chart:fullscreen .class-chart-box p { font-size: 2.2vh; }
#class-teacher-chart:fullscreen svg { max-height: 88vh; }
#class-codes textarea, #class-codes input { font-family: ui-monospace, monospace; }
"""
LINKS_JS = """(code, teacher) => {
  if (!code) { return ''; }
  const base = location.origin + location.pathname + '?tab=class&class_code=' + encodeURIComponent(code);
  return '**Join link for students:** `' + base + '`\\n\\n**Teacher link (keep it to yourself: it can close ' +
         'and reset the class):** `' + base + '&class_teacher=' + encodeURIComponent(teacher) + '`';
}"""
PROJECTOR_JS = """() => { const el = document.querySelector('#class-teacher-chart');
  if (el && el.requestFullscreen) { el.requestFullscreen(); } return []; }"""
START_JS = """() => { setTimeout(() => { const b = document.querySelector('#train-start-btn');
  if (b) { b.click(); } }, 600); return []; }"""


def _html(md: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r'<b style="white-space: nowrap">\1</b>', escape(md))


def lambda_choices(code: Any) -> Any:
    """The λ dropdown for the class of `code`: 'deal' first, then its experiment's λ values."""
    try:
        exp = X.get(shared()[0].get_class(code).experiment)
    except ValueError:  # a ClassError too
        return gr.update(choices=[DEAL_CHOICE], value=DEAL)
    return gr.update(choices=[DEAL_CHOICE] + [(f"{exp.axis.upper()} λ = {fmt_lambda(v)}", str(v)) for v in exp.lambdas],
                     value=DEAL)


def open_class(experiment: str) -> tuple[str, str, str]:
    """Teacher: open a class of `experiment`; OPENED (code, teacher token, what to do next)."""
    with refusing(ValueError, title="Class"):
        exp = X.get(experiment)
        code, teacher = shared()[0].open_class(exp.id)
    note = f"Class open: **{exp.title}**. Show the join link (or the code) to your students."
    return in_order({"t_code": code, "t_token": teacher, "t_note": note}, OPENED)


def join_class(code: str, nickname: str, lam: str, store: Any) -> tuple[str, dict, Any]:
    """Student: join the class of `code`; the dealt (or chosen) setting, held in this session (JOINED: its words, its
    setting, the Run button shown)."""
    db = shared()[0]
    with refusing(ValueError, title="Class"):
        exp = X.get(db.get_class(code).experiment)
        req = JoinRequest.parse(code, nickname, lam, exp.lambdas)
        m = db.join(req, exp.lambdas)
    store.seat = Seat(m.code, m.token)
    setting = exp.setting(m.lam, m.seed)
    why = "you chose it" if req.lam is not None else "dealt so the grid fills evenly"
    note = (f"You are in **{exp.title}**: **{exp.axis.upper()} λ = {fmt_lambda(m.lam)}, seed {m.seed}** ({why}). "
            f"Press **Run my setting on Train**: {exp.steps} steps on {exp.train_size or 'all the'} training "
            f"images; when it finishes, its {exp.metric_label} is added to the chart for you.")
    return in_order({"seat_note": note, "seat_json": {"experiment": exp.id, "lam": m.lam, "seed": m.seed,
                                                      "setting": setting}, "run_btn": gr.update(visible=True)}, JOINED)


def run_setting(store: Any, data_root: str | None = None) -> tuple:
    """Student: the seat's setting into Train's controls, and Train's tab (Start is pressed in the page)."""
    seat = store.seat
    if seat is None:
        raise refuse("Join a class first: paste its code and press Join.", title="Class")
    db = shared()[0]
    with refusing(ValueError, title="Class"):
        m = db.member(seat.code, seat.token)
        exp = X.get(db.get_class(seat.code).experiment)
    if dataset_status(data_root).get(exp.dataset) is not None:
        raise refuse(f"{dataset_label(exp.dataset)} is not on this server, so this experiment cannot run here.",
                       title="Class")
    s = exp.setting(m.lam, m.seed)
    return in_order({"tabs": gr.Tabs(selected="train"), **{k: s[k] for k in SETTING}}, ("tabs", *SETTING))


def chart_html(code: str, me: str | None = None, teacher: bool = False, root: str | None = None) -> tuple[str, dict]:
    """The chart box (summary + SVG) of the class of `code` as `me` sees it, and its status JSON."""
    db = shared()[0]
    info = db.get_class(code)
    exp = X.get(info.experiment)
    results = db.results(info.code)
    nicks = db.nicknames(info.code)
    d = chart_data(exp, results, get_index(root).entries, me=me, nicknames=nicks)
    members = db.members(info.code)
    head = summary(d) + (f" {members} joined; the class is **{info.state}**." if teacher else "")
    status = {"results": len(results), "members": members, "state": info.state, "pick": d.pick,
              "simulated": sum(r.simulated for r in results), "version": list(db.version(info.code))}
    box = (f'<div class="class-chart-box"><p>{_html(exp.question)}</p><p>{_html(head)}</p>{svg(d)}{svg_rows(d)}</div>')
    return box, status


def make_view_fn(root: str | None = None):
    def view(code: str) -> tuple[str, dict]:
        """/class_view: the chart of the class of `code` (anyone given the code), VIEWED."""
        with refusing(ValueError, title="Class"):
            box, status = chart_html(code, root=root)
            return in_order({"chart": box, "view_json": status}, VIEWED)

    return view


def tick(code: str, t_code: str, store: Any, seen: dict, root: str | None = None) -> tuple:
    """Timer: the student's and the teacher's charts (TICK), each sent only when its class changed."""
    seen = dict(seen or {})
    out: dict[str, Any] = {"chart": gr.skip(), "t_chart": gr.skip()}
    db = shared()[0]
    for key, box, c, me, teacher in (("student", "chart", code, store.seat.token if store.seat else None, False),
                                     ("teacher", "t_chart", t_code, None, True)):
        try:
            version = [c, me, *db.version(db.get_class(c).code)]
        except ClassError:
            continue
        if seen.get(key) != version:
            seen[key] = version
            out[box] = chart_html(c, me, teacher, root)[0]
    return in_order(out | {"seen": seen}, TICK)


def timer_for(code: str, t_code: str) -> gr.Timer:
    """The charts' timer: on while this page holds a class code (a student's or a teacher's)."""
    return gr.Timer(active=bool((code or "").strip() or (t_code or "").strip()))


def teacher_action(action: str):
    def act(code: str, teacher: str) -> str:
        db = shared()[0]
        with refusing(ClassError, title="Class"):
            if action == "reset":
                n = db.reset(code, teacher)
                return f"Reset: {n} result{'s' if n != 1 else ''} removed; members keep their λ and seed."
            db.set_state(code, teacher, "closed" if action == "close" else "open")
        return ("Closed: no new students or results; the chart stays." if action == "close"
                else "Open again: students can join and post.")

    act.__name__ = f"class_{action}"
    return act


def export_csv(code: str, teacher: str, root: str | None = None) -> Any:
    """Teacher: every result of the class as a CSV file (no member tokens)."""
    db = shared()[0]
    with refusing(ClassError, title="Class"):
        info = db.check_teacher(code, teacher)
    exp = X.get(info.experiment)
    results, nicks = db.results(info.code), db.nicknames(info.code)
    path = workdir.new_folder("class-csv-") / f"class-{exp.id}.csv"
    path.write_text(csv_text(chart_data(exp, results, get_index(root).entries), results, nicks))
    return gr.update(value=str(path), visible=True)


def simulate(salt: str, store: Any, root: str | None = None) -> dict:
    """/class_simulate (NORMGEN_CLASS_SIMULATE=1 only): post this session's seat a zoo-simulated result through
    the same check as a real run's (normgen.classroom.results.simulated_record)."""
    seat = store.seat
    if seat is None:
        raise refuse("Join a class first.", title="Class")
    db = shared()[0]
    with refusing(ClassError, title="Class"):
        m = db.member(seat.code, seat.token)
        exp = X.get(db.get_class(seat.code).experiment)
        rec = simulated_record(get_index(root).entries, exp, m, str(salt))
        return {"run_id": rec.run_id, "posted": post_run(db, rec, m, exp)}


def make_load_fn(root: str | None = None, data_root: str | None = None):
    """The page load: a join link's code (and a teacher link's token) into the boxes."""

    def on_load(q: dict, request: gr.Request | None = None) -> tuple:
        params = dict(request.query_params) if request is not None else {}
        code = params.get("class_code", "")[:64]
        teacher = params.get("class_teacher", "")[:64]
        return in_order({"code": code, "t_code": code if teacher else gr.skip(), "t_token": teacher or gr.skip(),
                         "query": f"class_code={code}" if code else "",
                         "lam": lambda_choices(code) if code else gr.skip()}, LOAD)

    return on_load


@dataclass(frozen=True)
class ClassTab:
    code: gr.Textbox
    nickname: gr.Textbox
    lam: gr.Dropdown
    join: gr.Button
    seat_note: gr.Markdown
    seat_json: gr.JSON
    run_btn: gr.Button
    chart: gr.HTML
    experiment: gr.Dropdown
    open_btn: gr.Button
    t_code: gr.Textbox
    t_token: gr.Textbox
    t_note: gr.Markdown
    t_links: gr.Markdown
    close_btn: gr.Button
    reopen_btn: gr.Button
    reset_btn: gr.Button
    export_btn: gr.Button
    projector_btn: gr.Button
    csv_file: gr.File
    t_chart: gr.HTML
    view_btn: gr.Button  # hidden: the trigger of /class_view
    view_json: gr.JSON
    sim_btn: gr.Button  # hidden: the trigger of /class_simulate
    sim_salt: gr.Textbox
    sim_json: gr.JSON
    timer: gr.Timer
    seen: gr.State
    query: gr.Textbox  # hidden (class query-state): class_code=... in the page's link

    def load_outputs(self) -> list[Any]:
        return [getattr(self, n) for n in LOAD]


def build_class_tab() -> ClassTab:
    """Open the Class tab in the current Blocks; returns its widgets by name."""
    _, loc = shared()
    with gr.Tab("Class", id="class", elem_id="tab-class"):
        gr.HTML("", head=f"<style>{CSS}</style>", elem_classes=["query-state"], container=False)
        gr.Markdown("**A class experiment:** every student trains one λ of the same grid; each finished run becomes "
                    "a dot on one shared chart: the spread between dots at one λ is the seed noise, the means "
                    "pick λ.", elem_classes=["intro"])
        if not loc.durable:
            gr.Markdown("⚠ **Class results are kept in a temporary folder on this server: they vanish when it "
                        "restarts.** (Set NORMGEN_CLASS_DB to a file path, or attach persistent storage at /data.)",
                        elem_id="class-storage-warning")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=280):
                gr.Markdown("### Student")
                code = gr.Textbox(label="Class code", placeholder="from your teacher", elem_id="class-code",
                                  max_lines=1)
                nickname = gr.Textbox(label="Nickname (optional, shown to the class)", max_lines=1,
                                      elem_id="class-nickname")
                lam = gr.Dropdown([DEAL_CHOICE], value=DEAL, label="λ", elem_id="class-lambda")
                join = gr.Button("Join", variant="primary", elem_id="class-join")
                seat_note = gr.Markdown("", elem_id="class-seat")
                run_btn = gr.Button("Run my setting on Train", variant="primary", visible=False,
                                    elem_id="class-run")
                seat_json = gr.JSON(visible=False)
            with gr.Column(scale=3):
                chart = gr.HTML("<p>Join a class to see its chart.</p>", elem_id="class-student-chart")
        with gr.Accordion("Teacher: open and run a class", open=False, elem_id="class-teacher"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=1, min_width=280):
                    experiment = gr.Dropdown([(e.title, e.id) for e in X.EXPERIMENTS.values()], value=X.DEFAULT,
                                             label="Experiment", elem_id="class-experiment")
                    open_btn = gr.Button("Open a class", variant="primary", elem_id="class-open")
                    with gr.Group(elem_id="class-codes"):
                        t_code = gr.Textbox(label="Class code", elem_id="class-teacher-code", max_lines=1)
                        t_token = gr.Textbox(label="Teacher token (keep it private)", type="password",
                                             elem_id="class-teacher-token", max_lines=1)
                    t_note = gr.Markdown("", elem_id="class-teacher-note")
                    with gr.Row():
                        close_btn = gr.Button("Close", elem_id="class-close", min_width=80)
                        reopen_btn = gr.Button("Reopen", elem_id="class-reopen", min_width=80)
                        reset_btn = gr.Button("Reset", variant="stop", elem_id="class-reset", min_width=80)
                    with gr.Row():
                        export_btn = gr.Button("Export CSV", elem_id="class-export", min_width=100)
                        projector_btn = gr.Button("Projector view", elem_id="class-projector", min_width=100)
                    csv_file = gr.File(label="Results (CSV)", interactive=False, elem_id="class-csv", visible=False)
                with gr.Column(scale=3):
                    t_links = gr.Markdown("", elem_id="class-links")
                    t_chart = gr.HTML("", elem_id="class-teacher-chart")
        view_btn = gr.Button(visible=False)
        view_json = gr.JSON(visible=False)
        sim_btn = gr.Button(visible=False)
        sim_salt = gr.Textbox(visible=False)
        sim_json = gr.JSON(visible=False)
        timer = gr.Timer(TICK_S, active=False)  # ticks only on a page that holds a class code (wire_class)
        seen = gr.State({})
        query = gr.Textbox("", elem_id="class-query", elem_classes=["query-state"], show_label=False,
                           container=False, interactive=False)
    return ClassTab(code, nickname, lam, join, seat_note, seat_json, run_btn, chart, experiment, open_btn, t_code,
                    t_token, t_note, t_links, close_btn, reopen_btn, reset_btn, export_btn, projector_btn, csv_file,
                    t_chart, view_btn, view_json, sim_btn, sim_salt, sim_json, timer, seen, query)


def wire_class(tab: ClassTab, tabs: gr.Tabs, tr: Any, root: str | None = None, data_root: str | None = None) -> None:
    """Events of the Class tab (`tr`: the Train tab, whose session store holds the seat and whose controls a
    student's setting goes into)."""
    quick = {"concurrency_limit": 8, "concurrency_id": "class"}
    tab.code.change(lambda c: in_order({"lam": lambda_choices(c), "query": f"class_code={c.strip()}" if c and c.strip()
                                        else ""}, CODE), tab.code, [getattr(tab, n) for n in CODE], **PRIVATE, **quick)
    # a page with no class code never polls: Explore's visitors cost the server nothing here
    gr.on([tab.code.change, tab.t_code.change], timer_for, [tab.code, tab.t_code], tab.timer, **PRIVATE, **quick)
    tab.open_btn.click(open_class, tab.experiment, [getattr(tab, n) for n in OPENED], api_name="class_open",
                       **quick).then(None, [tab.t_code, tab.t_token], tab.t_links, js=LINKS_JS, **PRIVATE)
    # preprocess=False: the λ as sent (an API client's page never got the class's λ choices); join_class checks it
    tab.join.click(join_class, [tab.code, tab.nickname, tab.lam, tr.store], [getattr(tab, n) for n in JOINED],
                   api_name="class_join", preprocess=False, **quick).then(lambda: {}, None, tab.seen, **PRIVATE)
    into = [tabs, *(getattr(tr, n) for n in SETTING)]
    tab.run_btn.click(lambda store: run_setting(store, data_root), tr.store, into, **PRIVATE).success(
        None, None, None, js=START_JS, **PRIVATE)
    # reading the chart has its own line: a class joining and posting at once does not hold up its chart
    view_q = {"concurrency_limit": 4, "concurrency_id": "class-view"}
    tab.view_btn.click(make_view_fn(root), tab.code, [getattr(tab, n) for n in VIEWED], api_name="class_view", **view_q)
    tab.timer.tick(lambda c, t, store, seen: tick(c, t, store, seen, root), [tab.code, tab.t_code, tr.store, tab.seen],
                   [getattr(tab, n) for n in TICK], **PRIVATE, **view_q)
    for btn, action in ((tab.close_btn, "close"), (tab.reopen_btn, "reopen"), (tab.reset_btn, "reset")):
        btn.click(teacher_action(action), [tab.t_code, tab.t_token], tab.t_note, api_name=f"class_{action}", **quick)

    def class_export(code: str, teacher: str) -> Any:
        return export_csv(code, teacher, root)

    def class_simulate(salt: str, store: Any) -> dict:
        return simulate(salt, store, root)

    tab.export_btn.click(class_export, [tab.t_code, tab.t_token], tab.csv_file, api_name="class_export", **quick)
    tab.projector_btn.click(None, None, None, js=PROJECTOR_JS, **PRIVATE)
    if os.environ.get(SIMULATE_ENV) == "1":  # the load test's simulated students (normgen.classroom.results)
        tab.sim_btn.click(class_simulate, [tab.sim_salt, tr.store], tab.sim_json, api_name="class_simulate", **quick)


__all__ = ["ClassTab", "build_class_tab", "wire_class", "make_load_fn", "open_class", "join_class", "make_view_fn",
           "export_csv", "simulate", "chart_html"]
