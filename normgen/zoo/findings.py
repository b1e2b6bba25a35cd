"""What the zoo measured, as sentences and tables generated from the index (no gradio).

Every number comes from the zoo index; a statement the index cannot back is not made, and its
section is listed as "not measured yet" instead. Textbook claims are checked against the numbers,
and the verdict follows them (holds / not shown / does not hold / cannot tell). Used by the Learn tab
(normgen.app.tabs.learn). This module owns the sections and their statements; a sweep's numbers are read
with normgen.zoo.sweep_stats, and the BatchNorm section is normgen.zoo.batchnorm_findings.
"""

from __future__ import annotations

import math

from normgen.data import class_names, dataset_info
from normgen.eval.likelihood import K as IWAE_K
from normgen.models import SAMPLE_MODELS, family
from normgen.words import fmt_lambda, fmt_num
from normgen.zoo import sweeps as S
from normgen.zoo.batchnorm_findings import batchnorm_findings
from normgen.zoo.coverage import collapsed, coverage_words
from normgen.zoo.index import ZooIndex
from normgen.zoo.readings import in_file, metric, stored_dtype
from normgen.zoo.spec import DATASETS as GRID_DATASETS
from normgen.zoo.sweep_stats import axis_table, collapse_point, collapsed_baseline, find_sweep, pictures
from normgen.zoo.sweep_stats import lam_words as _lam  # the short names keep the sentences below readable
from normgen.zoo.sweep_stats import metric_getter as _m
from normgen.zoo.sweep_stats import point_stat as _stat
from normgen.zoo.sweep_stats import wstat_getter as _wstat
from normgen.zoo.verdicts import Stat, change, versus_spread

VARIANT_MODELS = ("gan", "vae")  # the families whose proximal / decoupled / group sweeps the page reports


def l1_findings(index: ZooIndex, model: str, dataset: str) -> list[str]:
    sw = find_sweep(index, model, dataset, "l1")
    if sw is None:
        return []
    base, part, name = sw.points[0], sw.part, family(model).label
    out = [axis_table(sw)]
    c = collapse_point(sw)
    intact = [p for p in sw.points[1:] if c is None or p.lams["l1"] < c.lams["l1"]]
    nz0, fd0 = _stat(base, _wstat(part, "near_zero_pct")), _stat(base, _m("fd"))
    if intact and nz0.ok and _stat(intact[-1], _wstat(part, "near_zero_pct")).ok:
        p = intact[-1]
        s = (f"{name} {part}: L1 raised the near-zero weights from {nz0.fmt('.1f', '%')} at λ=0 to "
             f"{_stat(p, _wstat(part, 'near_zero_pct')).fmt('.1f', '%')} at {_lam('l1', p)}"
             + (" (the largest λ before collapse)" if c is not None else ""))
        if fd0.ok and _stat(p, _m("fd")).ok:
            s += "; " + change(fd0, _stat(p, _m("fd")), "judge FD")
        if _stat(base, _m("rec_error")).ok and _stat(p, _m("rec_error")).ok:
            s += "; " + change(_stat(base, _m("rec_error")), _stat(p, _m("rec_error")), "reconstruction error")
        out.append(s + ".")
    zs = [_stat(p, _wstat(part, "zero_pct")) for p in sw.points[1:]]
    zs = [z for z in zs if z.ok]
    if zs:
        z = max(z.mean for z in zs)
        if z < 1.0:
            out.append(f"Exact zeros: at most {z:.2f}% of the {part}'s weights are exactly 0 anywhere on the axis. "
                       "With L1 in the loss, the step sign(w) jumps over zero and back: weights become small, not "
                       "zero (exact zeros need the proximal variant).")
        else:
            out.append(f"Exact zeros: up to {z:.1f}% of the {part}'s weights are exactly 0 on this axis.")
    hb = collapsed_baseline(sw)
    if hb is not None:
        out.append(f"Caution: the {name} baseline itself is collapsed (class entropy {hb.fmt('.2f')} of a possible "
                   f"{math.log(len(class_names(dataset))):.2f}): its samples cover few classes even without a "
                   "penalty, so this zoo cannot show what λ does to mode coverage.")
    if c is not None:
        h, k = _stat(c, _m("class_entropy")), len(class_names(dataset))
        look = pictures(base, c)
        out.append(f"Breaking point: from {_lam('l1', c)} the samples collapse: class entropy {h.fmt('.2f')} of a "
                   f"possible {math.log(k):.2f} (baseline {_stat(base, _m('class_entropy')).fmt('.2f')}), "
                   "so most samples look like the same class" + (f"; {look}." if look else "."))
    return out


