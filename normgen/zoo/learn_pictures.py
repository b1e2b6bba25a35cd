"""The Learn tab's pictures, built from the zoo index: each a figure (normgen.render.learn_figures), its
alt text (the numbers it shows, in words, for a screen reader) and a caption generated from the same
numbers. The sweeps come from normgen.zoo.findings (find_sweep, the same seed statistics the text
uses), the small-data blocks and their verdicts from normgen.zoo.small_data; nothing is typed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, partial

from matplotlib.figure import Figure

from normgen.data import class_names, dataset_info
from normgen.models import SAMPLE_MODELS, family
from normgen.regularizers import PENALTIES
from normgen.render import learn_figures as LF
from normgen.words import fmt_lambda, fmt_num
from normgen.zoo import findings
from normgen.zoo import small_data as SD
from normgen.zoo import sweep_stats as SS
from normgen.zoo import sweeps as S
from normgen.zoo.coverage import collapsed
from normgen.zoo.index import ZooIndex
from normgen.zoo.readings import images_words


@dataclass
class Picture:
    """One figure of the Learn page (or one of Compare's plots) with its alt text and caption (markdown, may be
    empty)."""

    key: str
    fig: Figure
    alt: str
    caption: str = ""
    group: str = ""  # the heading of the pictures it belongs with ("GAN, 300 training images")
    narrow: Callable[[], Figure] | None = None  # draws the phone's variant (None: the page shows `fig` there too)


def _picture(key: str, draw: Callable[..., Figure], alt: str, **kw: str) -> Picture:
    """A Picture of `draw()` whose phone variant is `draw(narrow=True)`."""
    return Picture(key, draw(), alt, narrow=partial(draw, narrow=True), **kw)


def figure_pictures(key: str, draw: Callable[..., Mapping[str, Figure]], alts: Mapping[str, str]) -> dict[str, Picture]:
    """A Picture of each figure `draw()` returns by name (its alt text `alts[name]`), whose phone variant is that
    name's of `draw(narrow=True)`: the variants drawn together, once, when the first is asked for."""
    phones = cache(partial(draw, narrow=True))
    return {name: Picture(f"{key}|{name}", fig, alts[name], narrow=partial(lambda n: phones()[n], name))
            for name, fig in draw().items()}


def _series(sweep: S.Sweep, get, kind: str) -> LF.Series:
    k = len(class_names(sweep.dataset)) or 10
    ent = SS.metric_getter("class_entropy")
    coll = [SS.point_stat(p, ent).ok and collapsed(SS.point_stat(p, ent).mean, k) for p in sweep.points]
    return LF.Series([p.lams[kind] for p in sweep.points], [SS.point_stat(p, get).vals for p in sweep.points], coll)


def _ends(s: LF.Series, fmt: str, unit: str = "") -> str:
    """'from 0.7% at λ = 0 to 85.2% at λ = 3e-3' (the first and last points that have a value)."""
    pts = [(lam, sum(v) / len(v)) for lam, v in zip(s.lams, s.vals, strict=True) if v]
    if not pts:
        return "not measured"
    (l0, v0), (l1, v1) = pts[0], pts[-1]
    f = fmt_num if fmt == ".3g" else (lambda v: format(v, fmt))
    return f"from {f(v0)}{unit} at λ = {fmt_lambda(l0)} to {f(v1)}{unit} at λ = {fmt_lambda(l1)}"


def _band(sweep: S.Sweep, get) -> tuple[float, float] | None:
    st = SS.point_stat(sweep.points[0], get)
    return (st.lo, st.hi) if st.ok and len(st.vals) > 1 else None


