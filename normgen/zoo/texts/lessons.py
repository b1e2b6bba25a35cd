"""Lessons: guided presets, each a setting of the Explore tab with two or three sentences generated from the
zoo's measured numbers, and a shareable link that opens Explore there. normgen.zoo.texts.coach makes each a
path on Explore with a predict-then-reveal question; these sentences are its answer's details.

Every number comes from the index through the readings the Learn page uses (normgen.zoo.findings for
the full-data sweeps, normgen.zoo.small_data for the small training sets); every effect is judged
against the seed spread (and the sampling spread, where measured) by normgen.zoo.verdicts. A lesson
whose entries the zoo lacks says so and names what is missing instead of stating anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from normgen.data import class_names, dataset_label
from normgen.eval.likelihood import K as IWAE_K
from normgen.models import family
from normgen.words import fmt_lambda, fmt_num
from normgen.zoo import findings
from normgen.zoo import small_data as SD
from normgen.zoo import sweep_stats as SS
from normgen.zoo.coverage import collapsed, coverage_words, effective_classes
from normgen.zoo.index import ZooIndex
from normgen.zoo.readings import images_words
from normgen.zoo.spec import DATASETS as GRID_DATASETS
from normgen.zoo.verdicts import change, versus_spread


@dataclass(frozen=True)
class Lesson:
    """One preset: a title, sentences from the numbers, the Explore setting and its link."""

    key: str
    title: str
    text: str  # markdown, two or three sentences
    state: dict[str, Any] = field(default_factory=dict)  # Explore's settings (service.requests.EXPLORE_KEYS)
    measured: bool = True  # False: the zoo lacks the entries; `text` says which


def _missing(key: str, title: str, what: str) -> Lesson:
    return Lesson(key, title, f"Not measured yet: the zoo has no {what}, so this lesson cannot say anything. "
                  "The Compare tab lists which checkpoints are missing.", {}, measured=False)


def _state(model: str, dataset: str, **kw: Any) -> dict[str, Any]:
    return {"model": model, "dataset": dataset, "g_norm": "none", "l1": 0.0, "l2": 0.0,
            "target": family(model).sampler_part, "variant": "loss", "seed": 0, "train_size": 0, "dropout": 0.0,
            **kw}


def _near(sweep, kind: str, lam: float):
    return next((p for p in sweep.points[1:] if math.isclose(p.lams[kind], lam)), None) if sweep else None


def l1_sparse(index: ZooIndex, dataset: str) -> Lesson:
    """L1 on the GAN generator: the largest λ whose judge FD stays inside (or near) the baseline's seed
    spread, and how many weights are near zero there and at the largest λ before collapse."""
    key, title, model = "l1-sparse", "L1 makes weights sparse", "gan"
    sw = SS.find_sweep(index, model, dataset, "l1")
    if sw is None:
        return _missing(key, title, f"L1 sweep of the {family(model).label} generator on {dataset_label(dataset)}")
    part, nz, fd = sw.part, SS.wstat_getter(sw.part, "near_zero_pct"), SS.metric_getter("fd")
    base, c = sw.points[0], SS.collapse_point(sw)
    intact = [p for p in sw.points[1:] if c is None or p.lams["l1"] < c.lams["l1"]]
    nz0, fd0 = SS.point_stat(base, nz), SS.point_stat(base, fd)
    ok = [p for p in intact if SS.point_stat(p, fd).ok and SS.point_stat(p, nz).ok]
    if not (ok and nz0.ok and fd0.ok):
        return _missing(key, title, f"L1 points with sparsity and FD for the {family(model).label} generator")
    free = [p for p in ok if len(fd0.vals) > 1 and versus_spread(fd0, SS.point_stat(p, fd).mean) != "outside"]
    p = free[-1] if free else ok[0]
    s1 = (f"In the GAN {part}, L1 λ={fmt_lambda(p.lams['l1'])} raised the near-zero weights from "
          f"{nz0.fmt('.1f', '%', compact=True)} to {SS.point_stat(p, nz).fmt('.1f', '%', compact=True)}; "
          f"{change(fd0, SS.point_stat(p, fd), 'judge FD')}.")
    last = ok[-1]
    s2 = ""
    if last is not p:
        s2 = (f" At λ={fmt_lambda(last.lams['l1'])}, {SS.point_stat(last, nz).fmt('.1f', '%', compact=True)} are "
              f"near zero; {change(fd0, SS.point_stat(last, fd), 'judge FD')}.")
    zero = SS.point_stat(p, SS.wstat_getter(part, "zero_pct"))
    s3 = (f" Exactly zero: {zero.fmt('.2f', '%', compact=True)}: in the loss, L1 makes weights small, not zero."
          if zero.ok and zero.mean < 1.0 else "")
    return Lesson(key, title, s1 + s2 + s3, _state(model, dataset, l1=p.lams["l1"]))


def l2_collapse(index: ZooIndex, dataset: str) -> Lesson:
    """L2 on the GAN generator: the smallest λ whose samples collapse, its weight norm and coverage."""
    key, title, model = "l2-collapse", "How much L2 can the GAN take?", "gan"  # the title does not give the answer away
    sw = SS.find_sweep(index, model, dataset, "l2")
    if sw is None:
        return _missing(key, title, f"L2 sweep of the {family(model).label} generator on {dataset_label(dataset)}")
    part, k = sw.part, len(class_names(dataset)) or 10
    norm, ent, conf = SS.wstat_getter(part, "l2"), SS.metric_getter("class_entropy"), SS.metric_getter("confident_pct")
    base, c = sw.points[0], SS.collapse_point(sw)
    h0, n0 = SS.point_stat(base, ent), SS.point_stat(base, norm)
    if not (h0.ok and n0.ok):
        return _missing(key, title, "class entropy or weight norm for the GAN's L2 baseline")
    if c is None:
        last = sw.points[-1]
        h = SS.point_stat(last, ent)
        text = (f"No L2 point of this sweep collapsed the GAN: at the largest, λ={fmt_lambda(last.lams['l2'])}, the "
                f"samples are {coverage_words(h.mean, k) if h.ok else 'of unmeasured coverage'} (baseline "
                f"{coverage_words(h0.mean, k)}).")
        return Lesson(key, title, text, _state(model, dataset, l2=last.lams["l2"]))
    h, n = SS.point_stat(c, ent), SS.point_stat(c, norm)
    before = [p for p in sw.points[1:] if p.lams["l2"] < c.lams["l2"]]
    look = SS.pictures(base, c, compact=True)
    s1 = (f"From L2 λ={fmt_lambda(c.lams['l2'])} the GAN's samples collapse: they cover "
          f"{effective_classes(h.mean):.1f} of {k} classes (baseline {effective_classes(h0.mean):.1f})"
          + (f", {look}" if look else "") + f"; the {part}'s weight norm fell from "
          f"{n0.fmt(compact=True)} to {n.fmt(compact=True)}.")
    s2 = ""
    if before:
        b = before[-1]
        hb = SS.point_stat(b, ent)
        if hb.ok and not collapsed(hb.mean, k):
            s2 = (f" At λ={fmt_lambda(b.lams['l2'])} they still spread over {effective_classes(hb.mean):.1f} of "
                  f"{k} classes.")
    c0, c1 = SS.point_stat(base, conf), SS.point_stat(c, conf)
    s3 = ""
    if c0.ok and c1.ok and c1.mean > c0.mean:
        s3 = (f" The judge is confident about {c1.fmt('.0f', '%', compact=True)} of the collapsed samples "
              f"(baseline {c0.fmt('.0f', '%', compact=True)}): a repeated glyph is easy to be sure of.")
    return Lesson(key, title, s1 + s2 + s3, _state(model, dataset, l2=c.lams["l2"]))


def batchnorm(index: ZooIndex, dataset: str) -> Lesson:
    """The batch-norm GAN's L2 axis beside the same λ without normalization: weight norm and judge FD."""
    key, title, model = "batchnorm", "Batch norm and penalties", "gan"
    bn, plain = SS.find_sweep(index, model, dataset, "l2", g_norm="batch"), SS.find_sweep(index, model, dataset, "l2")
    if bn is None or plain is None:
        return _missing(key, title, "L2 sweep of the GAN with and without batch norm in the generator")
    k = len(class_names(dataset)) or 10
    norm, fd, ent = SS.wstat_getter(bn.part, "l2"), SS.metric_getter("fd"), SS.metric_getter("class_entropy")
    pairs = [(p, _near(plain, "l2", p.lams["l2"])) for p in bn.points[1:]]
    pairs = [(p, q) for p, q in pairs if q is not None and SS.point_stat(p, fd).ok and SS.point_stat(q, fd).ok
             and not (SS.point_stat(p, ent).ok and collapsed(SS.point_stat(p, ent).mean, k))]
    fd_bn0, fd_pl0 = SS.point_stat(bn.points[0], fd), SS.point_stat(plain.points[0], fd)
    n0 = SS.point_stat(bn.points[0], norm)
    if not pairs or not (fd_bn0.ok and fd_pl0.ok and n0.ok):
        return _missing(key, title, "L2 points at the same λ with and without batch norm")
    p, q = pairs[-1]
    n = SS.point_stat(p, norm)
    s1 = (f"Batch norm divides by the batch's spread, so smaller weights before it need not change its output. "
          f"With it, L2 λ={fmt_lambda(p.lams['l2'])} shrank the GAN generator's weight norm from "
          f"{n0.fmt(compact=True)} to {n.fmt(compact=True)}; {change(fd_bn0, SS.point_stat(p, fd), 'judge FD')}.")
    s2 = f" Without batch norm, the same λ: {change(fd_pl0, SS.point_stat(q, fd), 'judge FD')}."
    moved = len(fd_bn0.vals) > 1 and versus_spread(fd_bn0, SS.point_stat(p, fd).mean) == "outside"
    s3 = (" Batch norm did not fully hide the penalty." if moved else
          " Within the seed spread, batch norm hid the penalty from the samples." if len(fd_bn0.vals) > 1 else
          " With one batch-norm baseline seed, the zoo cannot tell an effect from seed noise.")
    return Lesson(key, title, s1 + s2 + s3, _state(model, dataset, g_norm="batch", l2=p.lams["l2"]))