def l2_findings(index: ZooIndex, model: str, dataset: str) -> list[str]:
    sw = find_sweep(index, model, dataset, "l2")
    if sw is None:
        return []
    base, part, name = sw.points[0], sw.part, family(model).label
    out = [axis_table(sw)]
    last = sw.points[-1]
    n0, n1 = _stat(base, _wstat(part, "l2")), _stat(last, _wstat(part, "l2"))
    if n0.ok and n1.ok and n1.mean > 0:
        out.append(f"{name} {part}: {_lam('l2', last)} shrank the weight norm from {n0.fmt()} to {n1.fmt()} "
                   f"({n0.mean / n1.mean:.1f}x smaller).")
    if note := storage_zeros(index, sw):
        out.append(note)
    fd0 = _stat(base, _m("fd"))
    fds = [(p, _stat(p, _m("fd"))) for p in sw.points[1:]]
    fds = [(p, f) for p, f in fds if f.ok]
    if fd0.ok and fds:
        best_p, best = min(fds, key=lambda pf: pf[1].mean)
        claim = "*Textbook claim: L2 regularization makes the model better.*"
        where = versus_spread(fd0, best.mean) if len(fd0.vals) > 1 else ""
        if best.mean < fd0.lo and where == "outside":
            verdict = (f"the claim holds here: the best L2 point, {_lam('l2', best_p)}, has FD {best.fmt()}, "
                       f"below every baseline seed ({fd0.fmt()}) by more than the seeds differ.")
        elif best.mean < fd0.lo and where == "near":
            seeds = f"{fmt_num(fd0.lo)} and {fmt_num(fd0.hi)}"
            verdict = (f"the claim is not shown here: the best L2 point, {_lam('l2', best_p)}, has FD "
                       f"{best.fmt()}, below both baseline seeds ({seeds}) but by less than they differ "
                       "from each other, which so few seeds cannot tell from noise.")
        elif best.mean >= fd0.mean:
            verdict = (f"the claim does not hold here: no L2 point beat the baseline's FD {fd0.fmt()}; the best, "
                       f"{_lam('l2', best_p)}, has {best.fmt()}.")
        elif len(fd0.vals) > 1:
            verdict = (f"the claim is not shown here: the best L2 point, {_lam('l2', best_p)}, has FD "
                       f"{best.fmt()}, inside the baseline's seed spread ({fd0.fmt()}).")
        else:
            verdict = (f"the claim is unclear here: the best L2 point, {_lam('l2', best_p)}, has FD {best.fmt()} "
                       f"against {fd0.fmt()} for the baseline, which has one seed only (no spread measured).")
        out.append(f"{claim} For the {name} {part}, {verdict}")
    g0, g1 = _stat(base, _m("elbo_gap")), _stat(last, _m("elbo_gap"))
    if g0.ok and g1.ok:  # only families with an ELBO (the VAE) record its train-test gap
        narrower = abs(g1.mean) < abs(g0.mean)
        verdict = "narrower here" if narrower else "not narrower here"
        t0, t1 = _stat(base, _m("elbo_test")), _stat(last, _m("elbo_test"))
        if narrower and t0.ok and t1.ok:
            verdict += (", but not by fitting unseen images better: the test ELBO fell" if t1.mean < t0.mean
                        else ", and the test ELBO rose") + f" ({t0.fmt()} → {t1.fmt()})"
        i0, i1 = _stat(base, _m("iwae_gap")), _stat(last, _m("iwae_gap"))
        iwae = (f" The IWAE bound (k={IWAE_K}) gap beside it: {change(i0, i1, '')}." if i0.ok and i1.ok else "")
        out.append(f"*Textbook claim: L2 narrows the train-test gap.* {name} ELBO gap (train - test, nats per "
                   f"pixel; > 0 = fits training images better): {change(g0, g1, '')} from λ=0 to "
                   f"{_lam('l2', last)}, so {verdict}.{iwae}")
    c0, c = _stat(base, _m("confident_pct")), _stat(last, _m("confident_pct"))
    if c.ok and c0.ok:
        h, k = _stat(last, _m("class_entropy")), len(class_names(dataset)) or 10
        why = (" The higher confidence is no sign of quality: a collapsed model repeats a few glyphs the judge is "
               "sure of." if h.ok and collapsed(h.mean, k) and c.mean > c0.mean else "")
        out.append(f"Samples the judge is confident about: {confident_words(sw, base, c0)} at λ=0, "
                   f"{confident_words(sw, last, c)} at {_lam('l2', last)}.{why}")
    for p in sw.points[1:]:  # what each collapsed point's samples look like, measured
        h = _stat(p, _m("class_entropy"))
        if h.ok and collapsed(h.mean, len(class_names(dataset)) or 10) and (look := pictures(base, p)):
            out.append(f"At {_lam('l2', p)}, {look}.")
    return out


