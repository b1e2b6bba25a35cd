"""Explore: the unregularized baseline and a chosen setting from the zoo, side by side from the same
noise, and what changed. Every number shown is measured here (pixel change, the figures drawn from
the stored weights) or read from the zoo index (judge and generalization metrics measured when the zoo
was built, and the weight statistics of the stored weights, which a downloaded file reproduces: see
`explore_figures.entry_totals`); no effect is asserted that is not measured. A setting is a training-set
size (0 = all images) and dropout rate too: a small-data entry is shown beside the baseline of its size.

Cost per call on a 2-core CPU: two forward passes of a ~0.4M-parameter generator on 64 latents
(a few ms each) plus PNG encoding; checkpoints, weight statistics and figures are cached.

This module owns the request and the view (`explore`, `show`, `ExploreResult`); which entries to show is
normgen.zoo.select, the weight figures and their numbers normgen.zoo.views.explore_figures,
the sample grids, heat maps and PNG files normgen.service.explore_images.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from PIL import Image

from normgen.checkpoints import CheckpointError
from normgen.data import dataset_info
from normgen.render.grids import GRID_SCALE, grid_image, grid_size
from normgen.service.cpu_share import governor
from normgen.service.explore_images import PNGS, diff_image, entry_samples, pair_change
from normgen.service.inputs import InputError
from normgen.service.requests import ExploreQuery
from normgen.service.zoo_access import get_index, zoo_problem
from normgen.zoo.files import public_problem
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.select import Selection, noise_partner, select
from normgen.zoo.texts.heldout import panel
from normgen.zoo.texts.report import (
    BASELINE_LABEL,
    BASELINE_LOSS_LABEL,
    describe_change,
    size_words,
)
from normgen.zoo.views.explore_figures import (
    FIG_NAMES,
    alt_texts,
    entry_totals,
    figures,
    shown_parts,
    source_caption,
)


@dataclass
class ExploreResult:
    baseline_label: str
    selected_label: str
    headline: str  # one sentence generated from the numbers
    details: str  # markdown: the numbers behind the headline
    note: str  # markdown: exact match / nearest / what is missing
    exact: bool
    stats: dict[str, Any]  # the same numbers, JSON-ready (for API clients)
    figures: dict[str, str | None]  # "weights", "layers", "classes": inline SVG (None: not drawn)
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


def png_path(result: ExploreResult, name: str) -> str | None:
    """A PNG file for one of `result`'s pictures ("baseline", "selected", "diff", "noise"; the figures
    are SVG text in `result.figures`)."""
    return PNGS.path(lambda: result.image(name), result.keys.get(name),
                     shrink=GRID_SCALE if name in ("diff", "noise") else 1)


# ----------------------------------------------------------------------------------------------
# explore


def explore(q: ExploreQuery, *, root: str | None = None, figure_names: tuple[str, ...] = FIG_NAMES) -> ExploreResult:
    """Baseline and selected setting of the request `q` from the same noise (`q.seed`), plus the numbers that
    changed; `q.train_size` and `q.dropout` pick the zoo's small-data / dropout entries, `q.loss` the entries
    trained with that loss. A missing or partial zoo is explained in `note`, never raised."""
    with governor().explore():  # the server's CPU share (cpu_share): one thread, after its share
        empty = ExploreResult("", "", "", "", "", False, {}, {"weights": None, "layers": None, "classes": None})
        problem = zoo_problem(root)
        if problem:
            empty.note = problem
            return empty
        index = get_index(root)
        s = select(index, q)
        empty.note = "\n\n".join(s.notes)
        if s.selected is None or s.baseline is None:
            return empty
        try:
            return show(index, s, q.seed, figure_names)
        except CheckpointError as exc:  # the entry is named, not where the zoo lives on the server
            empty.note = f"{empty.note}\n\nA zoo file could not be used: {public_problem(exc)}".strip()
            return empty


def show(index: ZooIndex, s: Selection, seed: int, figure_names: tuple[str, ...] = FIG_NAMES) -> ExploreResult:
    """Sample both checkpoints of `s` from the same noise, measure what changed, and word it. The samples
    are drawn only when a number or a picture of this pair and seed is not cached yet (`pair_change`,
    `png_path`): a pair viewed before loads no checkpoint unless the API's weight figure is asked for."""
    base, sel = s.baseline, s.selected
    assert base is not None and sel is not None
    n, nrow = grid_size(sel.model, dataset_info(sel.dataset).num_classes)
    try:
        parts = shown_parts(sel)
    except ValueError as exc:  # an index row whose target names no part of its model
        raise InputError(str(exc)) from None
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
    alt = alt_texts(base, sel, partner, seed)
    return ExploreResult(
        baseline_label=(BASELINE_LOSS_LABEL if sel.setting[:2] != base.setting[:2] else BASELINE_LABEL)
        + size_words(base), selected_label=text.selected_label,
        headline=text.headline,
        details=text.details, note=text.note, exact=s.exact, stats=text.stats,
        figures=figures(index, base, sel, parts, figure_names, alt), draw=draw, keys=keys, noise_label=noise_label,
        alt=alt)


__all__ = ["explore", "show", "ExploreResult", "png_path"]
