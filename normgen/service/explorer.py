"""Explore: the unregularized baseline and a chosen setting from the zoo, side by side from the same
noise, and what changed. Every number shown is measured here (weight statistics, pixel change) or
read from the zoo index (judge metrics measured when the zoo was built); no effect is asserted that
is not measured.

Cost per call on a 2-core CPU: two forward passes of a ~0.4M-parameter generator on 64 latents
(a few ms each) plus PNG encoding; checkpoints, weight statistics and figures are cached.
"""

from __future__ import annotations

import math
import tempfile
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from normgen.checkpoints import CheckpointError
from normgen.engine.sampling import sample
from normgen.eval.compare import mean_pixel_change, saturated_change
from normgen.eval.metrics import DEAD_FILTER, NEAR_ZERO, flat_weights, model_weight_stats
from normgen.models import family
from normgen.regularizers import resolve_target, variant_label
from normgen.render import figures as plots
from normgen.render.grids import grid_image
from normgen.service.inputs import (
    InputError,
    check_dataset,
    check_g_norm,
    check_model,
    check_target,
    check_variant,
    dataset_label,
    get_index,
    model_label,
    parse_lambda,
    parse_seed,
    zoo_problem,
)
from normgen.service.report import BASELINE_LABEL, describe, describe_change, lambda_terms
from normgen.zoo.index import Entry, ZooIndex, load_entry

N_SAMPLES = 64  # unconditional grids: 8 x 8
PER_CLASS = 8  # conditional grids: one row of 8 per class
GRID_SCALE = 3  # nearest-neighbour upscaling: crisp pixels on a projector
DIFF_FULL = 0.5  # |selected - baseline| at which the heat map saturates (pixels span [-1, 1])


@dataclass
class Selection:
    """Which zoo entries to show for a requested setting, and what to tell the user about it."""

    selected: Entry | None
    baseline: Entry | None
    exact: bool
    notes: list[str] = field(default_factory=list)


@dataclass
class ExploreResult:
    baseline_image: Image.Image | None
    selected_image: Image.Image | None
    diff_image: Image.Image | None
    baseline_label: str
    selected_label: str
    headline: str  # one sentence generated from the numbers
    details: str  # markdown: the numbers behind the headline
    note: str  # markdown: exact match / nearest / what is missing
    exact: bool
    stats: dict[str, Any]  # the same numbers, JSON-ready (for API clients)
    figures: dict[str, Image.Image | None]  # "weights", "layers", "classes"
    keys: dict[str, tuple] = field(default_factory=dict)  # image name -> cache key (see png_path)


def select(index: ZooIndex, model: str, dataset: str, g_norm: str, l1: float, l2: float,
           target: str, variant: str) -> Selection:
    """Pick the entry to show for the requested setting and its unregularized baseline, by the zoo's
    own rules (`ZooIndex.nearest` / `baseline`) among the L1 / L2 entries: the exact setting, else the
    nearest in log-lambda (relaxing variant, then target); the baseline most like it."""
    l1_l2 = {"model": model, "dataset": dataset, "group": 0.0, "act": 0.0}  # Explore shows L1 / L2 settings
    if not index.find(**l1_l2):
        have = sorted({f"{model_label(e.model)} on {dataset_label(e.dataset)}" for e in index.entries})
        return Selection(None, None, False, [
            f"The zoo has no {model_label(model)} trained on {dataset_label(dataset)}. "
            f"It has: {'; '.join(have) or 'nothing'}. Pick one of those, or train this setting in the Train tab."])
    notes = []
    norms = index.values("g_norm", **l1_l2)
    if g_norm not in norms:
        notes.append(f"The zoo has no {model} on {dataset} with generator normalization '{g_norm}'; "
                     f"showing '{norms[0]}' instead.")
        g_norm = norms[0]
    where = {**l1_l2, "g_norm": g_norm}
    if l1 == 0 and l2 == 0:
        sel = index.baseline(**where)
        if sel is None:
            notes.append("The zoo has no unregularized (λ = 0) checkpoint for this model and dataset.")
        return Selection(sel, sel, sel is not None, notes)
    sel = index.nearest(l1=l1, l2=l2, relax=("variant", "target"), target=target, variant=variant, **where)
    is_exact = sel is not None and sel.target == target and sel.variant == variant and math.isclose(
        sel.l1, l1, rel_tol=1e-6) and math.isclose(sel.l2, l2, rel_tol=1e-6)
    if not is_exact:
        asked = ", ".join(lambda_terms({"l1": l1, "l2": l2}, zeros=True))
        want = f"{asked} on the {target} ({variant_label(variant)})"
        if sel is None:
            sel = index.baseline(**where)
            notes.append(f"**Not in the zoo:** {want}. The zoo has no regularized {model} on {dataset} yet"
                         + (", so both sides show the baseline." if sel else "."))
        else:
            notes.append(f"**Not in the zoo:** {want}. Showing the nearest trained setting instead: "
                         f"{describe(sel)}. Use **Train this setting** to train the exact one.")
    base = index.baseline(**where, like=sel)
    if base is None:
        notes.append("The zoo has no unregularized (λ = 0) checkpoint for this model and dataset, so "
                     "there is nothing to compare with.")
    return Selection(sel, base, is_exact, notes)


