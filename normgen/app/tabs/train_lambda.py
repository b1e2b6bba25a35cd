"""The Train tab's λ controls: log-scale sliders over the exponent, their readouts, and the hand-over of a changed
λ to this session's running run (from its next step).

A slider has no log scale, so a λ slider moves over the exponent: -6 … 0 in quarter decades (1e-6 … 1), and one
notch further left, OFF_EXPONENT, means "off" (λ = 0). The λ itself (the value /train takes) is kept exactly: a
value copied from Explore or a link (2e-4) stays 2e-4 and the slider shows its nearest notch."""

from __future__ import annotations

import math
import time
from typing import Any

import gradio as gr

from normgen.app.events import PRIVATE, refuse
from normgen.app.replies import in_order
from normgen.glossary import explain
from normgen.regularizers import PENALTIES
from normgen.service import inputs as I
from normgen.service.train_store import TrainStore
from normgen.words import fmt_lambda

EXP_MIN, EXP_MAX, EXP_STEP = -6.0, 0.0, 0.25
OFF_EXPONENT = EXP_MIN - EXP_STEP  # the slider's leftmost notch: λ = 0


def exponent_of(lam: float) -> float:
    """The slider notch of a λ: OFF_EXPONENT for 0, else log10 rounded to a quarter decade in
    [EXP_MIN, EXP_MAX]."""
    if not lam or lam <= 0:
        return OFF_EXPONENT
    e = round(math.log10(lam) / EXP_STEP) * EXP_STEP
    return min(EXP_MAX, max(EXP_MIN, e))


def lambda_of(exponent: Any) -> float:
    """The λ of a slider notch (two significant digits: 10^-3.75 -> 1.8e-4); 0 at or below 'off'."""
    e = float(exponent)
    if not math.isfinite(e) or e < EXP_MIN - EXP_STEP / 2:
        return 0.0
    return float(f"{10 ** min(EXP_MAX, e):.2g}")


def lambda_label(name: str, lam: float) -> str:
    """The slider's label, which is also its readout: 'L1 λ = 1e-2' / 'L1 λ: off'."""
    if not lam:
        return f"{name} λ: off"
    return f"{name} λ = {fmt_lambda(lam)}"


# a λ slider moves over the exponent: its number box and end labels would show exponents, so they are
# hidden; the label is the readout (λ = 1e-2) and the info line names the ends
SLIDER_CSS = ("<style>.lambda-slider .tab-like-container, .lambda-slider .min_value, .lambda-slider .max_value "
              "{ display: none !important; } .lambda-readout { margin-top: -0.4em; }</style>")


def lambda_slider(name: str, value: float, elem_id: str) -> gr.Slider:
    info = PENALTIES[name]
    # a static label: updating a slider's label re-renders it, which drops the keyboard focus and a drag
    return gr.Slider(OFF_EXPONENT, EXP_MAX, value=exponent_of(value), step=EXP_STEP,
                     label=f"{info.label} λ (adds {info.formula})", elem_id=elem_id,
                     info="log scale: far left = off, then 1e-6 … 1", buttons=[], elem_classes=["lambda-slider"])


def lambda_readout(name: str, value: float, elem_id: str) -> gr.Markdown:
    return gr.Markdown(readout_text(name, value), elem_id=elem_id, elem_classes=["lambda-readout"])


def readout_text(name: str, lam: float) -> str:
    return explain(f"**{lambda_label(PENALTIES[name].label, lam)}**")  # λ: its definition on hover / tap


def on_lambda(l1: Any, l2: Any, store: TrainStore) -> str:
    """The /train_lambda handler: hand new λ to this session's running run (checked, named if bad)."""
    try:
        lams = {"l1": I.parse_lambda("l1", l1), "l2": I.parse_lambda("l2", l2)}
    except I.InputError as exc:
        raise refuse(str(exc), title="Invalid input") from None
    run = store.run
    if run is None or run.done.is_set() or run.stop_event.is_set():
        return ""
    return run.set_lambdas(**lams)


MOVED = ("lam", "readout", "live_note")  # a slider's move: its λ, its readout, the running run's note (by name)
SET = ("exponent", "readout")  # a λ set from elsewhere: its slider's notch and readout
SLIDER_QUIET_S = 3.0  # a λ value that changes this soon after its slider moved came from the slider
SLIDER_SETTLE_S = 1.0  # a running run takes a slider's λ once the slider has rested this long


def slider_to_lambda(exponent: float, store: TrainStore, name: str) -> tuple[float, str, Any]:
    """A slider moved: MOVED (the λ /train takes, its readout, what happens to the running run). The run of
    this session takes the λ the slider comes to rest on (SLIDER_SETTLE_S), so a drag through ten
    notches, or ten arrow-key presses, is one change."""
    store.slider_moved[name] = time.monotonic()
    lam = lambda_of(exponent)
    run, note = store.run, gr.skip()
    if run is not None and not run.done.is_set() and not run.stop_event.is_set():
        note = run.set_lambdas(SLIDER_SETTLE_S, **{name: lam}) or gr.skip()
    return in_order({"lam": lam, "readout": readout_text(name, lam), "live_note": note}, MOVED)


def lambda_to_slider(lam: Any, store: TrainStore, name: str) -> tuple[Any, Any]:
    """A λ set from elsewhere (a link, Explore's 'Train this setting') -> SET (its slider notch and readout).
    Not when the λ came from its own slider a moment ago: the notch sent back would lag behind a slider
    still moving and pull it back."""
    if time.monotonic() - store.slider_moved.get(name, -1e9) < SLIDER_QUIET_S:
        return in_order(dict.fromkeys(SET, gr.skip()), SET)
    try:
        v = I.parse_lambda(name, lam)
    except I.InputError:
        return in_order(dict.fromkeys(SET, gr.skip()), SET)
    return in_order({"exponent": exponent_of(v), "readout": readout_text(name, v)}, SET)


def wire_lambdas(tab: Any) -> None:
    """The λ events of a TrainTab (see its fields l1, l1_exp, l1_readout, live_note, lambda_btn, store)."""
    # λ: moving a slider sets the value /train takes, its readout, and (once the slider rests) the λ of
    # this session's running run. A value set elsewhere (a link, Explore) moves its slider.
    for exp, num, read, name in ((tab.l1_exp, tab.l1, tab.l1_readout, "l1"),
                                 (tab.l2_exp, tab.l2, tab.l2_readout, "l2")):
        widgets = {"lam": num, "exponent": exp, "readout": read, "live_note": tab.live_note}
        exp.input(lambda e, store, n=name: slider_to_lambda(e, store, n), [exp, tab.store],
                  [widgets[k] for k in MOVED], trigger_mode="always_last", concurrency_limit=None, **PRIVATE)
        num.change(lambda v, store, n=name: lambda_to_slider(v, store, n), [num, tab.store],
                   [widgets[k] for k in SET], concurrency_limit=None, preprocess=False, **PRIVATE)
    tab.lambda_btn.click(on_lambda, [tab.l1, tab.l2, tab.store], tab.live_note, api_name="train_lambda",
                         concurrency_limit=None, preprocess=False, show_progress="hidden",
                         api_description="New λ for this session's running run, from its next step (recorded "
                                         "in its lambda_changes); returns what happens.")