def _small_block(index: ZooIndex, model: str, dataset: str) -> SD.Block | None:
    found = [b for b in SD.blocks(index) if b.model == model and b.dataset == dataset and b.baseline is not None
             and b.g_norm == "none" and b.d_norm == "none"]
    return min(found, key=lambda b: b.train_size) if found else None


def _best_penalty(block: SD.Block) -> SD.Setting | None:
    """The norm-penalty setting (no dropout) with several seeds whose claim held, with the best main
    measure; else the first penalty setting."""
    main, _ = SD.measures(block.model)
    pens = [p for p in block.points if any(p.lams.values()) and not p.dropout]
    held = [p for p in pens if SD.verdict(block.model, block.baseline, p)[0] == "held" and len(p.seeds) > 1]
    if held:
        sign = 1 if main.higher_is_better else -1
        return max(held, key=lambda p: sign * p.stat(main.get).mean)
    return pens[0] if pens else None


def _lam_state(p: SD.Setting) -> dict[str, Any]:
    return {k: v for k, v in p.lams.items() if k in ("l1", "l2") and v}


def small_setting(index: ZooIndex, dataset: str, model: str) -> tuple[SD.Block, SD.Setting] | None:
    """The smallest training set of `model` with a baseline, and its penalty whose claim held best (None
    without them): what the small-data lesson and its question (normgen.zoo.texts.coach) are about."""
    block = _small_block(index, model, dataset)
    p = _best_penalty(block) if block is not None else None
    return (block, p) if block is not None and p is not None else None


