"""The Train tab's handlers: plain functions behind its events, the public /train (a generator streaming
a run), /train_result (this session's latest run once it has ended), the measured time estimate of the
controls' setting, the Penalized-part update, and Compare (this session's run beside a zoo checkpoint from
the same noise). The layout and the wiring are normgen.app.tabs.train.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePath
from typing import Any

import gradio as gr

from normgen.app.events import refuse
from normgen.app.replies import in_order
from normgen.app.tabs.explore import target_choices
from normgen.app.tabs.train_view import (
    colours,
    curves,
    legend_html,
    picture_words,
    setting_words,
    start_phrase,
    status_text,
)
from normgen.checkpoints import CheckpointError
from normgen.classroom.results import class_run, post_finished
from normgen.data import dataset_label
from normgen.glossary import explain
from normgen.models import family, model_label
from normgen.service import inputs as I
from normgen.service.admission import Refused, admission, shared_seconds
from normgen.service.run_estimate import estimate_text, prepare
from normgen.service.runs import Snapshot, compare_samples, start_run, stop, stream
from normgen.service.train_plan import device_description, plan_run
from normgen.service.train_store import TrainStore
from normgen.service.zoo_access import get_index, zoo_problem
from normgen.zoo.files import public_problem
from normgen.zoo.readings import images_words
from normgen.zoo.texts.report import describe, lambda_terms, size_words
from normgen.zoo.views import translation_view as TV

RESULT_WAIT_S = 30.0  # /train_result waits this long for a run that is still winding down


def compare_choices(root: str | None, model: str, dataset: str) -> tuple[list[tuple[str, str]], str | None]:
    """Zoo entries of the same model and dataset (baseline first) for the comparison dropdown."""
    if zoo_problem(root):
        return [], None
    if family(model).translates:  # its settings are λ_cyc and the cycle norm too
        choices = [(f"{TV.setting_label(e)} · {e.steps} steps", e.id)
                   for e in TV.translators(get_index(root), dataset) if e.model == model]
    else:
        rows = sorted(get_index(root).find(model=model, dataset=dataset),
                      key=lambda e: (not e.is_baseline, e.l1, e.l2, e.group, e.act, e.seed))
        choices = [(f"{describe(e)}{size_words(e)} · {e.g_norm} norm · seed {e.seed} · {e.steps} steps", e.id)
                   for e in rows]
    return choices, (choices[0][1] if choices else None)


def compare_update(root: str | None, cfg: Any) -> Any:
    """The Compare dropdown's update for a run of `cfg`: the zoo entries of its model and dataset."""
    choices, value = compare_choices(root, cfg.model.name, cfg.dataset)
    return gr.update(choices=choices, value=value)


def summary_of(s: Snapshot) -> dict[str, Any]:
    """The run's JSON summary (what scripts read): no server paths, only the downloads' file names."""
    return {"run_id": s.run_id, "status": s.status, "step": s.step, "total": s.total,
            "elapsed_s": round(s.elapsed, 2), "message": s.message,
            "files": {k: PurePath(v).name for k, v in s.files.items()}, "lambdas": dict(s.lambdas),
            "lambda_changes": [dict(c) for c in s.changes],
            "last": s.history[-1] if s.history else {}, "generalization": s.generalization,
            **({"translation": s.translation} if s.translation else {})}


# what the /train handler streams, by name (TrainTab's attribute names; normgen.app.replies)
RUN = ("status", "grid", "loss_plot", "pen_plot", "sparse_plot", "files", "command", "run_json", "compare_with",
       "loss_legend", "pen_legend", "sparse_legend")  # the legends last: an API client's earlier places keep
COMPARE = ("cmp_mine_caption", "cmp_mine", "cmp_zoo_caption", "cmp_zoo")  # the Compare button's reply