# ----------------------------------------------------------------------------------------------
# cached measurements


_STATS: OrderedDict[tuple, dict] = OrderedDict()
_FIGS: OrderedDict[tuple, Image.Image | None] = OrderedDict()


def _lru_put(cache: OrderedDict, key: tuple, value: Any, size: int = 64) -> Any:
    cache[key] = value
    while len(cache) > size:
        cache.popitem(last=False)
    return value


def weight_stats(index: ZooIndex, e: Entry) -> dict[str, dict]:
    """part -> {"total", "layers"} measured from the loaded float32 weights (cached per file)."""
    key = (str(index.root), e.id, e.sha256)
    if key not in _STATS:
        _lru_put(_STATS, key, model_weight_stats(load_entry(e, index.root).model.parts))
    return _STATS[key]


def _fig_png(fig) -> Image.Image:
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def figures(index: ZooIndex, base: Entry, sel: Entry, parts: list[str]) -> dict[str, Image.Image | None]:
    """Weight histograms (overlaid), per-layer norms and the judge's class histogram, as images.

    They depend on the two checkpoints only (not on the noise seed), so they are cached. The class
    histogram shows mode coverage, so it is drawn for families that can drop modes: a likelihood
    model (one with an ELBO) is trained to cover every image, and its class spread says little.
    """
    key = (str(index.root), base.id, base.sha256, sel.id, sel.sha256, tuple(parts))
    if key in _FIGS:
        return _FIGS[key]  # type: ignore[return-value]
    mb, ms = load_entry(base, index.root).model, load_entry(sel, index.root).model
    labels = ("baseline (λ = 0)", "selected")
    wa = torch.cat([flat_weights(mb.parts[p]) for p in parts])
    wb = torch.cat([flat_weights(ms.parts[p]) for p in parts])
    title = f"Weights of the {' + '.join(parts)}"
    out: dict[str, Image.Image | None] = {"weights": _fig_png(plots.weight_histograms(wa, wb, labels, title=title))}
    sa, sb = weight_stats(index, base), weight_stats(index, sel)
    prefix = len(parts) > 1
    la = {f"{p}.{k}" if prefix else k: v["l2"] for p in parts for k, v in sa[p]["layers"].items()}
    lb = {f"{p}.{k}" if prefix else k: v["l2"] for p in parts for k, v in sb[p]["layers"].items()}
    out["layers"] = _fig_png(plots.layer_norms(la, lb, labels, title=f"Weight norm per layer ({' + '.join(parts)})"))
    ca, cb = base.metrics.get("class_hist"), sel.metrics.get("class_hist")
    out["classes"] = None
    if ca and cb and not family(base.model).has_elbo:
        out["classes"] = _fig_png(plots.class_histogram(cb, sel.dataset, baseline=ca, labels=labels))
    return _lru_put(_FIGS, key, out)  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------------------------
# images


class PngCache:
    """PNG files of images already shown, by key (a fast compression level: encoding, not sampling,
    dominated an Explore call). Least recently used files are deleted beyond `size`."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.dir: Path | None = None
        self.files: OrderedDict[tuple, Path] = OrderedDict()
        self.lock = threading.Lock()

    def path(self, img: Image.Image | None, key: tuple | None) -> str | None:
        if img is None:
            return None
        with self.lock:
            if key is not None and key in self.files and self.files[key].exists():
                self.files.move_to_end(key)
                return str(self.files[key])
            if self.dir is None or not self.dir.exists():
                self.dir = Path(tempfile.mkdtemp(prefix="normgen-ui-"))
            p = self.dir / f"{uuid.uuid4().hex}.png"
            img.save(p, format="png", compress_level=1)
            self.files[key if key is not None else (p.name,)] = p
            while len(self.files) > self.size:
                _, old = self.files.popitem(last=False)
                old.unlink(missing_ok=True)
            return str(p)


PNGS = PngCache()


def png_path(result: ExploreResult, name: str) -> str | None:
    """A PNG file for one of `result`'s images ("baseline", "selected", "diff", or a figure name)."""
    img = {"baseline": result.baseline_image, "selected": result.selected_image,
           "diff": result.diff_image}.get(name, result.figures.get(name))
    return PNGS.path(img, result.keys.get(name))