def storage_zeros(index: ZooIndex, sw: S.Sweep) -> str:
    """Where a sweep's files hold exact zeros that storage made (float16 rounds |w| < 6e-8 to 0), a sentence
    saying so, with the largest share; '' where there are none (under 1%) or the files are not float16."""
    zs = [(p, _stat(p, _wstat(sw.part, "zero_pct"))) for p in sw.points[1:]]
    zs = [(p, z) for p, z in zs if z.ok]
    if not zs:
        return ""
    p, z = max(zs, key=lambda pz: pz[1].mean)
    if z.mean < 1.0 or "float16" not in {stored_dtype(index.root, e) for q in sw.points for e in q.entries}:
        return ""
    return (f"Exact zeros: up to {z.mean:.1f}% of the {sw.part}'s weights are exactly 0 in these files "
            f"(at {p.label()}). Storage made them, not the penalty: "
            "the files hold float16, which rounds every |w| under 6e-8 to 0, and a penalty that shrinks weights "
            "leaves many that small. The figures are of the files you download; new builds store bfloat16, "
            "which keeps such weights.")


def confident_words(sweep: S.Sweep, p: S.SweepPoint, conf: Stat) -> str:
    """'83.1% (class entropy 2.21 of a possible 2.30, as spread as 9.1 of 10 classes)': a confident %
    never without the coverage beside it, and "mode collapse" said plainly (a collapsed model's
    one repeated glyph is easy to be sure of)."""
    h, k = _stat(p, _m("class_entropy")), len(class_names(sweep.dataset)) or 10
    return conf.fmt(".1f", "%") + (f" ({coverage_words(h.mean, k)})" if h.ok else " (class entropy not recorded)")


def elastic_findings(index: ZooIndex, model: str, dataset: str) -> list[str]:
    """Each elastic-net point beside the L1-only and L2-only points with the same lambdas."""
    sw = find_sweep(index, model, dataset, "elastic")
    if sw is None:
        return []
    l1s, l2s = find_sweep(index, model, dataset, "l1"), find_sweep(index, model, dataset, "l2")
    part, out = sw.part, []

    def twin(axis: S.Sweep | None, kind: str, lam: float) -> S.SweepPoint | None:
        return next((q for q in (axis.points[1:] if axis else []) if math.isclose(q.lams[kind], lam)), None)

    for p in sw.points[1:]:
        nz, n = _stat(p, _wstat(part, "near_zero_pct")), _stat(p, _wstat(part, "l2"))
        if not (nz.ok and n.ok):
            continue
        s = f"{p.label()}: near-zero weights {nz.fmt('.1f', '%')}, weight norm {n.fmt()}"
        a, b = twin(l1s, "l1", p.lams["l1"]), twin(l2s, "l2", p.lams["l2"])
        if a is not None and _stat(a, _wstat(part, "near_zero_pct")).ok:
            s += f"; L1 alone: {_stat(a, _wstat(part, 'near_zero_pct')).fmt('.1f', '%')} near zero"
        if b is not None and _stat(b, _wstat(part, "l2")).ok:
            s += f"; L2 alone: norm {_stat(b, _wstat(part, 'l2')).fmt()}"
        out.append(s + ".")
    return out