def run_outputs(s: Snapshot, how: str, extra: Any, run: Any) -> dict[str, Any]:
    """A snapshot of the run as the Train tab shows it, by name (RUN); `extra`: the Compare choices."""
    frames = dict(zip(("loss", "pen", "sparse"), curves(s.history, s.changes), strict=True))
    # an empty frame would fix the plot's series to none: send plots only once they have rows
    plots = {f"{k}_plot": gr.update(value=f, color_map=colours(f)) if len(f) else gr.skip() for k, f in frames.items()}
    legends = {f"{k}_legend": legend_html(f) if len(f) else gr.skip() for k, f in frames.items()}
    setting = setting_words(s, run.cfg.reg.target, run.cfg.reg.variant, run.cfg.model)
    picture = picture_words(run.cfg.model.name, run.inputs is not None)
    return {"status": explain(status_text(s, how, setting, picture)), "grid": s.grid, **plots, **legends,
            "files": list(s.files.values()) or None,
            "command": s.command if s.done else "", "run_json": summary_of(s),
            "compare_with": gr.skip() if extra is None else extra}


def ended_reply(root: str | None, s: Snapshot, run: Any) -> tuple:
    """RUN for the snapshot `s` of a run that has ended, with the Compare choices for its model and dataset."""
    return in_order(run_outputs(s, start_phrase(run.plan.start), compare_update(root, run.cfg), run), RUN)


def make_train_fn(root: str | None = None, data_root: str | None = None):
    """The /train handler: a generator streaming the run; parameter names are the API's."""

    def train(model: str, dataset: str, g_norm: str, l1: float, l2: float, target: str, variant: str,
              seed: float, steps: float, seconds: float, start: str, train_size: int, dropout: float, loss: str,
              lambda_cyc: float, lambda_id: float, cycle_norm: str, store: TrainStore,
              progress: gr.Progress = gr.Progress()):
        adm = admission()
        try:
            adm.check(store.key)  # refused at once, before any work for it
            plan = plan_run(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start,
                            train_size, dropout, loss, lambda_cyc, lambda_id, cycle_norm, root=root,
                            data_root=data_root, upload=store.upload)
            # a class member's run of its setting keeps the experiment's budget: cut short, it would not count
            if (any(adm.counts().values()) and plan.cfg.max_seconds > shared_seconds()
                    and not class_run(store.seat, plan.cfg)):
                plan = replace(plan, cfg=replace(plan.cfg, max_seconds=shared_seconds()))
                plan.notes.append(f"Others are training, so this run's time budget is {shared_seconds():g} s.")
            plan = prepare(plan)
            run = start_run(plan, data_root, session=store.key)
        except I.InputError as exc:
            raise refuse(str(exc), title="Invalid input") from None
        except Refused as exc:
            raise refuse(str(exc), title="Not started") from None
        store.replace_run(run)
        how = f"{start_phrase(plan.start)} on {device_description(plan.device)}" + (
            f", on your {plan.upload.count} images ({plan.upload.name})" if plan.upload is not None else "")
        try:
            for s in stream(run):
                progress(s.step / max(1, s.total), desc=f"step {s.step} / {s.total}")
                extra, note = None, ""
                if s.done:
                    extra = compare_update(root, plan.cfg)
                    note = post_finished(store.seat, run)  # a class member's run: checked here, then charted
                out = run_outputs(s, how, extra, run)
                if note:
                    out["status"] = f"{out['status']}\n\n{note}"
                yield in_order(out, RUN)
        finally:  # the stream was cancelled or closed: end the run, it keeps what it has
            if not run.done.is_set():
                run.stop_event.set()

    return train


def make_result_fn(root: str | None = None):
    """The /train_result handler: this session's latest run after it has ended (waits for a stopping one)."""

    def train_result(store: TrainStore) -> tuple:
        run = store.run
        if run is None:
            raise refuse("No run in this session: start one with /train (each client sees only its own runs).")
        if not run.done.is_set():
            if not run.stop_event.is_set():
                raise refuse(f"The run is still training (step {run.step} / {run.cfg.steps}); its result "
                               "comes when it ends, or stop it (cancel the /train job).")
            run.done.wait(RESULT_WAIT_S)
        return ended_reply(root, stop(run, wait=RESULT_WAIT_S), run)

    return train_result


