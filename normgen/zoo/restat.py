"""The weight statistics of the zoo, measured on the weights a user downloads.

    python -m normgen zoo restat [--root checkpoints] [--only REGEX] [--skip REGEX] [--pictures]

Why: the zoo's first builds measured the statistics on the trained float32 weights and then stored
float16 files. float16 rounds every |w| under 6e-8 to exactly 0, so 40 L2 / group-lasso / decoupled
files held 16-85% exact zeros where the index said ~0% (GAN L2 1e-1: 50.1% in the file, 0.002% in the
index). The float32 originals are gone, so the index now describes the stored files: `weights` holds, per
part the file stores, the statistics of its weights as `normgen.checkpoints.load` returns them (float32
holding the stored values), computed by `normgen.eval.metrics` as before. New builds store bfloat16
(float32's exponent range: nothing underflows) and measure the same way (normgen.zoo.build).

A part the file does not store (most GAN files keep only the generator) cannot be measured from it: its
statistics from training move to `trained_weights`, which every screen that shows them labels as not
in the download.

FD and the other sample metrics need no rescoring: the build scored the file it had just saved and
reloaded, and `zoo rescore` loads the files, so they were always of the stored weights (FD of the two
worst files, 50-85% exact zeros, recomputed from them: equal to the index's to 1e-8).

`--pictures` adds, for entries built before them, the numbers a collapse is described by (issue 25 point 2:
"blank samples" was written where every sample was the same stroke): ink share, per-pixel spread across
samples, and for a conditional model the share the judge sees as the asked class (normgen.eval.quality:
picture_stats, asked_pct), measured on the samples the build scored (EVAL_N from EVAL_SEED), so a build
and a restat give the same numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from normgen.eval.metrics import part_totals
from normgen.eval.quality import asked_pct, generate_many, picture_stats
from normgen.models import family
from normgen.zoo.files import load_entry, load_judge
from normgen.zoo.index import TRAINED_KEY, Entry, load_index, write_index
from normgen.zoo.judges import EVAL_N, EVAL_SEED


def file_weights(e: Entry, root: Path) -> dict[str, dict[str, float]]:
    """The weight statistics of entry `e`'s file, part by part, as the index stores them."""
    ck = load_entry(e, root)
    return part_totals(ck.model.parts, list(ck.parts))


def restated(e: Entry, root: Path) -> Entry:
    """`e` with `weights` measured from its file; figures of parts the file lacks kept as trained_weights."""
    measured = file_weights(e, root)
    trained = dict(e.extra.get(TRAINED_KEY, {}))
    trained.update({p: w for p, w in e.weights.items() if p not in measured})
    extra = {**e.extra, TRAINED_KEY: trained} if trained else {k: v for k, v in e.extra.items() if k != TRAINED_KEY}
    return replace(e, weights=measured, extra=extra)


PICTURE_KEYS = ("ink_pct", "pixel_spread", "asked_pct")


def picture_metrics(e: Entry, root: Path) -> dict[str, float]:
    """ink_pct, pixel_spread (and asked_pct for a conditional model) of the samples the build scored."""
    model = load_entry(e, root).model
    n = int(e.metrics.get("n") or EVAL_N)
    with torch.no_grad():
        x, y = generate_many(model, n, EVAL_SEED)
    out = picture_stats(x)
    judge = load_judge(e.dataset, root) if y is not None else None
    if judge is not None and y is not None:
        out["asked_pct"] = asked_pct(judge, x, y)
    return out


def restat(root: Path, *, only: str | None = None, skip: str | None = None, pictures: bool = False,
           log: Callable[[str], None] = print) -> list[str]:
    """Measure the weights of every entry's file (ids matching `only` and not `skip`; with `pictures`,
    also what its samples look like, where the index lacks it) and write the index when anything changed.
    Returns the ids whose figures changed."""
    index = load_index(root)
    keep, drop = (re.compile(p) if p else None for p in (only, skip))
    changed: list[str] = []
    entries = []
    for e in index.entries:
        if (keep is None or keep.search(e.id)) and not (drop and drop.search(e.id)):
            new = restated(e, index.root)
            if pictures and not family(e.model).translates and "pixel_spread" not in e.metrics:
                new = replace(new, metrics={**new.metrics, **picture_metrics(e, index.root)})
            if new.weights != e.weights or new.extra != e.extra or new.metrics != e.metrics:
                changed.append(e.id)
                look = {k: round(v, 4) for k, v in new.metrics.items() if k in PICTURE_KEYS and k not in e.metrics}
                log(f"{e.id}: exact zeros {_zeros(e.weights)} -> {_zeros(new.weights)}" + (f"; {look}" if look else ""))
            e = new
        entries.append(e)
    if changed:
        index.entries = entries  # load_index -> write_index leaves every other byte of the index as it was
        write_index(index, root)
    log(f"{len(changed)} of {len(entries)} entries restated from their files")
    return changed


def _zeros(weights: dict[str, Any]) -> str:
    return ", ".join(f"{p} {w.get('zero_pct', float('nan')):.3g}%" for p, w in weights.items())