def variant_findings(index: ZooIndex, model: str, dataset: str) -> list[str]:
    out, name = [], family(model).label
    prox = find_sweep(index, model, dataset, "l1", variant="proximal")
    if prox is not None:
        p = max(prox.points[1:], key=lambda q: q.lams["l1"])
        z = _stat(p, _wstat(prox.part, "zero_pct"))
        fd0, fd = _stat(prox.points[0], _m("fd")), _stat(p, _m("fd"))
        if z.ok:
            s = f"{name} {prox.part}, proximal {_lam('l1', p)}: {z.fmt('.1f', '%')} of weights exactly zero"
            if fd0.ok and fd.ok:
                s += "; " + change(fd0, fd, "judge FD")
            out.append(s + ".")
    dec = find_sweep(index, model, dataset, "l2", variant="decoupled")
    loss = find_sweep(index, model, dataset, "l2")
    if dec is not None and (note := storage_zeros(index, dec)):
        out.append(f"Decoupled decay: {note[0].lower()}{note[1:]}")
    if dec is not None:
        for p in dec.points[1:]:
            n = _stat(p, _wstat(dec.part, "l2"))
            twin = next((q for q in (loss.points[1:] if loss else []) if math.isclose(q.lams["l2"], p.lams["l2"])),
                        None)
            if n.ok and twin is not None and _stat(twin, _wstat(dec.part, "l2")).ok:
                fd, fd_loss = _stat(p, _m("fd")), _stat(twin, _m("fd"))
                both = fd.ok and fd_loss.ok
                out.append(f"{name} {dec.part}, {_lam('l2', p)}: weight norm {n.fmt()}"
                           + (f" and judge FD {fd.fmt()}" if both else "") + " with decoupled decay, "
                           f"{_stat(twin, _wstat(dec.part, 'l2')).fmt()}"
                           + (f" and {fd_loss.fmt()}" if both else "") + " with L2 in the loss.")
    grp = find_sweep(index, model, dataset, "group")
    if grp is not None and (note := storage_zeros(index, grp)):
        out.append(f"Group lasso: {note[0].lower()}{note[1:]}")
    if grp is not None:
        p = grp.points[-1]
        d0, d = _stat(grp.points[0], _wstat(grp.part, "dead_filter_pct")), _stat(p, _wstat(grp.part, "dead_filter_pct"))
        if d0.ok and d.ok:
            fd0, fd = _stat(grp.points[0], _m("fd")), _stat(p, _m("fd"))
            out.append(f"{name} {grp.part}, group lasso λ={fmt_lambda(p.lams['group'])}: dead filters "
                       f"{d0.fmt('.1f', '%')} → {d.fmt('.1f', '%')}"
                       + (f"; {change(fd0, fd, 'judge FD')}" if fd0.ok and fd.ok else "") + ".")
    return out


def target_findings(index: ZooIndex, dataset: str) -> list[str]:
    out = []
    for target in ("discriminator", "both"):
        for kind in ("l1", "l2"):
            sw = find_sweep(index, "gan", dataset, kind, target=target)
            if sw is None:
                continue
            fd0, dn0 = _stat(sw.points[0], _m("fd")), _stat(sw.points[0], _wstat("discriminator", "l2"))
            for p in sw.points[1:]:
                fd, dn = _stat(p, _m("fd")), _stat(p, _wstat("discriminator", "l2"))
                if fd0.ok and fd.ok:
                    s = f"GAN, penalty on {S.target_words(target)}, {_lam(kind, p)}: {change(fd0, fd, 'judge FD')}"
                    if dn0.ok and dn.ok:
                        s += f"; discriminator weight norm {dn0.fmt()} → {dn.fmt()}"
                        if not all(in_file(e, "discriminator") for e in p.entries):
                            s += " (of the trained weights: these files store only the generator)"
                        if dn.mean < 1e-3 * dn0.mean:
                            s += (" (with its weights at zero, the discriminator's output no longer depends on "
                                  "the image, so the generator gets no gradient from it)")
                    out.append(s + ".")
    return out


def seed_findings(index: ZooIndex, model: str, dataset: str) -> list[str]:
    base = [e for e in index.find(model=model, dataset=dataset, g_norm="none", train_size=0) if e.is_baseline]
    fds = sorted({e.seed: metric(e, "fd") for e in base if metric(e, "fd") is not None}.items())
    if len(fds) < 2:
        return []
    vals = ", ".join(f"{fmt_num(v)} (seed {s})" for s, v in fds)
    return [f"{family(model).label} without any penalty, trained with different seeds only: judge FD {vals}. "
            "A difference smaller than this is not an effect of λ."]


