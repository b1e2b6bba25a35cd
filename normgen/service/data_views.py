"""Explore's two views that need the dataset's images, served: the selected entry's samples beside their nearest
training and held-out images (`nearest_view`; picture and words: normgen.zoo.views.nearest), and a small-data VAE
and its baseline reconstructing the same training and held-out images (`reconstruction_view`; picture and words:
normgen.zoo.views.reconstruction). Each is drawn on demand from the splits the server caches
(server_datasets.get_split) and kept per entry (`_drawn`: one cache, one way to say why there is no picture).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from normgen.checkpoints import CheckpointError
from normgen.data import Dataset, DatasetUnavailable, dataset_label
from normgen.public_text import no_paths
from normgen.service.explore_images import Lru
from normgen.service.requests import ExploreQuery
from normgen.service.server_datasets import dataset_status, get_split
from normgen.service.zoo_access import get_index, zoo_problem
from normgen.zoo.files import load_entry, public_problem
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.select import select
from normgen.zoo.views.nearest import NEAREST_PROMPT, memorization_note, nearest_rows
from normgen.zoo.views.reconstruction import (
    RECON_PROMPT,
    SCALE,
    reconstruction_picture,
    reconstruction_words,
    small_vae,
)


@dataclass
class DataView:
    image: Image.Image | None
    text: str  # markdown: what the picture shows, or why there is none
    stats: dict[str, Any] = field(default_factory=dict)
    key: tuple | None = None  # identifies the picture (its PNG is written once: explore_images.PNGS)


DRAWN = Lru(24)  # views kept (a picture is one sampling and one pass over the splits)


def selected(q: ExploreQuery, root: str | None = None) -> tuple[ZooIndex | None, Entry | None, str]:
    """A picture view's zoo and entry for the request `q`: (the zoo index, the selected entry or None, "" or
    why the zoo cannot be used)."""
    problem = zoo_problem(root)
    if problem:
        return None, None, problem
    index = get_index(root)
    return index, select(index, q).selected, ""


def _drawn(key: tuple, sel: Entry, data_root: str | None, what: str, tail: str,
           draw: Callable[[Dataset, Dataset], DataView]) -> DataView:
    """The view `key`, kept, or `draw(train, test)` on the splits of `sel`'s dataset; when the dataset is not on
    this server, or a zoo file or the images cannot be used, a sentence saying so (`what` cannot be shown here;
    `tail` follows it)."""
    kept = DRAWN.get(key)
    if kept is not None:
        return kept  # type: ignore[no-any-return]
    why = dataset_status(data_root).get(sel.dataset)
    if why:
        return DataView(None, f"{why}, so {what} cannot be shown here.{tail}")
    try:
        view = draw(get_split(sel.dataset, True, data_root), get_split(sel.dataset, False, data_root))
    except CheckpointError as exc:  # the entry is named, not where the zoo lives on the server
        return DataView(None, f"A zoo file could not be used: {public_problem(exc).rstrip('.')}.{tail}")
    except (DatasetUnavailable, OSError, ValueError) as exc:
        return DataView(None, f"The {dataset_label(sel.dataset)} images could not be used on this server "
                        f"({no_paths(str(exc))}), so {what} cannot be shown here.{tail}")
    view.key = key
    return DRAWN.put(key, view)  # type: ignore[no-any-return]


def nearest_view(q: ExploreQuery, *, root: str | None = None, data_root: str | None = None, only_small: bool = False,
                 beside_baseline: bool = True) -> DataView:
    """The selected entry's samples (the grid's first row, same noise) beside their nearest training
    image and nearest held-out image in pixel space (normgen.zoo.views.nearest.nearest_rows), cached.
    With `only_small`, entries trained on all images get the prompt instead (no data loaded). A small-data
    entry with a penalty gets its baseline's rows on the left (same noise; not with `beside_baseline` False)."""
    index, sel, problem = selected(q, root)
    if problem:
        return DataView(None, problem)
    if sel is None:
        return DataView(None, "Nothing is selected, so there are no samples to compare.")
    if only_small and not sel.train_size:
        return DataView(None, NEAREST_PROMPT)

    def draw(train: Dataset, test: Dataset) -> DataView:
        img, text, info = nearest_rows(index, sel, train, test, q.seed, beside_baseline)
        return DataView(img, text, {"id": sel.id, **info})

    key = ("nearest", str(index.root), sel.id, sel.sha256, q.seed, str(data_root), beside_baseline)
    return _drawn(key, sel, data_root, "its nearest training images", memorization_note(sel), draw)


def reconstruction_view(q: ExploreQuery, *, root: str | None = None, data_root: str | None = None) -> DataView:
    """The selected small-data VAE and its baseline (the λ = 0 entry of the same training-set size)
    reconstructing the same training and held-out images (`reconstruction_picture`), cached; the prompt for
    any other entry (no data loaded)."""
    index, sel, problem = selected(q, root)
    if problem:
        return DataView(None, problem)
    if not small_vae(sel):
        return DataView(None, RECON_PROMPT)
    base = index.baseline(sel.model, sel.dataset, like=sel, train_size=sel.train_size)
    shown = [sel] if base is None or base.id == sel.id else [base, sel]  # the baseline selected: one model

    def draw(train: Dataset, test: Dataset) -> DataView:
        cks = [load_entry(e, index.root) for e in shown]
        labels = ["baseline (λ = 0)" if e.is_baseline else "selected penalty" for e in shown]
        img, info = reconstruction_picture(list(zip(labels, (c.model for c in cks), strict=True)),
                                           cks[-1].config.training_images(train), test, scale=SCALE)
        text = reconstruction_words(info, labels)
        if len(shown) == 1:
            text += " Choose a penalty (λ above 0) to put its reconstructions beside the baseline's."
        return DataView(img, text, {"ids": [e.id for e in shown], **info})

    key = ("recon", str(index.root), *(e.sha256 for e in shown), str(data_root))
    return _drawn(key, sel, data_root, "its reconstructions", "", draw)


__all__ = ["DataView", "selected", "nearest_view", "reconstruction_view"]