def diff_image(a: torch.Tensor, b: torch.Tensor, nrow: int, scale: int = GRID_SCALE) -> Image.Image:
    """The difference map: |b - a| per pixel (`eval.compare`), saturating at DIFF_FULL, as a heat map
    in the grid layout."""
    return plots.heat_grid(saturated_change(a, b, DIFF_FULL), nrow=nrow, scale=scale)


def grid_size(model: str, num_classes: int) -> tuple[int, int]:
    """(samples, columns) of the app's grids of `model`: 8 x 8, or one row of PER_CLASS per class for a
    conditional family."""
    fam = family(model)
    n = PER_CLASS * num_classes if fam.conditional else N_SAMPLES
    return n, fam.grid_columns(n, num_classes)


# ----------------------------------------------------------------------------------------------
# explore


def explore(model: Any, dataset: Any, g_norm: Any, l1: Any, l2: Any, target: Any, variant: Any, seed: Any,
            *, root: str | None = None) -> ExploreResult:
    """Baseline and selected setting from the same noise (`seed`), plus the numbers that changed.

    Raises InputError for bad input; a missing or partial zoo is explained in `note`, never raised.
    """
    model, dataset, g_norm = check_model(model), check_dataset(dataset), check_g_norm(g_norm)
    l1, l2 = parse_lambda("l1", l1), parse_lambda("l2", l2)
    target, variant, seed = check_target(model, target), check_variant(variant), parse_seed(seed)
    empty = ExploreResult(None, None, None, "", "", "", "", "", False, {},
                          {"weights": None, "layers": None, "classes": None}, {})
    problem = zoo_problem(root)
    if problem:
        empty.note = problem
        return empty
    index = get_index(root)
    s = select(index, model, dataset, g_norm, l1, l2, target, variant)
    empty.note = "\n\n".join(s.notes)
    if s.selected is None or s.baseline is None:
        return empty
    try:
        return show(index, s, seed)
    except CheckpointError as exc:
        empty.note = f"{empty.note}\n\nA zoo file could not be used: {exc}".strip()
        return empty


def show(index: ZooIndex, s: Selection, seed: int) -> ExploreResult:
    """Sample both checkpoints of `s` from the same noise, measure what changed, and word it."""
    base, sel = s.baseline, s.selected
    assert base is not None and sel is not None
    xb, xs, nrow = sample_pair(index, s, seed)
    parts = shown_parts(sel)
    text = describe_change(index, base, sel, parts, weight_stats(index, base), weight_stats(index, sel),
                           mean_pixel_change(xb, xs), seed, s.exact, s.notes)
    root = str(index.root)
    pair = (root, base.id, base.sha256, sel.id, sel.sha256)
    keys = {"baseline": (root, base.id, base.sha256, seed), "selected": (root, sel.id, sel.sha256, seed),
            "diff": (*pair, seed, "diff"), **{k: (*pair, tuple(parts), k) for k in ("weights", "layers", "classes")}}
    return ExploreResult(
        baseline_image=grid_image(xb, nrow=nrow, scale=GRID_SCALE),
        selected_image=grid_image(xs, nrow=nrow, scale=GRID_SCALE), diff_image=diff_image(xb, xs, nrow),
        baseline_label=BASELINE_LABEL, selected_label=text.selected_label, headline=text.headline,
        details=text.details, note=text.note, exact=s.exact, stats=text.stats,
        figures=figures(index, base, sel, parts), keys=keys)


def sample_pair(index: ZooIndex, s: Selection, seed: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Samples of baseline and selected from the same latent batch; returns (base, sel, nrow)."""
    cb, cs = load_entry(s.baseline, index.root), load_entry(s.selected, index.root)
    n, nrow = grid_size(s.selected.model, cs.config.model.num_classes)
    return sample(cb.model, n, seed), sample(cs.model, n, seed), nrow


def shown_parts(e: Entry) -> list[str]:
    """The penalized parts (what the penalty acts on); the sampling part for a baseline."""
    fam = family(e.model)
    if e.is_baseline:
        return [fam.sampler_part]
    try:
        return resolve_target(e.target, fam.part_names)
    except ValueError:
        raise InputError(f"zoo entry {e.id} has target {e.target!r}, not a part of a {e.model}") from None


__all__ = ["explore", "select", "show", "Selection", "ExploreResult", "diff_image", "grid_size", "weight_stats",
           "figures", "sample_pair", "shown_parts", "NEAR_ZERO", "DEAD_FILTER"]