def small_data(index: ZooIndex, dataset: str, model: str = "vae") -> Lesson:
    """On the smallest training set of `model`: the penalty whose claim held best, its numbers, and
    the same λ on all training images."""
    key = f"small-data-{model}"
    title = ("Small data: can a penalty help the VAE?" if family(model).has_elbo else
             "Small data: a penalty on the discriminator")
    block = _small_block(index, model, dataset)
    if block is None:
        return _missing(key, title, f"small-data block with a baseline for the {family(model).label}")
    p = _best_penalty(block)
    if p is None:
        return _missing(key, title, f"norm-penalty setting in the {family(model).label} small-data block")
    main, others = SD.measures(model)
    short, _ = SD.verdict(model, block.baseline, p)
    gap = others[0] if family(model).has_elbo and others else main  # train - held-out: > 0 = overfits
    g = block.baseline.stat(gap.get)
    who = (f"the {family(model).label} fits its training images better than new ones" if family(model).has_elbo
           else f"the {family(model).label}'s discriminator scores its training images higher than new ones")
    fits = who + (" in every seed" if g.ok and g.lo > 0 else ", but not in every seed")
    shown = [gap]  # the main measure's baseline value opens the next sentence (main.words)
    s1 = (f"On {images_words(block.train_size)} {fits}: "
          + "; ".join(f"{m.name} {block.baseline.stat(m.get).fmt()}{m.unit}" for m in shown
                      if block.baseline.stat(m.get).ok)
          + " without a penalty.")
    s2 = f" With {p.label(model)}: {main.words(block.baseline, p)}: **{SD.VERDICTS[short]}**."
    for m in others:  # the tighter bound beside the ELBO (issue 25): how much of the gain is the bound
        if "IWAE" in m.name and block.baseline.stat(m.get).ok and p.stat(m.get).ok:
            a, b = block.baseline.stat(m.get), p.stat(m.get)
            s2 += f" IWAE (k={IWAE_K}): {fmt_num(a.mean)} → {fmt_num(b.mean)}{m.unit}."
    s3 = ""
    full = SD._full_baseline(index, model, dataset)
    fields = {"model": model, "dataset": dataset, "train_size": 0, "g_norm": "none", "target": p.target,
              "variant": p.variant, "dropout": 0.0, **p.lams}
    twin = SD.Setting(p.target, p.variant, p.lams, 0.0, sorted(index.find(**fields), key=lambda e: e.seed))
    if twin.entries and full.entries and full.stat(main.get).ok and twin.stat(main.get).ok:
        s3 = (f" On all training images: {main.words(full, twin)}: "
              f"**{SD.VERDICTS[SD.verdict(model, full, twin)[0]]}**.")
    state = _state(model, dataset, target=p.target, train_size=block.train_size, **_lam_state(p))
    return Lesson(key, title, s1 + s2 + s3, state)


LESSONS: tuple[Callable[[ZooIndex, str], Lesson], ...] = (
    l1_sparse, l2_collapse, batchnorm, small_data, lambda index, dataset: small_data(index, dataset, "gan"))


def lessons(index: ZooIndex, dataset: str | None = None) -> list[Lesson]:
    """Every lesson, in teaching order, on `dataset` (default: the grid's first dataset in the zoo, as
    Learn's measurements); a lesson the zoo cannot back says what it lacks."""
    dataset = dataset or findings.pick_dataset(index) or GRID_DATASETS[0]
    return [make(index, dataset) for make in LESSONS]


def lesson_markdown(lesson: Lesson, link: str = "") -> str:
    """'**Title.** text [Open in Explore →](link)': a lesson as Learn shows it (`link`: the server's link to
    the lesson's setting, normgen.service.links.explore_link; none when empty)."""
    link = f" [Open in Explore →]({link})" if link else ""
    title = lesson.title if lesson.title.endswith(("?", ".")) else f"{lesson.title}."
    return f"**{title}** {lesson.text}{link}"


__all__ = ["Lesson", "LESSONS", "lessons", "lesson_markdown", "l1_sparse", "l2_collapse", "batchnorm", "small_data",
           "small_setting"]
