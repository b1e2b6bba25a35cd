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

import numpy as np
import torch
from PIL import Image

from normgen.checkpoints import CheckpointError
from normgen.engine.sampling import sample
from normgen.eval.metrics import DEAD_FILTER, NEAR_ZERO, flat_weights, model_weight_stats
from normgen.regularizers import resolve_target
from normgen.render.grids import grid_array, grid_image, grid_nrow
from normgen.service.inputs import (
    DATASET_LABELS,
    MODEL_LABELS,
    VARIANT_LABELS,
    InputError,
    check_dataset,
    check_g_norm,
    check_model,
    check_target,
    check_variant,
    fmt_lambda,
    get_index,
    parse_lambda,
    parse_seed,
    zoo_problem,
)
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


def describe(e: Entry) -> str:
    """'L1 λ = 1e-4 on the generator (penalty added to the loss)' or 'no penalty (λ = 0)'."""
    if e.is_baseline:
        return "no penalty (λ = 0)"
    terms = [f"{name} λ = {fmt_lambda(v)}" for name, v in (("L1", e.l1), ("L2", e.l2), ("group", e.group),
                                                            ("activation", e.act)) if v]
    return f"{' + '.join(terms)} on the {e.target} ({VARIANT_LABELS.get(e.variant, e.variant)})"


def _lam_dist(e: Entry, l1: float, l2: float) -> float:
    def lg(v: float) -> float:
        return math.log10(v + 1e-6)

    return math.hypot(lg(e.l1) - lg(l1), lg(e.l2) - lg(l2))


def select(index: ZooIndex, model: str, dataset: str, g_norm: str, l1: float, l2: float,
           target: str, variant: str) -> Selection:
    """Pick the entry to show for the requested setting (exact, else the nearest in log-lambda among
    non-baseline L1/L2 entries, relaxing variant then target) and its unregularized baseline."""
    rows = index.find(model=model, dataset=dataset, group=0.0, act=0.0)
    if not rows:
        have = sorted({f"{MODEL_LABELS.get(e.model, e.model)} on {DATASET_LABELS.get(e.dataset, e.dataset)}"
                       for e in index.entries})
        return Selection(None, None, False, [
            f"The zoo has no {MODEL_LABELS[model]} trained on {DATASET_LABELS[dataset]}. "
            f"It has: {'; '.join(have) or 'nothing'}. Pick one of those, or train this setting in the Train tab."])
    notes = []
    norms = sorted({e.g_norm for e in rows})
    if g_norm not in norms:
        notes.append(f"The zoo has no {model} on {dataset} with generator normalization '{g_norm}'; "
                     f"showing '{norms[0]}' instead.")
        g_norm = norms[0]
    rows = [e for e in rows if e.g_norm == g_norm]
    base_rows = sorted((e for e in rows if e.is_baseline), key=lambda e: (e.variant != "loss", e.seed))
    if l1 == 0 and l2 == 0:
        sel = base_rows[0] if base_rows else None
        if sel is None:
            notes.append("The zoo has no unregularized (λ = 0) checkpoint for this model and dataset.")
        return Selection(sel, sel, sel is not None, notes)
    cands = [e for e in rows if not e.is_baseline]
    exact = [e for e in cands if e.target == target and e.variant == variant
             and math.isclose(e.l1, l1, rel_tol=1e-6) and math.isclose(e.l2, l2, rel_tol=1e-6)]
    if exact:
        sel, is_exact = min(exact, key=lambda e: e.seed), True
    else:
        is_exact = False
        pool = ([e for e in cands if e.target == target and e.variant == variant]
                or [e for e in cands if e.target == target] or cands)
        sel = min(pool, key=lambda e: (round(_lam_dist(e, l1, l2), 9), e.seed)) if pool else None
        want = f"L1 λ = {fmt_lambda(l1)}, L2 λ = {fmt_lambda(l2)} on the {target} ({VARIANT_LABELS[variant]})"
        if sel is None:
            sel = base_rows[0] if base_rows else None
            notes.append(f"**Not in the zoo:** {want}. The zoo has no regularized {model} on {dataset} yet"
                         + (", so both sides show the baseline." if sel else "."))
        else:
            notes.append(f"**Not in the zoo:** {want}. Showing the nearest trained setting instead: "
                         f"{describe(sel)}. Use **Train this setting** to train the exact one.")
    base = None
    if sel is not None:
        same = [e for e in base_rows if e.d_norm == sel.d_norm]
        base = next((e for e in same if e.seed == sel.seed), None) or (same[0] if same else None)
    base = base or (base_rows[0] if base_rows else None)
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

    They depend on the two checkpoints only (not on the noise seed), so they are cached.
    """
    from normgen.render import figures as plots

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
    if ca and cb and base.model != "vae":
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


_LUT: np.ndarray | None = None


def heat_lut() -> np.ndarray:
    """(256, 3) uint8 'magma' colour map: black = no change, bright yellow = large change."""
    global _LUT
    if _LUT is None:
        from matplotlib import colormaps

        _LUT = (colormaps["magma"](np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)
    return _LUT


def diff_image(a: torch.Tensor, b: torch.Tensor, nrow: int, scale: int = GRID_SCALE) -> Image.Image:
    """Heat map of |b - a| per pixel in the grid layout (pads white), saturating at DIFF_FULL."""
    heat = ((b - a).abs() / DIFF_FULL).clamp(0, 1)
    gray = grid_array(heat * 2 - 1, nrow=nrow)[..., 0]
    mask = grid_array(torch.ones_like(heat), nrow=nrow, pad_value=0.0)[..., 0] > 0
    rgb = heat_lut()[gray]
    rgb[~mask] = 255
    img = Image.fromarray(rgb)
    return img.resize((img.width * scale, img.height * scale), Image.NEAREST) if scale > 1 else img


def grid_size(e: Entry, num_classes: int) -> tuple[int, int]:
    """(samples, columns): 8 x 8 for unconditional models, one row of 8 per class otherwise."""
    if e.model == "cgan":
        n = PER_CLASS * num_classes
        return n, grid_nrow(True, n, num_classes)
    return N_SAMPLES, grid_nrow(False, N_SAMPLES, 1)


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
        from normgen.service.report import summarize

        return summarize(index, s, seed)
    except CheckpointError as exc:
        empty.note = f"{empty.note}\n\nA zoo file could not be used: {exc}".strip()
        return empty


def sample_pair(index: ZooIndex, s: Selection, seed: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Samples of baseline and selected from the same latent batch; returns (base, sel, nrow)."""
    cb, cs = load_entry(s.baseline, index.root), load_entry(s.selected, index.root)
    n, nrow = grid_size(s.selected, cs.config.model.num_classes)
    return sample(cb.model, n, seed), sample(cs.model, n, seed), nrow


def shown_parts(e: Entry, model: torch.nn.Module) -> list[str]:
    """The penalized parts (what the penalty acts on); the sampling part for a baseline."""
    if e.is_baseline:
        return [model.sampler_parts[0]]
    try:
        return resolve_target(e.target, list(model.parts))
    except ValueError:
        raise InputError(f"zoo entry {e.id} has target {e.target!r}, not a part of a {e.model}") from None


__all__ = ["explore", "select", "Selection", "ExploreResult", "describe", "diff_image", "grid_image",
           "weight_stats", "figures", "sample_pair", "shown_parts", "NEAR_ZERO", "DEAD_FILTER"]