def penalty_pictures(index: ZooIndex, model: str, dataset: str) -> list[Picture]:
    """Two panels for one family: near-zero weights against λ (L1 and L2) and the judge FD against λ."""
    sweeps = {k: SS.find_sweep(index, model, dataset, k) for k in ("l1", "l2")}
    sweeps = {k: s for k, s in sweeps.items() if s is not None}
    if not sweeps:
        return []
    name, part, where = family(model).label, next(iter(sweeps.values())).part, dataset_info(dataset).label
    nz, fd = SS.wstat_getter(part, "near_zero_pct"), SS.metric_getter("fd")
    sparse = {PENALTIES[k].label: _series(s, nz, k) for k, s in sweeps.items()}
    quality = {PENALTIES[k].label: _series(s, fd, k) for k, s in sweeps.items()}
    band = _band(next(iter(sweeps.values())), fd)
    out = [_picture(f"{model}-sparsity", partial(
        LF.lambda_panel, sparse, title=f"{name} {part}: weights near zero", ylabel="% with |w| < 1e-3"),
        f"Line chart, {name} {part} on {where}: the share of near-zero weights against λ. "
        + "; ".join(f"{k} {_ends(s, '.1f', '%')}" for k, s in sparse.items()) + ".")]
    if any(v for s in quality.values() for v in s.vals):
        coll = [f"{k} from λ = {fmt_lambda(lam)}" for k, s in quality.items()
                for lam, c in zip(s.lams, s.collapsed, strict=False) if c][:2]
        out.append(_picture(f"{model}-quality", partial(
            LF.lambda_panel, quality, title=f"{name}: judge FD (lower = better)", ylabel="judge FD (log scale)",
            logy=True, band=band), f"Line chart, {name} on {where}: judge FD against λ, lower is better. "
            + "; ".join(f"{k} {_ends(s, '.3g')}" for k, s in quality.items()) + "."
            + (f" Samples collapse for {', '.join(coll)}." if coll else "")
            + (f" The shaded band is the baseline's seed spread, {fmt_num(band[0])} to {fmt_num(band[1])}."
               if band else "")))
    claim = next((s for s in findings.l2_findings(index, model, dataset)
                  if s.startswith("*Textbook claim: L2 regul")), "")
    out[-1].caption = claim
    return out


def batchnorm_picture(index: ZooIndex, dataset: str) -> Picture | None:
    """Judge FD against λ for L1 and L2, with and without batch norm in the GAN generator."""
    series: dict[str, LF.Series] = {}
    fd, band = SS.metric_getter("fd"), None
    for kind in ("l2", "l1"):
        bn = SS.find_sweep(index, "gan", dataset, kind, g_norm="batch")
        plain = SS.find_sweep(index, "gan", dataset, kind)
        if bn is None:
            continue
        series[f"{PENALTIES[kind].label}, batch norm"] = _series(bn, fd, kind)
        band = band or _band(bn, fd)
        if plain is not None:
            series[f"{PENALTIES[kind].label}, no norm"] = _series(plain, fd, kind)
    if not series:
        return None
    alt = (f"Line chart, GAN on {dataset_info(dataset).label}: judge FD against λ with and without batch norm in "
           "the generator. " + "; ".join(f"{k} {_ends(s, '.3g')}" for k, s in series.items()) + ".")
    return _picture("batchnorm", partial(LF.lambda_panel, series, title="GAN: batch norm and penalties",
                                         ylabel="judge FD (log scale)", logy=True, band=band,
                                         band_label="batch norm, λ = 0: seed spread"), alt)


def variant_pictures(index: ZooIndex, dataset: str, model: str = "gan") -> list[Picture]:
    """Exact zeros: L1 in the loss vs proximal L1; weight norm: L2 in the loss vs decoupled decay."""
    out, name = [], family(model).label
    for kind, variant, stat, ylabel, title in (
            ("l1", "proximal", "zero_pct", "% of weights exactly 0", "L1: exact zeros need the proximal step"),
            ("l2", "decoupled", "l2", "weight norm ||W||", "L2 in the loss vs decoupled decay")):
        loss, var = SS.find_sweep(index, model, dataset, kind), SS.find_sweep(index, model, dataset, kind,
                                                                            variant=variant)
        if loss is None or var is None:
            continue
        get = SS.wstat_getter(loss.part, stat)
        series = {f"{PENALTIES[kind].label} in the loss": _series(loss, get, kind),
                  f"{PENALTIES[kind].label}, {variant}": _series(var, get, kind)}
        alt = (f"Line chart, {name} {loss.part} on {dataset_info(dataset).label}: {ylabel} against λ. "
               + "; ".join(f"{k} {_ends(s, '.3g')}" for k, s in series.items()) + ".")
        out.append(_picture(f"{model}-{variant}", partial(LF.lambda_panel, series, title=f"{name}: {title}",
                                                          ylabel=ylabel), alt))
    return out