def floor_findings(index: ZooIndex, dataset: str) -> list[str]:
    """Each unregularized full-data family's FD against the real-vs-real floor, seed by seed (FD as the index
    reads it: the mean over its noise draws), with the best seed's ratio."""
    floor = index.floors.get(dataset, {}).get("fd")
    if not isinstance(floor, int | float) or floor <= 0:
        return []
    n = index.floors.get(dataset, {}).get("n")
    out = []
    for model in SAMPLE_MODELS:
        for g_norm in ("none", "batch"):
            base = [e for e in index.find(model=model, dataset=dataset, g_norm=g_norm, train_size=0)
                    if e.is_baseline and e.setting == ("ns", "none", "all") and metric(e, "fd") is not None]
            if not base:
                continue
            fds = sorted((metric(e, "fd"), e.seed) for e in base)
            draws = {int(e.metrics.get("draws", 1)) for e in base}
            how = f"mean of {'/'.join(map(str, sorted(draws)))} noise draws" if draws != {1} else "one noise draw"
            bn = " (batch-norm generator)" if g_norm == "batch" else ""
            vals = ", ".join(f"{fmt_num(v)} (seed {s})" for v, s in fds)
            best, seed = fds[0]
            out.append(f"{family(model).label}{bn} without a penalty: judge FD {vals} ({how}); the best seed is "
                       f"{best / floor:.2f}x the floor of {fmt_num(floor)}"
                       + (f" (n = {n:,} samples: the floor falls as n grows, a model's FD much less)" if n else "")
                       + ".")
    return out


def zoo_datasets(index: ZooIndex) -> list[str]:
    """The zoo's datasets: the grid's first one (MNIST) first, then by number of entries (most first)."""
    counts: dict[str, int] = {}
    for e in index.entries:
        counts[e.dataset] = counts.get(e.dataset, 0) + 1
    return sorted(counts, key=lambda d: (d != GRID_DATASETS[0], -counts[d], d))


def pick_dataset(index: ZooIndex) -> str | None:
    """The grid's first dataset (MNIST) if the zoo has it, else the dataset with the most entries."""
    ds = zoo_datasets(index)
    return ds[0] if ds else None


def measured_markdown(index: ZooIndex, dataset: str | None = None) -> str:
    """The 'What this zoo measured' section: one bullet per statement, every number from `index`."""
    dataset = dataset or pick_dataset(index)
    if dataset is None:
        return ("## What this zoo measured\nThe zoo is empty, so there are no measurements to show yet. "
                "Build it with `python -m normgen zoo build`.")
    floor = index.floors.get(dataset, {}).get("fd")
    head = (f"## What this zoo measured: {dataset_info(dataset).label}\n"
            "The same numbers, with the grids, are on the **Compare** tab (pick the model and the sweep).\n\n")
    if isinstance(floor, int | float):
        head += f"Judge-FD floor (real training vs real test images): {fmt_num(floor)}.\n"
    sections: list[tuple[str, list[str]]] = []
    for model in SAMPLE_MODELS:  # (the cycle GAN's findings: normgen.zoo.views.translation_view)
        sections.append((f"L1 - {family(model).label}", l1_findings(index, model, dataset)))
        sections.append((f"L2 - {family(model).label}", l2_findings(index, model, dataset)))
    sections.append(("Elastic net (L1 and L2 together) - GAN", elastic_findings(index, "gan", dataset)))
    sections.append(("Seed-to-seed spread", seed_findings(index, "gan", dataset)))
    sections.append(("Against the floor", floor_findings(index, dataset)))
    sections.append(("BatchNorm hides weight penalties?", batchnorm_findings(index, dataset)))
    sections.append(("Penalty on the discriminator", target_findings(index, dataset)))
    for model in VARIANT_MODELS:
        sections.append((f"Proximal L1, decoupled decay, group lasso - {family(model).label}",
                         variant_findings(index, model, dataset)))
    parts, missing = [head], []
    for title, lines in sections:
        if lines:  # a block starting with "|" or "*" is a table (with its caption), the rest are bullets
            blocks = [s if s.startswith(("|", "*Mean", "*Same")) else f"- {s}" for s in lines]
            parts.append(f"### {title}\n" + "\n".join(b if b.startswith("- ") else f"\n{b}\n" for b in blocks))
        else:
            missing.append(title)
    if missing:
        parts.append("### Not measured yet\nThe zoo has no entries (with a λ = 0 baseline) for: "
                     + "; ".join(missing) + ". The Compare tab lists exactly which checkpoints are missing.")
    return "\n\n".join(parts)
