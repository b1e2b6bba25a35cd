"""The weight statistics of the zoo, measured on the weights a user downloads.

    python -m normgen zoo restat [--root checkpoints] [--only REGEX] [--skip REGEX]

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
reloaded, and `zoo rescore` loads the files, so they were always of the stored weights.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from torch import nn

from normgen.eval.metrics import model_weight_stats
from normgen.zoo.index import TRAINED_KEY, Entry, load_entry, load_index, write_index


def stored_weight_stats(parts: dict[str, nn.Module], stored: list[str]) -> dict[str, dict[str, float]]:
    """part -> totals (normgen.eval.metrics.summarize) of each stored part of a loaded checkpoint."""
    return {p: s["total"] for p, s in model_weight_stats({p: parts[p] for p in stored}).items()}


def file_weights(e: Entry, root: Path) -> dict[str, dict[str, float]]:
    """The weight statistics of entry `e`'s file, part by part, as the index stores them."""
    ck = load_entry(e, root)
    return stored_weight_stats(ck.model.parts, list(ck.parts))


def restated(e: Entry, root: Path) -> Entry:
    """`e` with `weights` measured from its file; figures of parts the file lacks kept as trained_weights."""
    measured = file_weights(e, root)
    trained = dict(e.extra.get(TRAINED_KEY, {}))
    trained.update({p: w for p, w in e.weights.items() if p not in measured})
    extra = {**e.extra, TRAINED_KEY: trained} if trained else {k: v for k, v in e.extra.items() if k != TRAINED_KEY}
    return replace(e, weights=measured, extra=extra)


def restat(root: Path, *, only: str | None = None, skip: str | None = None,
           log: Callable[[str], None] = print) -> list[str]:
    """Measure the weights of every entry's file (ids matching `only` and not `skip`) and write the index
    when anything changed. Returns the ids whose statistics changed."""
    index = load_index(root)
    keep, drop = (re.compile(p) if p else None for p in (only, skip))
    changed: list[str] = []
    entries = []
    for e in index.entries:
        if (keep is None or keep.search(e.id)) and not (drop and drop.search(e.id)):
            new = restated(e, index.root)
            if new.weights != e.weights or new.extra != e.extra:
                changed.append(e.id)
                log(f"{e.id}: {_zeros(e.weights)} -> {_zeros(new.weights)} exact zeros")
            e = new
        entries.append(e)
    if changed:
        index.entries = entries  # load_index -> write_index leaves every other byte of the index as it was
        write_index(index, root)
    log(f"{len(changed)} of {len(entries)} entries restated from their files")
    return changed


def _zeros(weights: dict[str, Any]) -> str:
    return ", ".join(f"{p} {w.get('zero_pct', float('nan')):.3g}%" for p, w in weights.items())

