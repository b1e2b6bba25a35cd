"""How the numbers of one zoo entry are read from the index and named on screen, the same way on
Compare (zoo.sweeps, zoo.sweep_view), Learn (zoo.findings, zoo.small_data) and the model card.

The index stores the VAE's ELBO in nats per pixel; the screens show nats per image (x the pixels of
one image of the entry's dataset, 784 for MNIST), so a gap of 0.091 nats/pixel reads 71 nats/image.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path

from normgen.checkpoints import CheckpointError, read_meta
from normgen.data import dataset_info
from normgen.eval.copying import REAL_SHARE
from normgen.eval.likelihood import K as IWAE_K
from normgen.models import family
from normgen.words import fmt_num
from normgen.zoo.index import TRAINED_KEY, Entry
from normgen.zoo.verdicts import Stat

# the metrics scored on generated samples, and where the index keeps their range over noise draws
SAMPLING_KEYS = {"fd": "fd_sampling", "confident_pct": "confident_sampling", "fd2": "fd2_sampling"}
SECOND_KEYS = {"fd": "fd2"}  # a metric and its reading under the second judge (issue 25)


def images_words(n: int) -> str:
    """'300 training images', '2,000 training images'; 0 (the whole split) as 'all training images'."""
    return f"{n:,} training images" if n else "all training images"


def dropout_parts(model: str) -> tuple[str, ...]:
    """Where ModelConfig.dropout acts: the discriminator of a family that has one, else every part
    (the VAE's encoder and decoder)."""
    parts = family(model).part_names
    return ("discriminator",) if "discriminator" in parts else tuple(parts)


def dropout_words(model: str) -> str:
    """'the discriminator', 'the encoder and decoder'."""
    return "the " + " and ".join(dropout_parts(model))


def weight_stat(entry: Entry, part: str, stat: str) -> float | None:
    """A weight statistic of one part: of the entry's file (the index's `weights`, measured on the stored
    weights), else, for a part the file does not store, of the trained weights (`trained_weights`: a
    screen that shows one says so, see `in_file`)."""
    d = entry.weights.get(part) or entry.extra.get(TRAINED_KEY, {}).get(part) or {}
    d = d.get("total", d)
    v = d.get(stat)
    return float(v) if isinstance(v, int | float) and math.isfinite(v) else None


def in_file(entry: Entry, part: str) -> bool:
    """Whether the entry's file stores `part` (so its weight statistics can be checked by downloading it)."""
    return part in entry.parts or not entry.parts




def not_in_file_note(entries: list[Entry], part: str) -> str:
    """A sentence for a screen showing `part`'s weight figures of `entries` when some file lacks it, else ''."""
    lacking = [e for e in entries if not in_file(e, part) and weight_stat(e, part, "l2") is not None]
    if not lacking:
        return ""
    which, files = ("here", "the file stores") if len(entries) == 1 else (
        f"of {len(lacking)} of these {len(entries)} entries", "their files store")
    return (f"The {part}'s weight figures {which} are of the trained weights: {files} only the "
            f"{' and '.join(lacking[0].parts)}, so a download cannot check them.")


def stored_dtype(root: Path, entry: Entry) -> str:
    """The precision the entry's file stores its weights in ("float16" / "bfloat16" / "float32"), from its
    header ("unknown" when the file cannot be read)."""
    try:
        return _file_dtype(str(root / entry.file), entry.sha256)
    except CheckpointError:
        return "unknown"


@functools.lru_cache(maxsize=1024)
def _file_dtype(path: str, _sha256: str) -> str:
    """A file's stored precision: its header read once per file version (a failure is not memoized)."""
    return str(read_meta(Path(path)).get("dtype", "float32"))


def metric(entry: Entry, name: str) -> float | None:
    v = entry.metrics.get(name)
    return float(v) if isinstance(v, int | float) and math.isfinite(v) else None


def pixels(dataset: str) -> int:
    """Pixels of one image of `dataset` (28 x 28 = 784 for MNIST): nats per pixel x this = nats per image."""
    return math.prod(dataset_info(dataset).image_shape)


def per_image(name: str) -> Callable[[Entry], float | None]:
    """A per-pixel ELBO metric of the index in nats per image (the entry's own image size)."""
    def get(e: Entry) -> float | None:
        v = metric(e, name)
        return None if v is None else v * pixels(e.dataset)
    return get


def of(name: str) -> Callable[[Entry], float | None]:
    """The index metric `name` of an entry (None when missing or not finite); the getter carries the
    name (`.metric`), so `stat` can find the metric's sampling spread."""
    def get(e: Entry) -> float | None:
        return metric(e, name)
    get.metric = name  # type: ignore[attr-defined]
    return get


def stat(entries: list[Entry], get: Callable[[Entry], float | None]) -> Stat:
    """`get` over `entries` (the training seeds of one setting) as a Stat, with the widest range over
    noise draws among them when `get` reads a sampled metric (FD, the confident share), and for FD the
    same seeds under the second judge (`Stat.second`) where it scored them all."""
    vals = [v for v in (get(e) for e in entries) if v is not None]
    name = getattr(get, "metric", "")
    key = SAMPLING_KEYS.get(name)
    spreads = [v for e in entries if key and (v := metric(e, key)) is not None]
    second = None
    if name in SECOND_KEYS:  # the second judge's reading, when it scored every seed the first one did
        s2 = stat(entries, of(SECOND_KEYS[name]))
        second = s2 if len(s2.vals) == len(vals) else None
    return Stat(vals, max(spreads, default=0.0), second)


def generalization_rows(model: str) -> list[tuple[str, Callable[[Entry], float | None]]]:
    """(label, getter) of what overfitting shows as, for the family of `model`: the ELBO on training and
    on held-out images and its gap, train - held-out (families with an ELBO), the discriminator's mean
    logit on both and its gap (families with a discriminator), then copying in the judge's features (the
    distance ratio and near-copies, normgen.eval.copying) and last the pixel nearest-neighbour share (named
    for what it measures: closeness in pixels, which blur raises; every family). The one list Compare's
    table, its plots, Learn and the model card read; the first three rows are the ELBO's (or D's)."""
    fam, rows = family(model), []
    if fam.has_elbo:
        rows += [("ELBO train (nats/image)", per_image("elbo_train")),
                 ("ELBO held-out (nats/image)", per_image("elbo_test")),
                 ("ELBO gap (nats/image)", per_image("elbo_gap")),
                 (f"{IWAE_LABEL} train (nats/image)", per_image("iwae_train")),
                 (f"{IWAE_LABEL} held-out (nats/image)", per_image("iwae_test")),
                 (f"{IWAE_LABEL} gap (nats/image)", per_image("iwae_gap"))]
    if "discriminator" in fam.part_names:
        rows += [("D logit train", of("d_train")), ("D logit held-out", of("d_held")), ("D gap (logit)", of("d_gap"))]
    return rows + COPY_ROWS


IWAE_LABEL = f"IWAE k={IWAE_K}"  # the importance-weighted bound with IWAE_K samples of the code
COPY_ROWS = [("copy distance ratio (judge features; real data: 1)", of("copy_ratio")),
             (f"near-copies % (real data: {REAL_SHARE})", of("near_copy_pct")),
             ("pixel NN share % (blur raises it; not copying)", of("memorization_pct"))]


def spread(vals: list[float]) -> str:
    """'25.1' for one seed, '25.1 (2 seeds: 23.0-27.2)' for several ('25.1 (2 seeds)' if equal)."""
    if not vals:
        return "n/a"
    mean = sum(vals) / len(vals)
    f = fmt_num
    lo, hi = f(min(vals)), f(max(vals))
    if len(vals) == 1 or lo == hi:
        return f(mean) + (f" ({len(vals)} seeds)" if len(vals) > 1 else "")
    return f"{f(mean)} ({len(vals)} seeds: {lo}-{hi})"