def short_label(model: str, s: SD.Setting) -> str:
    """'L2 1e-3 (decoder)', 'dropout 0.2 + L2 1e-3', 'baseline': a setting in a few characters."""
    bits = [f"dropout {s.dropout:g}"] if s.dropout else []
    bits += [f"{PENALTIES[k].label} {fmt_lambda(v)} ({s.target})" for k, v in s.lams.items() if v]
    return " + ".join(bits) if bits else "no penalty (baseline)"


def _own(m: SD.Measure, base: SD.Setting, s: SD.Setting) -> str:
    """A secondary measure's own verdict for a setting: 'better' / 'worse' beyond the seed spread, else
    'judges disagree' or 'within spread' ('baseline' for the baseline)."""
    if s.is_baseline:
        return "baseline"
    return m.effect(base, s).verdict(m.higher_is_better)


def row_label(block: SD.Block, s: SD.Setting) -> str:
    """The short label, with the seed count when it has fewer seeds than the baseline."""
    few = f" ({SD.seeds_words(len(s.seeds))})" if block.baseline and len(s.seeds) < len(block.baseline.seeds) else ""
    return short_label(block.model, s) + few


def small_data_pictures(index: ZooIndex) -> list[Picture]:
    """Per small-data block, two panels: the claim's measure and the other (the gap, or near-copies) for
    every setting, coloured by its verdict; the gap panel adds the baseline on all training images. A VAE
    block adds a third, the held-out IWAE bound beside the held-out ELBO, where the index has it."""
    out = []
    for b in SD.blocks(index):
        if b.baseline is None or not b.points:
            continue
        main, others = SD.measures(b.model)
        name = family(b.model).label
        rows = [(row_label(b, s), s, "baseline" if s.is_baseline else SD.verdict(b.model, b.baseline, s)[0])
                for s in b.settings]
        iwae = [m for m in others[1:] if "IWAE" in m.name and b.baseline.stat(m.get).ok]
        for m in (main, *others[:1], *iwae):
            data = [(label, s.stat(m.get).vals, v if m is main else _own(m, b.baseline, s)) for label, s, v in rows]
            full = SD._full_baseline(index, b.model, b.dataset)
            if full.entries and full.stat(m.get).ok and m is not main:
                data.append((f"baseline, {images_words(0)}", full.stat(m.get).vals, "baseline"))
            base = b.baseline.stat(m.get)
            title, xlabel = f"{m.name[:1].upper()}{m.name[1:]}", m.unit.strip() or m.name
            if getattr(m.get, "metric", "") == "near_copy_pct":  # its name says its reference: real data 1%
                xlabel = "% of samples"
            else:
                title += " (→ better)" if m.higher_is_better else " (← better)"
            draw = partial(LF.settings_panel, data, title=title, xlabel=xlabel,
                           band=(base.lo, base.hi) if base.ok and len(base.vals) > 1 else None)
            alt = (f"Dot chart, {name} on {images_words(b.train_size)}: {m.name}{m.unit} per setting, mean over "
                   "seeds with their range. " + "; ".join(
                       f"{label}: {fmt_num(sum(v) / len(v))} ({verdict})" for label, v, verdict in data if v) + ".")
            out.append(_picture(f"small-{b.model}-{b.train_size}-{m.name}", draw, alt,
                                group=f"{name}, {images_words(b.train_size)}"))
        claim = SD.block_lines(b, table=False)[-1]
        out[-1].caption = claim
    return out


def all_pictures(index: ZooIndex, dataset: str | None = None) -> dict[str, list[Picture]]:
    """The pictures of every Learn section: 'penalties' (per family), 'batchnorm', 'variants', 'small'."""
    dataset = dataset or findings.pick_dataset(index)
    if dataset is None:
        return {}
    have = {e.model for e in index.entries}
    pens = [p for m in SAMPLE_MODELS if m in have for p in penalty_pictures(index, m, dataset)]
    bn = batchnorm_picture(index, dataset)
    return {"penalties": pens, "batchnorm": [bn] if bn else [], "variants": variant_pictures(index, dataset),
            "small": small_data_pictures(index)}