def target_update(model: str, target: str) -> Any:
    """The Penalized-part control for `model`: its targets, keeping `target` where the model has it."""
    choices = I.target_choices(model)
    return gr.update(choices=target_choices(model), value=target if target in choices else choices[0])


def make_estimate_fn(root: str | None = None, data_root: str | None = None):
    """The measured time estimate of the Train controls' setting (markdown), or what is wrong with it."""

    def on_estimate(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start, train_size=0,
                    dropout=0.0, loss="ns", lambda_cyc=10.0, lambda_id=0.0, cycle_norm="l1",
                    store: TrainStore | None = None) -> str:
        try:
            plan = plan_run(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start,
                            train_size, dropout, loss, lambda_cyc, lambda_id, cycle_norm, root=root,
                            data_root=data_root, upload=store.upload if store is not None else None)
        except I.InputError as exc:
            return f"Warning: {exc}"
        notes = "".join(f"{n}\n\n" for n in plan.notes)
        c = admission().counts()
        line = (f"\n\nOn this server now: {c['running']} training, {c['waiting']} waiting."
                if c["running"] or c["waiting"] else "")
        return f"Device: **{device_description(plan.device)}**\n\n{notes}{estimate_text(plan)}{line}"

    return on_estimate


def make_compare_fn(root: str | None = None):
    """The handler of "Compare": this session's run and a zoo checkpoint, sampled from the same noise."""

    def on_compare(entry_id: str, seed: float, store: TrainStore) -> tuple:
        run = store.run
        if run is None or run.result is None:
            raise refuse("Train a run first (or stop one): there is nothing of yours to compare yet.")
        index = get_index(root)
        e = index.get(entry_id) if entry_id else None
        if e is None:
            raise refuse("Pick a zoo checkpoint to compare with.")
        if e.model != run.cfg.model.name or e.dataset != run.cfg.dataset:
            raise refuse(f"Pick a {model_label(run.cfg.model.name)} on {dataset_label(run.cfg.dataset)}: the same "
                           "noise only means the same thing for the same kind of model.")
        try:
            seed = I.parse_seed(seed)
        except I.InputError as exc:
            raise refuse(str(exc), title="Invalid input") from None
        try:
            mine, theirs = compare_samples(run, e, index.root, seed)
        except CheckpointError as exc:  # the entry is named, not where the zoo lives on the server
            raise refuse(f"A zoo file could not be used: {public_problem(exc)}") from None
        r, c = run.current_reg(), run.cfg
        me = " + ".join(lambda_terms({"l1": r.l1, "l2": r.l2})) or "λ = 0"
        extra = (f", dropout {c.model.dropout:g}" if c.model.dropout else "") + (
            f", {images_words(c.train_size)}" if c.train_size else "") + (
            ", λ changed mid-run" if run.live.changes else "")
        if run.translates:  # the same held-out inputs, each row a | G(a) | F(G(a)) | truth
            m = c.model
            words = (f"**Your run:** λ_cyc {m.lambda_cyc:g}, cycle {m.cycle_norm.upper()}, {me} on the {r.target}"
                     f"{extra}, {run.result.steps} steps", f"**Zoo:** {TV.setting_label(e)}, {e.steps} steps")
        else:
            words = (f"**Your run:** {me} on the {r.target}{extra}, {run.result.steps} steps",
                     f"**Zoo:** {describe(e)}{size_words(e)}, {e.steps} steps")
        return in_order({"cmp_mine_caption": words[0], "cmp_mine": mine, "cmp_zoo_caption": words[1],
                         "cmp_zoo": theirs}, COMPARE)

    return on_compare
