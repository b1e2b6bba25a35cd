"""Explore: the unregularized baseline and a chosen setting from the zoo, side by side from the same
noise, and what changed. Every number shown is measured here (pixel change, the figures drawn from
the stored weights) or read from the zoo index (judge and generalization metrics measured when the zoo
was built, and the weight statistics of the stored weights, which a downloaded file reproduces: see
`entry_totals`); no effect is asserted that is not measured. A setting is a training-set
size (0 = all images) and dropout rate too: a small-data entry is shown beside the baseline of its size.

Cost per call on a 2-core CPU: two forward passes of a ~0.4M-parameter generator on 64 latents
(a few ms each) plus PNG encoding; checkpoints, weight statistics and figures are cached.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from normgen.checkpoints import CheckpointError
from normgen.data import dataset_info
from normgen.engine.sampling import sample
from normgen.eval.compare import mean_pixel_change, saturated_change
from normgen.eval.metrics import DEAD_FILTER, NEAR_ZERO, flat_weights, model_weight_stats
from normgen.models import family
from normgen.regularizers import resolve_target, variant_label
from normgen.render import figures as plots
from normgen.render.grids import grid_image
from normgen.service import figure_cache, workdir
from normgen.service.cpu_share import governor
from normgen.service.figure_cache import FigureStore
from normgen.service.heldout import panel
from normgen.service.inputs import (
    LOSS_SHORT,
    LOSSES,
    InputError,
    check_dataset,
    check_g_norm,
    check_loss,
    check_model,
    check_target,
    check_variant,
    dataset_label,
    get_index,
    loss_name,
    model_label,
    parse_dropout,
    parse_lambda,
    parse_seed,
    parse_train_size,
    zoo_problem,
)
from normgen.service.report import (
    BASELINE_LABEL,
    BASELINE_LOSS_LABEL,
    describe,
    describe_change,
    lambda_terms,
    size_words,
    totals,
)
from normgen.zoo.index import TRAINED_KEY, Entry, ZooIndex, family_dropout, load_entry, public_problem
from normgen.zoo.readings import images_words, in_file

N_SAMPLES = 64  # unconditional grids: 8 x 8
PER_CLASS = 8  # conditional grids: one row of 8 per class
GRID_SCALE = 3  # nearest-neighbour upscaling: crisp pixels on a projector
DIFF_FULL = 0.5  # |selected - baseline| at which the heat map saturates (pixels span [-1, 1])
# ONE_THREAD: an Explore call runs its small tensor ops on one thread (torch's OpenMP thread count is
# per calling thread, so a training run elsewhere keeps its own). Measured on the shared 2-core machine
# under load: 125 ms a call on one thread against 1,500 ms on two, whose threads wait for each other.


@dataclass
class Selection:
    """Which zoo entries to show for a requested setting, and what to tell the user about it."""

    selected: Entry | None
    baseline: Entry | None
    exact: bool
    notes: list[str] = field(default_factory=list)


@dataclass
class ExploreResult:
    baseline_label: str
    selected_label: str
    headline: str  # one sentence generated from the numbers
    details: str  # markdown: the numbers behind the headline
    note: str  # markdown: exact match / nearest / what is missing
    exact: bool
    stats: dict[str, Any]  # the same numbers, JSON-ready (for API clients)
    figures: dict[str, str | None]  # "weights", "layers", "classes": PNG files (None: not drawn)
    # image name ("baseline", "selected", "diff", "noise") -> how to draw it: drawn on first use, so a view
    # whose PNGs are cached (see png_path) draws nothing
    draw: dict[str, Callable[[], Image.Image]] = field(default_factory=dict)
    keys: dict[str, tuple] = field(default_factory=dict)  # image name -> cache key (see png_path)
    noise_label: str = ""  # markdown: which two baselines, and their mean change beside the selected one's
    alt: dict[str, str] = field(default_factory=dict)  # image name -> alt text naming the setting
    _drawn: dict[str, Image.Image] = field(default_factory=dict, repr=False)

    def image(self, name: str) -> Image.Image | None:
        """Image `name`, drawn once; None when this view has none."""
        if name not in self._drawn and name in self.draw:
            self._drawn[name] = self.draw[name]()
        return self._drawn.get(name)

    @property
    def baseline_image(self) -> Image.Image | None:
        return self.image("baseline")

    @property
    def selected_image(self) -> Image.Image | None:
        return self.image("selected")

    @property
    def diff_image(self) -> Image.Image | None:
        return self.image("diff")

    @property
    def noise_image(self) -> Image.Image | None:
        """|baseline seed b - baseline seed a| from the same noise (None: the zoo trained one seed)."""
        return self.image("noise")


def select(index: ZooIndex, model: str, dataset: str, g_norm: str, l1: float, l2: float,
           target: str, variant: str, train_size: int = 0, dropout: float = 0.0, loss: str = "ns") -> Selection:
    """Pick the entry to show for the requested setting and its unregularized baseline, by the zoo's
    own rules (`ZooIndex.nearest` / `baseline`) among the L1 / L2 (and dropout) entries trained on
    `train_size` images (0 = all): the exact setting, else the nearest in log-lambda at that dropout
    rate (relaxing variant, then target); the baseline of the same size most like it. A size or a
    dropout rate the zoo lacks falls back to one it has, with a note. `loss` (an inputs.LOSSES name)
    other than the non-saturating one selects the entries trained with it (`_select_loss`)."""
    l1_l2 = {"model": model, "dataset": dataset, "group": 0.0, "act": 0.0}  # Explore shows L1 / L2 settings
    if not index.find(**l1_l2):
        have = sorted({f"{model_label(e.model)} on {dataset_label(e.dataset)}" for e in index.entries})
        return Selection(None, None, False, [
            f"The zoo has no {model_label(model)} trained on {dataset_label(dataset)}. "
            f"It has: {'; '.join(have) or 'nothing'}. Pick one of those, or train this setting in the Train tab."])
    notes = []
    dropout = dropout or family_dropout(model)  # 0 asks for the family's own (the colour DCGAN's D has 0.3)
    sizes = index.values("train_size", **l1_l2)
    if train_size not in sizes:
        use = 0 if 0 in sizes else sizes[0]
        notes.append(f"The zoo has no {model_label(model)} on {dataset_label(dataset)} trained on "
                     f"{images_words(train_size)}; it has {', '.join(images_words(n) for n in sizes)}. "
                     f"Showing {images_words(use)}.")
        train_size = use
    l1_l2["train_size"] = train_size
    rates = index.values("dropout", **l1_l2)
    if not any(math.isclose(dropout, r, abs_tol=1e-9) for r in rates):
        use_rate = min(rates, key=lambda r: abs(r - dropout))
        notes.append(f"The zoo has no {model_label(model)} on {images_words(train_size)} with dropout "
                     f"{dropout:g}; showing dropout {use_rate:g}.")
        dropout = use_rate
    norms = index.values("g_norm", **l1_l2)
    if g_norm not in norms:
        notes.append(f"The zoo has no {model} on {dataset} with generator normalization '{g_norm}'; "
                     f"showing '{norms[0]}' instead.")
        g_norm = norms[0]
    where = {**l1_l2, "g_norm": g_norm}
    setting = (*LOSSES[loss], "all")
    if loss != "ns":
        if any(e.setting == setting for e in index.find(**where)):
            return _select_loss(index, where, setting, l1, l2, target, variant, dropout, notes)
        notes.append(f"The zoo has no {model_label(model)} on {dataset_label(dataset)} trained with the "
                     f"{LOSS_SHORT[loss]} loss; showing the {LOSS_SHORT['ns']} loss.")
    if l1 == 0 and l2 == 0 and dropout == family_dropout(model):
        sel = index.baseline(**where)
        if sel is None:
            notes.append("The zoo has no unregularized (λ = 0) checkpoint for this model and dataset.")
        return Selection(sel, sel, sel is not None, notes)
    sel = index.nearest(l1=l1, l2=l2, relax=("variant", "target"), target=target, variant=variant,
                        dropout=dropout, **where)
    penalized = bool(l1 or l2)  # with no penalty, target and update rule do not matter
    is_exact = sel is not None and (not penalized or (sel.target == target and sel.variant == variant)) and (
        math.isclose(sel.l1, l1, rel_tol=1e-6) and math.isclose(sel.l2, l2, rel_tol=1e-6))
    if not is_exact:
        asked = ", ".join(lambda_terms({"l1": l1, "l2": l2}, zeros=True))
        want = f"{asked} on the {target} ({variant_label(variant)})" + (f" with dropout {dropout:g}"
                                                                       if dropout != family_dropout(model)
                                                                       else "")
        if sel is None:
            sel = index.baseline(**where)
            notes.append(f"**Not in the zoo:** {want}. The zoo has no regularized {model} on {dataset} yet"
                         + (", so both sides show the baseline." if sel else "."))
        else:
            notes.append(f"**Not in the zoo:** {want}. Showing the nearest trained setting instead: "
                         f"{describe(sel)}. Use **Train this setting** to train the exact one.")
    base = index.baseline(**where, like=sel)
    if base is None:
        notes.append("The zoo has no unregularized (λ = 0) checkpoint for this model and dataset"
                     f"{' on ' + images_words(train_size) if train_size else ''}, so there is nothing to "
                     "compare with.")
    return Selection(sel, base, is_exact, notes)


def _select_loss(index: ZooIndex, where: dict[str, Any], setting: tuple[str, str, str], l1: float, l2: float,
                 target: str, variant: str, dropout: float, notes: list[str]) -> Selection:
    """Another adversarial loss: its entry nearest the asked λ (its λ = 0 entry when it has no penalized
    one), beside the non-saturating baseline of the same seed where there is one, so the baseline's seed
    spread is the yardstick for the loss as for a penalty."""
    words = LOSS_SHORT[loss_name(*setting[:2]) or "ns"]
    own = [e for e in index.find(**where) if e.setting == setting]
    sel = index.nearest(l1=l1, l2=l2, relax=("variant", "target"), target=target, variant=variant,
                        dropout=dropout, setting=setting, **where) if (l1 or l2) else None
    if sel is None:
        sel = min((e for e in own if e.is_baseline), key=lambda e: e.seed, default=None) or own[0]
    exact = math.isclose(sel.l1, l1, rel_tol=1e-6) and math.isclose(sel.l2, l2, rel_tol=1e-6)
    if not exact:
        notes.append(f"**Not in the zoo:** the {words} loss with {', '.join(lambda_terms({'l1': l1, 'l2': l2}))}."
                     f" Showing the {words} loss with {describe(sel, loss=False)}.")
    stores = sorted(set(sel.parts))
    base = index.baseline(**where, seed=sel.seed, stores=stores) or index.baseline(**where)
    if base is None:
        notes.append("The zoo has no non-saturating, unregularized checkpoint of this model and dataset to "
                     "compare with.")
    return Selection(sel, base, exact, notes)


# ----------------------------------------------------------------------------------------------
# cached measurements


_STATS: OrderedDict[tuple, dict] = OrderedDict()
STATS_SIZE = 1024  # per-layer weight figures of a file (a few KB each): the whole zoo stays in memory


def _lru_put(cache: OrderedDict, key: tuple, value: Any, size: int = 64) -> Any:
    cache[key] = value
    while len(cache) > size:
        cache.popitem(last=False)
    return value


def weight_stats(index: ZooIndex, e: Entry) -> dict[str, dict]:
    """part -> {"total", "layers"} measured from the weights of the stored file, as loaded (float16
    files come back as float32 with float16's values; cached per file)."""
    key = (str(index.root), e.id, e.sha256)
    if key not in _STATS:
        _lru_put(_STATS, key, model_weight_stats(load_entry(e, index.root).model.parts), size=STATS_SIZE)
    return _STATS[key]


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


def drawn_parts(base: Entry, sel: Entry, parts: list[str]) -> list[str]:
    """The parts whose weights the figures draw: those of `parts` both files store (a part a file lacks
    would show its seeded initialisation), else the sampling part, which every file stores."""
    both = [p for p in parts if in_file(base, p) and in_file(sel, p)]
    return both or [family(sel.model).sampler_part]


def file_dtype(index: ZooIndex, e: Entry) -> str:
    """The precision the entry's weights are stored in ("float16" / "bfloat16" / "float32")."""
    return str(load_entry(e, index.root).meta.get("dtype", "float32"))


FIG_NAMES = ("weights", "layers", "classes")
# the figures the page shows as pictures: its weight histogram is inline SVG on a slice's fixed axes
# (normgen.app.tabs.explore_scrub), so "weights" is drawn with matplotlib for API clients only
PAGE_FIGURES = ("layers", "classes")
_PRIVATE_STORE: list[FigureStore] = []  # NORMGEN_FIGURE_CACHE=0: a per-process folder, never pre-rendered


def _store() -> FigureStore:
    if figure_cache.enabled():
        return figure_cache.STORE
    if not _PRIVATE_STORE:
        _PRIVATE_STORE.append(FigureStore(workdir.new_folder("figs-")))
    return _PRIVATE_STORE[0]


def _has_classes(base: Entry, sel: Entry) -> bool:
    """The class histogram shows mode coverage, so it is drawn for families that can drop modes: a
    likelihood model (one with an ELBO) is trained to cover every image, and its class spread says little."""
    return bool(base.metrics.get("class_hist") and sel.metrics.get("class_hist")) and not family(base.model).has_elbo


def figure_keys(base: Entry, sel: Entry, parts: list[str]) -> dict[str, tuple | None]:
    """The store's key of each figure of the pair (None: that figure is not drawn for it)."""
    k = (figure_cache.VERSION, base.id, base.sha256, sel.id, sel.sha256, tuple(parts))
    return {name: (*k, name) if name != "classes" or _has_classes(base, sel) else None for name in FIG_NAMES}


def missing_figures(base: Entry, sel: Entry, parts: list[str], names: tuple[str, ...] = FIG_NAMES) -> list[str]:
    """The figures of the pair (those in `names`) that are not on disk yet."""
    st = _store()
    return [n for n, k in figure_keys(base, sel, parts).items() if n in names and k is not None and st.get(k) is None]


def figures(index: ZooIndex, base: Entry, sel: Entry, parts: list[str],
            names: tuple[str, ...] = FIG_NAMES) -> dict[str, str | None]:
    """PNG files of the weight figure (all weights + a zoom near zero, legend from the index's statistics
    of the stored weights), the per-layer norms and the judge's class histogram; None where not drawn and
    for the names not in `names` (Explore's browser draws the weight histogram itself, and a slice none).
    The weight figures draw `drawn_parts` (a part a file does not store is not drawn).

    They depend on the two checkpoints only (not on the noise seed), so each is drawn once and kept
    on disk (normgen.service.figure_cache; pre-rendered at app start by normgen.service.prerender).
    """
    st = _store()
    keys = {n: (k if n in names else None) for n, k in figure_keys(base, sel, parts).items()}
    out = {n: (st.get(k) if k is not None else None) for n, k in keys.items()}
    if all(out[n] is not None for n, k in keys.items() if k is not None):
        return out
    mb, ms = load_entry(base, index.root).model, load_entry(sel, index.root).model
    labels = ("baseline (λ = 0)", "selected")
    kinds = sorted({file_dtype(index, base), file_dtype(index, sel)})
    source = f", from the {' / '.join(kinds)} file" if kinds != ["float32"] else ""
    drawn = drawn_parts(base, sel, parts)
    missing = [p for p in parts if p not in drawn]
    lacking = f"\n(no {' + '.join(missing)} in the file)" if missing else ""
    if keys["weights"] is not None and out["weights"] is None:
        notes = []  # the figure is ~390 px wide: the second line must stay short
        if source:
            notes.append(" / ".join(kinds) + ("" if missing else " files"))
        if missing:
            notes.append(f"no {' + '.join(missing)} stored")
        title = f"Weights of the {' + '.join(drawn)}" + (f"\n({'; '.join(notes)})" if notes else "")
        wa = torch.cat([flat_weights(mb.parts[p]) for p in drawn])
        wb = torch.cat([flat_weights(ms.parts[p]) for p in drawn])
        stats = (entry_totals(index, base, drawn)[0], entry_totals(index, sel, drawn)[0])
        fig = plots.weight_mechanism(wa, wb, ("baseline", "selected"), stats=stats, title=title)
        out["weights"] = st.put(keys["weights"], fig)  # type: ignore[arg-type]
    if keys["layers"] is not None and out["layers"] is None:
        sa, sb = weight_stats(index, base), weight_stats(index, sel)
        prefix = len(drawn) > 1
        la = {f"{p}.{k}" if prefix else k: v["l2"] for p in drawn for k, v in sa[p]["layers"].items()}
        lb = {f"{p}.{k}" if prefix else k: v["l2"] for p in drawn for k, v in sb[p]["layers"].items()}
        fig = plots.layer_norms(la, lb, labels, title=f"Weight norm per layer ({' + '.join(drawn)}){source}{lacking}")
        out["layers"] = st.put(keys["layers"], fig)  # type: ignore[arg-type]
    if keys["classes"] is not None and out["classes"] is None:
        fig = plots.class_histogram(sel.metrics["class_hist"], sel.dataset, baseline=base.metrics["class_hist"],
                                    labels=labels)
        out["classes"] = st.put(keys["classes"], fig)
    return out


# ----------------------------------------------------------------------------------------------
# requests in flight (the background figure pass draws only while there are none)

_BUSY = {"n": 0, "last": 0.0}
_BUSY_LOCK = threading.Lock()


def _busy(delta: int) -> None:
    with _BUSY_LOCK:
        _BUSY["n"] += delta
        _BUSY["last"] = time.monotonic()


def idle_for(seconds: float) -> bool:
    """True when no Explore request is running and none ended in the last `seconds`."""
    with _BUSY_LOCK:
        return _BUSY["n"] == 0 and time.monotonic() - _BUSY["last"] >= seconds


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

    def folder(self) -> Path:
        """Its folder, made on first use and made again (the same path) if a sweep removed it."""
        if self.dir is None:
            self.dir = workdir.new_folder("ui-")
        self.dir.mkdir(parents=True, exist_ok=True)
        return self.dir

    def path(self, img: Image.Image | Callable[[], Image.Image | None] | None, key: tuple | None,
             shrink: int = 1) -> str | None:
        """The file of `img` (written once per `key`; a callable is only called when the file is not
        there yet); `shrink` > 1 writes it that many times smaller (nearest neighbour: exact for an image
        enlarged by `shrink`), for pictures the page enlarges itself (CSS image-rendering: pixelated), so
        there are fewer bytes to encode and fetch."""
        with self.lock:
            if key is not None and key in self.files and self.files[key].exists():
                self.files.move_to_end(key)
                return str(self.files[key])
        if callable(img):
            img = img()
        if img is None:
            return None
        with self.lock:
            p = self.folder() / f"{uuid.uuid4().hex}.png"
            if shrink > 1:
                img = img.resize((img.width // shrink, img.height // shrink), Image.NEAREST)
            img.save(p, format="png", compress_level=1)
            self.files[key if key is not None else (p.name,)] = p
            while len(self.files) > self.size:
                _, old = self.files.popitem(last=False)
                old.unlink(missing_ok=True)
            return str(p)


PNGS = PngCache(1024)  # the background pass warms ~450 of the shipped zoo's pictures (10-40 KB each)


def png_path(result: ExploreResult, name: str) -> str | None:
    """A PNG file for one of `result`'s images ("baseline", "selected", "diff", or a figure name)."""
    if name in result.figures:
        return result.figures[name]
    return PNGS.path(lambda: result.image(name), result.keys.get(name),
                     shrink=GRID_SCALE if name in ("diff", "noise") else 1)


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


def request(model: Any, dataset: Any, g_norm: Any, l1: Any, l2: Any, target: Any, variant: Any, seed: Any,
            train_size: Any = 0, dropout: Any = 0.0, loss: Any = None) -> tuple:
    """The validated Explore request (raises InputError with what is allowed); with `loss` (an
    inputs.LOSSES name), checked and returned last."""
    model, dataset, g_norm = check_model(model), check_dataset(dataset), check_g_norm(g_norm)
    l1, l2 = parse_lambda("l1", l1), parse_lambda("l2", l2)
    target, variant, seed = check_target(model, target), check_variant(variant), parse_seed(seed)
    out = (model, dataset, g_norm, l1, l2, target, variant, seed, parse_train_size(train_size), parse_dropout(dropout))
    return out if loss is None else (*out, check_loss(loss))


def explore(model: Any, dataset: Any, g_norm: Any, l1: Any, l2: Any, target: Any, variant: Any, seed: Any,
            train_size: Any = 0, dropout: Any = 0.0, loss: Any = "ns", *, root: str | None = None,
            figure_names: tuple[str, ...] = FIG_NAMES) -> ExploreResult:
    """Baseline and selected setting from the same noise (`seed`), plus the numbers that changed;
    `train_size` (0 = all training images) and `dropout` pick the zoo's small-data / dropout entries,
    `loss` (inputs.LOSSES: "ns", "wgan-clip", "wgan-gp", "wgan") the entries trained with that loss.

    Raises InputError for bad input; a missing or partial zoo is explained in `note`, never raised.
    """
    _busy(1)
    governor().wait()  # while a run trains in its own process: the server's CPU share (cpu_share)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # this thread only (OpenMP): see ONE_THREAD
    try:
        return _explore(model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout, loss, root,
                        figure_names)
    finally:
        torch.set_num_threads(threads)
        _busy(-1)


def _explore(model: Any, dataset: Any, g_norm: Any, l1: Any, l2: Any, target: Any, variant: Any, seed: Any,
             train_size: Any, dropout: Any, loss: Any, root: str | None,
             figure_names: tuple[str, ...] = FIG_NAMES) -> ExploreResult:
    model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout, loss = request(
        model, dataset, g_norm, l1, l2, target, variant, seed, train_size, dropout, loss)
    empty = ExploreResult("", "", "", "", "", False, {}, {"weights": None, "layers": None, "classes": None})
    problem = zoo_problem(root)
    if problem:
        empty.note = problem
        return empty
    index = get_index(root)
    s = select(index, model, dataset, g_norm, l1, l2, target, variant, train_size, dropout, loss)
    empty.note = "\n\n".join(s.notes)
    if s.selected is None or s.baseline is None:
        return empty
    try:
        return show(index, s, seed, figure_names)
    except CheckpointError as exc:  # the entry is named, not where the zoo lives on the server
        empty.note = f"{empty.note}\n\nA zoo file could not be used: {public_problem(exc)}".strip()
        return empty


def show(index: ZooIndex, s: Selection, seed: int, figure_names: tuple[str, ...] = FIG_NAMES) -> ExploreResult:
    """Sample both checkpoints of `s` from the same noise, measure what changed, and word it. The samples
    are drawn only when a number or a picture of this pair and seed is not cached yet (`pair_change`,
    `png_path`): a pair the background pass warmed (normgen.service.prerender) loads no checkpoint."""
    base, sel = s.baseline, s.selected
    assert base is not None and sel is not None
    n, nrow = grid_size(sel.model, dataset_info(sel.dataset).num_classes)
    parts = shown_parts(sel)
    (wb, src_b), (ws, src_s) = entry_totals(index, base, parts), entry_totals(index, sel, parts)
    change = pair_change(index, base, sel, n, seed)
    text = describe_change(index, base, sel, parts, wb, ws, change, seed, s.exact, s.notes)
    text.stats["weights_source"] = {"baseline": src_b, "selected": src_s}
    text.details += "\n\n" + source_caption(index, base, sel, src_b, src_s)
    gen_text, gen_stats = panel(index, base, sel)
    if gen_text:
        text.details += "\n\n" + gen_text
        text.stats["generalization"] = gen_stats
        if gen_stats.get("headline"):
            text.headline = f"{text.headline.removesuffix('.')}; {gen_stats['headline']}."
    root = str(index.root)
    pair = (root, base.id, base.sha256, sel.id, sel.sha256)
    keys = {"baseline": (root, base.id, base.sha256, seed), "selected": (root, sel.id, sel.sha256, seed),
            "diff": (*pair, seed, "diff")}

    def xs(e: Entry) -> torch.Tensor:
        return entry_samples(index, e, n, seed)

    draw = {"baseline": lambda: grid_image(xs(base), nrow=nrow, scale=GRID_SCALE),
            "selected": lambda: grid_image(xs(sel), nrow=nrow, scale=GRID_SCALE),
            "diff": lambda: diff_image(xs(base), xs(sel), nrow)}
    partner = noise_partner(index, base)
    noise_label = ""
    if partner is not None:
        draw["noise"] = lambda: diff_image(xs(base), xs(partner), nrow)
        keys["noise"] = (root, base.id, base.sha256, partner.id, partner.sha256, seed, "noise")
        noise = pair_change(index, base, partner, n, seed)
        text.stats["seed_noise"] = {"baseline_seeds": [base.seed, partner.seed], "mean_pixel_change": noise,
                                    "selected_mean_pixel_change": change}
        noise_label = (f"**Seed noise only:** baseline seed {base.seed} vs baseline seed {partner.seed}, the same "
                       f"recipe trained twice (mean change {noise:.3f}; selected vs baseline: {change:.3f})")
    setting = f"{model_label(sel.model)} on {dataset_label(sel.dataset)}, {describe(sel)}{size_words(sel)}"
    alt = {"baseline": f"Grid of samples of the baseline: {model_label(base.model)} on {dataset_label(base.dataset)}, "
                       f"no penalty (λ = 0){size_words(base)}, training seed {base.seed}, noise seed {seed}",
           "selected": f"Grid of samples of the selected setting: {setting}, training seed {sel.seed}, "
                       f"noise seed {seed}",
           "diff": f"Heat map of the per-pixel change from the baseline to {setting} (black: same, yellow: 0.5+)",
           "noise": f"Heat map of the per-pixel change between baseline training seeds {base.seed} and "
                    f"{partner.seed if partner else '-'} of {model_label(base.model)}, noise seed {seed}",
           "weights": f"Histograms of the weights of the baseline and of {setting}, with a zoom near zero",
           "layers": f"Bar chart of the weight norm per layer, baseline and {setting}",
           "classes": f"Bar chart of the classes the judge sees in the samples, baseline and {setting}"}
    return ExploreResult(
        baseline_label=(BASELINE_LOSS_LABEL if sel.setting[:2] != base.setting[:2] else BASELINE_LABEL)
        + size_words(base), selected_label=text.selected_label,
        headline=text.headline,
        details=text.details, note=text.note, exact=s.exact, stats=text.stats,
        figures=figures(index, base, sel, parts, figure_names), draw=draw, keys=keys, noise_label=noise_label, alt=alt)


def noise_partner(index: ZooIndex, base: Entry) -> Entry | None:
    """Another training seed of the same baseline recipe (the lowest seed other than `base`'s), or None
    when the zoo trained it once: the two show what changes from the training seed alone."""
    cands = [e for e in index.find(model=base.model, dataset=base.dataset, train_size=base.train_size,
                                   g_norm=base.g_norm, d_norm=base.d_norm, variant=base.variant, group=0.0, act=0.0)
             if e.is_baseline and e.seed != base.seed and e.steps == base.steps and e.setting == base.setting]
    return min(cands, key=lambda e: e.seed) if cands else None


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


_SAMPLES: OrderedDict[tuple, torch.Tensor] = OrderedDict()
_CHANGES: OrderedDict[tuple, float] = OrderedDict()  # (root, a, sha, b, sha, n, seed) -> mean pixel change
CHANGES_SIZE = 8192  # numbers: a few hundred KB at most
_SAMPLES_LOCK = threading.Lock()


def entry_samples(index: ZooIndex, e: Entry, n: int, seed: int) -> torch.Tensor:
    """`n` samples of entry `e` from noise `seed` (cached: a baseline is shown beside many settings;
    64 MNIST samples are 200 KB, the cache holds 128 of them)."""
    key = (str(index.root), e.id, e.sha256, n, seed)
    with _SAMPLES_LOCK:
        if key in _SAMPLES:
            _SAMPLES.move_to_end(key)
            return _SAMPLES[key]
    x = sample(load_entry(e, index.root).model, n, seed)
    with _SAMPLES_LOCK:
        return _lru_put(_SAMPLES, key, x, size=128)  # type: ignore[no-any-return]


def pair_change(index: ZooIndex, a: Entry, b: Entry, n: int, seed: int) -> float:
    """The mean pixel change from `a`'s `n` samples to `b`'s from noise `seed` (cached as a number, so a
    revisited pair needs neither checkpoint)."""
    key = (str(index.root), a.id, a.sha256, b.id, b.sha256, n, seed)
    with _SAMPLES_LOCK:
        if key in _CHANGES:
            _CHANGES.move_to_end(key)
            return _CHANGES[key]
    v = mean_pixel_change(entry_samples(index, a, n, seed), entry_samples(index, b, n, seed))
    with _SAMPLES_LOCK:
        return float(_lru_put(_CHANGES, key, v, size=CHANGES_SIZE))


def shown_parts(e: Entry) -> list[str]:
    """The penalized parts (what the penalty acts on); the sampling part for a baseline; for an entry
    trained with another adversarial loss and no penalty, the parts its Lipschitz constraint acts on (the
    ones sampling does not need: the discriminator, whose weights clipping keeps in [-c, c])."""
    fam = family(e.model)
    if e.is_baseline and e.setting[:2] != LOSSES["ns"] and fam.adversarial:
        return [p for p in fam.part_names if p not in fam.sampler_parts]
    if e.is_baseline:
        return [fam.sampler_part]
    try:
        return resolve_target(e.target, fam.part_names)
    except ValueError:
        raise InputError(f"zoo entry {e.id} has target {e.target!r}, not a part of a {e.model}") from None


__all__ = ["explore", "select", "show", "Selection", "ExploreResult", "diff_image", "grid_size", "weight_stats",
           "entry_totals", "drawn_parts", "file_dtype", "figures", "figure_keys", "missing_figures", "idle_for",
           "noise_partner", "pair_change", "shown_parts", "request", "NEAR_ZERO", "DEAD_FILTER"]
