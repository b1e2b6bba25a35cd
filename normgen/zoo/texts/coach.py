"""The coach (no gradio): guided paths shown on Explore itself, each step naming the control to use, one
sentence on what to watch, and the condition that ticks it off; and the lessons as such paths, each with a
**predict, then reveal** question whose right answer is computed from the index.

A path is data the page's script follows (normgen.app.tabs.explore_coach): the "Start here" path on the
first visit, then one path per lesson (normgen.zoo.texts.lessons gives the setting and the measured text).
Every number in a step or an answer is read from the zoo index (normgen.zoo.findings, small_data) and
judged against the baseline's seed spread (normgen.zoo.verdicts); a path the zoo cannot back is left out.

The page keeps where the learner is in the link: `coach=<path>&coach_step=<n>&coach_guess=<choice>`
(`fragment` / `parse`); nothing about a learner is stored on the server.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

from normgen.data import class_names
from normgen.models import family
from normgen.words import fmt_lambda, fmt_num
from normgen.zoo import findings
from normgen.zoo import small_data as SD
from normgen.zoo import sweep_stats as SS
from normgen.zoo.coverage import COLLAPSE, collapsed, effective_classes
from normgen.zoo.index import ZooIndex
from normgen.zoo.texts import lessons as L
from normgen.zoo.verdicts import Stat, versus_spread

START = "start"
KEYS = ("coach", "coach_step", "coach_guess")  # the link's keys
STEP_MAX = 20


@dataclass(frozen=True)
class Step:
    """One thing to do: the control (its elem_id) the page points at, what to do, what to watch, and
    when it is done (`tick`: bounds on the page's values, {"l1_min": 1e-4, "l2_max": 0.0, "seed_not": 0})."""

    control: str
    do: str
    watch: str
    tick: dict[str, float]


@dataclass(frozen=True)
class Question:
    """Predict, then reveal: the question, its choices (key, words), the key the index says is right and the
    measured sentence shown with it."""

    ask: str
    choices: tuple[tuple[str, str], ...]
    answer: str
    verdict: str
    also: tuple[str, ...] = ()  # choices counted right too (samples worse by the FD and nearly collapsed)


@dataclass(frozen=True)
class Path:
    """A guided path: its key (`START` or a lesson's), title, Explore's setting, steps and question."""

    key: str
    title: str
    state: dict[str, Any]
    steps: tuple[Step, ...] = ()
    question: Question | None = None
    text: str = ""  # the lesson's measured sentences (normgen.zoo.texts.lessons), shown with the answer
    pictures: str = ""  # "" | "batchnorm" | "nearest": the side-by-side row the lesson adds (explore_coach)


SAMPLES = (("better", "better than the baseline (a lower FD)"),
           ("same", "no change beyond seed noise"),
           ("worse", "worse (a higher FD)"),
           ("collapsed", "collapsed: one shape, repeated"))


def _lam(v: float) -> str:
    return fmt_lambda(v)


def _pct(s: Stat, seeds: bool = True) -> str:
    """'23.2% (19.4–26.9% over 2 training seeds)': the grids and histogram show one seed, so the range says
    where that one lies."""
    if seeds and len(s.vals) > 1 and f"{s.lo:.1f}" != f"{s.hi:.1f}":
        return f"{s.mean:.1f}% ({s.lo:.1f}–{s.hi:.1f}% over {len(s.vals)} training seeds)"
    return f"{s.mean:.1f}%"


def sample_verdict(base: Any, p: Any, dataset: str) -> tuple[str, str] | None:
    """(key of SAMPLES, sentence) for the sweep point `p` against the baseline point `base`: collapsed when
    the class entropy is below the collapse line, else the judge FD against the baseline's seed spread
    ("near" it counts as no change). None when the index lacks the FD. `nearly_collapsed` says when a
    "worse" is close to a collapse (a "collapsed" guess then counts as right too)."""
    k = len(class_names(dataset)) or 10
    fd0, fd1 = SS.point_stat(base, SS.metric_getter("fd")), SS.point_stat(p, SS.metric_getter("fd"))
    h0, h1 = (SS.point_stat(x, SS.metric_getter("class_entropy")) for x in (base, p))
    if not (fd0.ok and fd1.ok):
        return None
    fd = f"mean FD (Fréchet distance, lower is better) {fmt_num(fd0.mean)} → {fmt_num(fd1.mean)}"
    spread = (f"the baseline's {len(fd0.vals)} training seeds span {fmt_num(fd0.lo)}–{fmt_num(fd0.hi)}"
              if len(fd0.vals) > 1 else "one baseline seed")
    if h1.ok and collapsed(h1.mean, k) and not (h0.ok and collapsed(h0.mean, k)):
        return "collapsed", (f"Collapsed: the samples cover {effective_classes(h1.mean):.1f} of {k} classes "
                             f"(baseline {effective_classes(h0.mean):.1f}); {fd}.")
    where = versus_spread(fd0, fd1.mean) if len(fd0.vals) > 1 else "outside"
    if where != "outside":
        return "same", f"No change beyond seed noise: {fd}, while {spread}."
    if fd1.mean < fd0.mean:
        return "better", f"Better: {fd}, outside the seed spread ({spread})."
    e0, e1 = (effective_classes(h.mean) if h.ok else 0.0 for h in (h0, h1))
    s0, s1 = (SS.point_stat(x, SS.metric_getter("pixel_spread")) for x in (base, p))
    alike = (f"; they differ from one another by {fmt_num(s1.mean)} per pixel (baseline {fmt_num(s0.mean)})"
             if s0.ok and s1.ok else "")
    cover = (f" They cover {e1:.1f} of {k} classes (baseline {e0:.1f}){alike}: "
             + ("nearly collapsed, " if nearly_collapsed(base, p, dataset) else "fewer, ")
             + f"but above the collapse line of {effective_classes(COLLAPSE * math.log(k)):.1f} classes."
             if h0.ok and h1.ok and e1 < e0 - 1 else "")
    return "worse", f"Worse: {fd}, outside the seed spread ({spread}).{cover}"


def nearly_collapsed(base: Any, p: Any, dataset: str) -> bool:
    """Fewer than half the baseline's effective classes, yet above the collapse line: a picture that looks
    like one shape repeated to a learner, which the project's measure does not call a collapse."""
    h0, h1 = (SS.point_stat(x, SS.metric_getter("class_entropy")) for x in (base, p))
    k = len(class_names(dataset)) or 10
    return (h0.ok and h1.ok and not collapsed(h1.mean, k)
            and effective_classes(h1.mean) < effective_classes(h0.mean) / 2)


def _point(sweep: Any, kind: str, lam: float) -> Any:
    return next((p for p in sweep.points if math.isclose(p.lams[kind], lam)), None) if sweep else None


def start_path(index: ZooIndex, dataset: str) -> Path | None:
    """"Start here": L1 one step (the spike at zero grows), L1 further (the samples change), L2 to its
    collapse (one shape repeated), then new noise (the difference stays). None without the GAN's sweeps."""
    model = "gan"
    l1, l2 = SS.find_sweep(index, model, dataset, "l1"), SS.find_sweep(index, model, dataset, "l2")
    if l1 is None or l2 is None:
        return None
    part, nz = l1.part, SS.wstat_getter(l1.part, "near_zero_pct")
    base, c1 = l1.points[0], SS.collapse_point(l1)
    intact = [p for p in l1.points[1:] if c1 is None or p.lams["l1"] < c1.lams["l1"]] or l1.points[1:2]
    # the first stop: the largest λ whose samples are still within seed noise (the L1 lesson's point), so the
    # histogram's change is large and the grid's is none; then the first λ past it whose samples changed
    same = [p for p in intact if (v := sample_verdict(base, p, dataset)) and v[0] == "same"]
    first = same[-1] if same else intact[0]
    later = [p for p in intact if p.lams["l1"] > first.lams["l1"]]
    far = next((p for p in later if (v := sample_verdict(base, p, dataset)) and v[0] != "same"),
               later[-1] if later else first)
    nz0, nz1, nzf = (SS.point_stat(p, nz) for p in (base, first, far))
    if not (nz0.ok and nz1.ok and nzf.ok):
        return None
    steps = [Step("explore-l1-slider", f"Drag the **L1** slider to the right, to λ = {_lam(first.lams['l1'])}.",
                  f"Watch the weight histogram: the spike at zero grows. Near-zero {part} weights: "
                  f"{_pct(nz0, seeds=False)} → {_pct(nz1)}.",
                  {"l1_min": first.lams["l1"]})]
    if far is not first:
        v = sample_verdict(base, far, dataset)
        steps.append(Step("explore-l1-slider", f"Keep dragging **L1**, to λ = {_lam(far.lams['l1'])}.",
                          f"There, {_pct(nzf)} of the weights are near zero. Watch the selected grid. "
                          + (v[1] if v else "(Its FD was not measured.)"),
                          {"l1_min": far.lams["l1"]}))
    c2 = SS.collapse_point(l2) or l2.points[-1]
    v2 = sample_verdict(l2.points[0], c2, dataset)
    steps.append(Step("explore-l2-slider", f"Set L1 back to 0, then drag the **L2** slider to λ = "
                      f"{_lam(c2.lams['l2'])}.",
                      "Watch the selected grid. " + (v2[1] if v2 else "(Its FD was not measured.)"),
                      {"l1_max": 0.0, "l2_min": c2.lams["l2"]}))
    steps.append(Step("explore-new-noise", "Press **New noise**.",
                      "Both grids are drawn again from the same new noise; what differs between them stays: it is "
                      "the penalty's doing, not the noise's.", {"seed_not": 0}))
    state = {"model": model, "dataset": dataset, "g_norm": "none", "l1": 0.0, "l2": 0.0,
             "target": family(model).sampler_part, "variant": "loss", "seed": 0}
    return Path(START, "Start here: what a weight penalty does", state, tuple(steps))


def _sample_question(les: L.Lesson, sweep: Any, kind: str, ask: str) -> Question | None:
    lam = les.state.get(kind, 0.0)
    p = _point(sweep, kind, lam)
    v = sample_verdict(sweep.points[0], p, les.state["dataset"]) if p is not None else None
    if not v:
        return None
    near = v[0] == "worse" and nearly_collapsed(sweep.points[0], p, les.state["dataset"])
    return Question(ask, SAMPLES, v[0], v[1], ("collapsed",) if near else ())


def _small_question(les: L.Lesson, index: ZooIndex, model: str) -> Question | None:
    got = L.small_setting(index, les.state["dataset"], model)
    if got is None:
        return None
    block, p = got
    main, _ = SD.measures(model)
    short, sentence = SD.verdict(model, block.baseline, p)
    lam = next((f"{k.upper()} λ = {_lam(v)}" for k, v in p.lams.items() if v), "a penalty")
    if family(model).has_elbo:
        ask = (f"The VAE learns from only {block.train_size:,} images; {lam} goes on its decoder. On new images "
               "it has never seen (the held-out ELBO), it will do…")
        choices = (("better", "better"), ("same", "no differently (within seed noise)"), ("worse", "worse"))
        answer = {"held": "better", "did not hold": "worse"}.get(short, "same")
    else:
        ask = (f"On {block.train_size:,} images the discriminator scores its training images higher than new ones "
               f"(a gap). With {lam} on the discriminator, that gap will…")
        choices = (("narrow", "narrow"), ("same", "stay the same (within seed noise)"), ("widen", "widen"))
        answer = {"held": "narrow", "did not hold": "widen"}.get(short, "same")
    if short == "cannot tell":
        return None
    words = main.words(block.baseline, p)
    return Question(ask, choices, answer, f"{words[0].upper()}{words[1:]}. The textbook claim, that a penalty "
                    f"{main.claim}: {SD.VERDICTS[short]}.")


def lesson_paths(index: ZooIndex, dataset: str) -> list[Path]:
    """One path per lesson the zoo backs (normgen.zoo.texts.lessons), each with its predict-then-reveal
    question; a lesson without its entries is left out."""
    out = []
    for les in L.lessons(index, dataset):
        if not les.measured:
            continue
        st, q, extra, steps = les.state, None, "", ()
        if les.key == "l1-sparse":
            sw = SS.find_sweep(index, "gan", st["dataset"], "l1")
            q = _sample_question(les, sw, "l1", f"L1 λ = {_lam(st['l1'])} pulls every generator weight toward "
                                 "zero. Next to the baseline, its samples will be…")
            nxt = [p for p in sw.points if p.lams["l1"] > st["l1"]] if sw else []
            if nxt:
                steps = (Step("explore-l1-slider", f"Now drag **L1** further, to λ = {_lam(nxt[0].lams['l1'])}.",
                              "Watch the spike at zero in the weight histogram grow.", {"l1_min": nxt[0].lams["l1"]}),)
        elif les.key == "l2-collapse":
            sw = SS.find_sweep(index, "gan", st["dataset"], "l2")
            q = _sample_question(les, sw, "l2", f"L2 λ = {_lam(st['l2'])} shrinks every generator weight in "
                                 "proportion to its size. Its samples will be…")
            before = [p for p in sw.points[1:] if p.lams["l2"] < st["l2"]] if sw else []
            if before and q is not None and q.answer == "collapsed":
                steps = (Step("explore-l2-slider", f"Drag **L2** one step left, to λ = {_lam(before[-1].lams['l2'])}.",
                              "Watch the samples come back apart: different shapes again.",
                              {"l2_max": before[-1].lams["l2"], "l2_min": before[-1].lams["l2"]}),)
        elif les.key == "batchnorm":
            sw = SS.find_sweep(index, "gan", st["dataset"], "l2", g_norm="batch")
            p = _point(sw, "l2", st["l2"])
            norm = SS.wstat_getter(sw.part, "l2") if sw else None
            n0, n1 = (SS.point_stat(sw.points[0], norm), SS.point_stat(p, norm)) if p else (Stat([]), Stat([]))
            shrink = (f" shrinks its weights' norm from {fmt_num(n0.mean)} to {fmt_num(n1.mean)}" if n0.ok and n1.ok
                      else " shrinks its weights")
            q = _sample_question(les, sw, "l2", f"With batch norm in the generator, L2 λ = {_lam(st['l2'])}{shrink}. "
                                 "Batch norm rescales each layer's output, so its samples will be…")
            extra = "batchnorm"
        elif les.key.startswith("small-data-"):
            model = les.key.removeprefix("small-data-")
            q = _small_question(les, index, model)
            extra = "nearest"
        if q is None:
            continue
        out.append(Path(les.key, les.title, st, steps, q, les.text, extra))
    return out


def paths(index: ZooIndex, dataset: str | None = None) -> list[Path]:
    """Every path: "Start here" first (when the zoo backs it), then the lessons in teaching order."""
    dataset = dataset or findings.pick_dataset(index)
    if dataset is None:
        return []
    start = start_path(index, dataset)
    return ([start] if start else []) + lesson_paths(index, dataset)


def paths_json(found: list[Path]) -> str:
    """The paths as the page's script reads them: {key: {title, steps, question, text, pictures}}."""
    out = {}
    for p in found:
        d = asdict(p)
        d.pop("state")
        if p.question is not None:
            d["question"]["choices"] = [list(c) for c in p.question.choices]
        out[p.key] = d
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


@dataclass
class CoachState:
    """Where a learner is: the path, the step reached and the guess made (None: not yet)."""

    path: str = ""
    step: int = 0
    guess: str | None = None
    bad: list[str] = field(default_factory=list)  # what a link had wrong, one line per key


def parse(params: dict[str, Any], found: list[Path]) -> CoachState:
    """The coach's keys of a link, checked against `found` (a bad one is dropped and named in `bad`)."""
    by = {p.key: p for p in found}
    st = CoachState()
    raw = params.get("coach")
    if raw is None:
        return st
    if raw not in by:
        allowed = ", ".join(by) or "(none: the zoo backs no path)"
        st.bad.append(f"coach: must be one of {allowed}; got {str(raw)[:60]!r}")
        return st
    st.path, path = raw, by[raw]
    if "coach_step" in params:
        try:
            n = int(str(params["coach_step"]))
            if not 0 <= n <= len(path.steps):
                raise ValueError
            st.step = n
        except ValueError:
            st.bad.append(f"coach_step: must be a whole number in [0, {len(path.steps)}]; got "
                          f"{str(params['coach_step'])[:60]!r}")
    g = params.get("coach_guess")
    if g is not None:
        keys = [c[0] for c in path.question.choices] if path.question else []
        if g in keys:
            st.guess = g
        else:
            st.bad.append(f"coach_guess: must be one of {', '.join(keys) or '(no question on this path)'}; "
                          f"got {str(g)[:60]!r}")
    return st


def fragment(st: CoachState) -> str:
    """'coach=start&coach_step=2' (no '?'; '' when no path is open): the coach's part of the link."""
    if not st.path:
        return ""
    d: dict[str, Any] = {"coach": st.path}
    if st.step:
        d["coach_step"] = st.step
    if st.guess:
        d["coach_guess"] = st.guess
    return urlencode(d)


__all__ = ["Step", "Question", "Path", "CoachState", "START", "KEYS", "SAMPLES", "sample_verdict", "start_path",
           "lesson_paths", "paths", "paths_json", "parse", "fragment", "nearly_collapsed"]
