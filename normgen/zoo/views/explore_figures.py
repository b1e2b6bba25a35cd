"""Explore's weight figures and the numbers behind them: which parts of a model a view is about
(`shown_parts`, `drawn_parts`), the weight statistics of a stored file (cached) or of the index
(`entry_totals`), and the figures drawn from them (weight histogram, per-layer norms, the judge's class
histogram) drawn from them as inline SVG (normgen.render.weight_svg, normgen.render.bars_svg), where those
numbers come from (`source_caption`), and every picture of a pair in words (`alt_texts`). Stateless: a
file's statistics and a pair's figures are memos (functools) keyed by the zoo folder and the files' ids and
sha256, so a rebuilt file is measured again.
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from normgen.data import class_names, dataset_label
from normgen.eval.metrics import flat_weights, model_weight_stats
from normgen.losses import LOSS_SETTINGS
from normgen.models import family, model_label
from normgen.regularizers import resolve_target
from normgen.render.bars_svg import class_bars_svg, layer_norms_svg
from normgen.render.weight_svg import counts, slice_axes, weight_histogram_svg
from normgen.words import sparsity_words
from normgen.zoo.files import load_entry
from normgen.zoo.index import TRAINED_KEY, Entry, ZooIndex
from normgen.zoo.readings import in_file
from normgen.zoo.texts.report import describe, size_words, totals

STATS_SIZE = 1024  # per-layer weight figures of a file (a few KB each): the whole zoo stays in memory
FIGS_SIZE = 512  # a pair's SVG figures (~15 KB): every pair the shipped zoo's Explore reaches (~120) fits


class _Ref:
    """A memo key for an object that is not hashable (an Entry, an index): equal when `key` is; `obj` rides
    along for the memoized function to read."""

    __slots__ = ("key", "obj")

    def __init__(self, key: tuple, obj: Any) -> None:
        self.key, self.obj = key, obj

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Ref) and other.key == self.key


def _file(index: ZooIndex, e: Entry) -> _Ref:
    return _Ref((str(index.root), e.id, e.sha256), (index, e))


def weight_stats(index: ZooIndex, e: Entry) -> dict[str, dict]:
    """part -> {"total", "layers"} measured from the weights of the stored file, as loaded (float16
    files come back as float32 with float16's values; memoized per file: do not change the answer)."""
    return _weight_stats(_file(index, e))


@functools.lru_cache(maxsize=STATS_SIZE)
def _weight_stats(ref: _Ref) -> dict[str, dict]:
    index, e = ref.obj
    return model_weight_stats(load_entry(e, index.root).model.parts)


def entry_totals(index: ZooIndex, e: Entry, parts: list[str]) -> tuple[dict[str, float], str]:
    """Weight statistics of `parts` together, and where they come from: "index" (the index's figures,
    measured on the stored file: what a download reproduces, normgen.zoo.restat) when the index has every
    figure of every part; "training" when a part is one the file does not store (its figures are of the
    trained weights, `trained_weights`); else "file" (measured here from the stored weights).

    Parts are combined as `metrics.summarize` does; filter counts come from the model's shapes."""
    stored = weight_stats(index, e)
    need = ("n", "l1", "l2", "near_zero_pct", "zero_pct", "dead_filter_pct")
    trained = e.extra.get(TRAINED_KEY, {})
    rows = [e.weights.get(p) if in_file(e, p) else trained.get(p) for p in parts]
    rows = [(r or {}).get("total", r) for r in rows]
    if not all(isinstance(r, dict) and all(isinstance(r.get(k), (int, float)) for k in need) for r in rows):
        return totals(stored, parts), "file"
    filters = {p: sum(v["filters"] for v in stored[p]["layers"].values()) for p in parts}
    n = sum(r["n"] for r in rows) or 1
    f = sum(filters.values()) or 1
    return {
        "n": n,
        "l1": sum(r["l1"] for r in rows),
        "l2": sum(r["l2"] ** 2 for r in rows) ** 0.5,
        "near_zero_pct": sum(r["near_zero_pct"] * r["n"] for r in rows) / n,
        "zero_pct": sum(r["zero_pct"] * r["n"] for r in rows) / n,
        "dead_filter_pct": sum(r["dead_filter_pct"] * filters[p] for p, r in zip(parts, rows, strict=True)) / f,
    }, "index" if all(in_file(e, p) for p in parts) else "training"


def part_weights(index: ZooIndex, e: Entry, parts: list[str]) -> torch.Tensor:
    """The weights of `parts` of the zoo entry `e`, as its file stores them, in one vector (empty: none stored)."""
    model = load_entry(e, index.root).model  # cached by the zoo (path, sha256, mtime)
    return torch.cat([flat_weights(model.parts[p]) for p in parts if p in model.parts] or [torch.zeros(0)])


def drawn_parts(base: Entry, sel: Entry, parts: list[str]) -> list[str]:
    """The parts whose weights the figures draw: those of `parts` both files store (a part a file lacks
    would show its seeded initialisation), else the sampling part, which every file stores."""
    both = [p for p in parts if in_file(base, p) and in_file(sel, p)]
    return both or [family(sel.model).sampler_part]


def file_dtype(index: ZooIndex, e: Entry) -> str:
    """The precision the entry's weights are stored in ("float16" / "bfloat16" / "float32")."""
    return str(load_entry(e, index.root).meta.get("dtype", "float32"))


FIG_NAMES = ("weights", "layers", "classes")
# the figures the page shows beside its table (its weight histogram comes with a slice, on the slice's axes:
# normgen.app.tabs.explore_scrub); "weights" on the pair's own axes is for API clients
PAGE_FIGURES = ("layers", "classes")


def _has_classes(base: Entry, sel: Entry) -> bool:
    """The class histogram shows mode coverage, so it is drawn for families that can drop modes: a
    likelihood model (one with an ELBO) is trained to cover every image, and its class spread says little."""
    return bool(base.metrics.get("class_hist") and sel.metrics.get("class_hist")) and not family(base.model).has_elbo


def figures(index: ZooIndex, base: Entry, sel: Entry, parts: list[str], names: tuple[str, ...] = FIG_NAMES,
            alt: dict[str, str] | None = None) -> dict[str, str | None]:
    """The pair's figures as inline SVG (normgen.render): the weight histogram (every weight + a zoom near
    zero, on the pair's own axes; legend from the index's statistics of the stored weights), the per-layer
    norms and the judge's class histogram; None where not drawn and for the names not in `names`. The
    weight figures draw `drawn_parts` (a part a file does not store is not drawn). The bar charts take well
    under a millisecond, the weight histogram ~12 ms of numpy; a pair's figures are memoized (least recently
    used), so a class of API clients asking for the same pairs pays the histogram once per pair. Issue 26: they
    were matplotlib PNGs, 0.5-1 s a pair, kept in a disk store that a background pass filled."""
    b, s = _file(index, base), _file(index, sel)
    return dict(_figures(b, s, tuple(parts), tuple(names), tuple(sorted((alt or {}).items()))))


@functools.lru_cache(maxsize=FIGS_SIZE)
def _figures(b: _Ref, s: _Ref, parts_: tuple[str, ...], names: tuple[str, ...],
             alt_: tuple[tuple[str, str], ...]) -> dict[str, str | None]:
    (index, base), (_, sel) = b.obj, s.obj
    parts, alt = list(parts_), dict(alt_)
    out: dict[str, str | None] = dict.fromkeys(FIG_NAMES)
    labels = ("baseline (λ = 0)", "selected")
    drawn = drawn_parts(base, sel, parts)
    if "weights" in names or "layers" in names:
        kinds = sorted({file_dtype(index, base), file_dtype(index, sel)})
        source = f" ({' / '.join(kinds)} files)" if kinds != ["float32"] else ""
        missing = [p for p in parts if p not in drawn]
        lacking = f" (no {' + '.join(missing)} stored)" if missing else ""
    if "weights" in names:
        wa, wb = part_weights(index, base, drawn), part_weights(index, sel, drawn)
        axes = slice_axes([wa, wb])
        ta, tb = entry_totals(index, base, drawn)[0], entry_totals(index, sel, drawn)[0]
        legend = tuple(sparsity_words(name, t) for name, t in zip(labels, (ta, tb), strict=True))
        out["weights"] = weight_histogram_svg(axes, counts(wa, axes.lim), counts(wb, axes.lim), legend,
                                              title=f"Weights of the {' + '.join(drawn)}",
                                              alt=alt.get("weights", "Histograms of the weights") + source)
    if "layers" in names:
        sa, sb = weight_stats(index, base), weight_stats(index, sel)
        prefix = len(drawn) > 1
        la = {f"{p}.{k}" if prefix else k: v["l2"] for p in drawn for k, v in sa[p]["layers"].items()}
        lb = {f"{p}.{k}" if prefix else k: v["l2"] for p in drawn for k, v in sb[p]["layers"].items()}
        out["layers"] = layer_norms_svg(la, lb, labels, title=f"L2 norm ‖W‖ per layer ({' + '.join(drawn)})"
                                        f"{source}{lacking}", alt=alt.get("layers", "Weight norm per layer"))
    if "classes" in names and _has_classes(base, sel):
        out["classes"] = class_bars_svg(sel.metrics["class_hist"], class_names(sel.dataset),
                                        baseline=base.metrics["class_hist"], labels=labels,
                                        alt=alt.get("classes", "Classes the judge sees in the samples"))
    return out


def shown_parts(e: Entry) -> list[str]:
    """The penalized parts (what the penalty acts on); the sampling part for a baseline; for an entry
    trained with another adversarial loss and no penalty, the parts its Lipschitz constraint acts on (the
    ones sampling does not need: the discriminator, whose weights clipping keeps in [-c, c])."""
    fam = family(e.model)
    if e.is_baseline and e.setting[:2] != LOSS_SETTINGS["ns"] and fam.adversarial:
        return [p for p in fam.part_names if p not in fam.sampler_parts]
    if e.is_baseline:
        return [fam.sampler_part]
    try:
        return resolve_target(e.target, fam.part_names)
    except ValueError:
        raise ValueError(f"zoo entry {e.id} has target {e.target!r}, not a part of a {e.model}") from None


def source_caption(index: ZooIndex, base: Entry, sel: Entry, src_b: str, src_s: str) -> str:
    """Where the table's weight figures come from."""
    if {src_b, src_s} == {"index"}:
        s = ("Weight figures: measured on the stored weights, as the zoo index records them: a downloaded "
             "file gives the same numbers.")
    elif "training" in (src_b, src_s):
        lacking = sorted({p for e in (base, sel) for p in shown_parts(sel) if not in_file(e, p)})
        s = (f"Weight figures of the {' + '.join(lacking)}: of the trained weights (the zoo index); the file "
             "does not store that part, so a download cannot check them, and the histograms leave it out.")
    else:
        s = "Weight figures: measured from the stored files (the index has no weight statistics for them)."
    zeros = [e for e in (base, sel) if file_dtype(index, e) == "float16"
             and max((w.get("zero_pct", 0.0) for w in e.weights.values()), default=0.0) >= 1.0]
    if zeros:
        s += (" Most exact zeros here are storage's: the file holds float16, which rounds every |w| under 6e-8 to "
              "0, and a penalty that shrinks weights leaves many that small (new builds store bfloat16).")
    return f"*{s}*"


def alt_texts(base: Entry, sel: Entry, partner: Entry | None, seed: int) -> dict[str, str]:
    """Each of Explore's pictures of the pair (`partner`: the baseline's other training seed, for the seed-noise
    map) in words naming the setting, for a screen reader: picture name -> alt text."""
    setting = f"{model_label(sel.model)} on {dataset_label(sel.dataset)}, {describe(sel)}{size_words(sel)}"
    return {
        "baseline": f"Grid of samples of the baseline: {model_label(base.model)} on {dataset_label(base.dataset)}, "
                    f"no penalty (λ = 0){size_words(base)}, training seed {base.seed}, noise seed {seed}",
        "selected": f"Grid of samples of the selected setting: {setting}, training seed {sel.seed}, noise seed {seed}",
        "diff": f"Heat map of the per-pixel change from the baseline to {setting} (black: same, yellow: 0.5+)",
        "noise": f"Heat map of the per-pixel change between baseline training seeds {base.seed} and "
                 f"{partner.seed if partner else '-'} of {model_label(base.model)}, noise seed {seed}",
        "weights": f"Histograms of the weights of the baseline and of {setting}, with a zoom near zero",
        "layers": f"Bar chart of the weight norm per layer, baseline and {setting}",
        "classes": f"Bar chart of the classes the judge sees in the samples, baseline and {setting}"}
