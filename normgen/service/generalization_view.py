"""Explore's nearest-training-images view, served: the selected entry's samples beside their nearest training image
and nearest held-out image in pixel space, drawn on demand (it loads the dataset's splits, which the server
caches: server_datasets.get_split) and kept per entry and noise seed. The picture and its words are
normgen.zoo.views.nearest; a finished live run's numbers are normgen.zoo.views.run_metrics.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from normgen.checkpoints import CheckpointError
from normgen.data import DatasetUnavailable, dataset_label
from normgen.public_text import no_paths
from normgen.service.explore_images import lru_put
from normgen.service.requests import ExploreQuery
from normgen.service.server_datasets import dataset_status, get_split
from normgen.service.zoo_access import get_index, zoo_problem
from normgen.zoo.files import public_problem
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.select import select
from normgen.zoo.views.nearest import NEAREST_PROMPT, memorization_note, nearest_rows


@dataclass
class NearestView:
    image: Image.Image | None
    text: str  # markdown: what the picture shows, or why there is none
    stats: dict[str, Any] = field(default_factory=dict)
    key: tuple | None = None  # identifies the picture (its PNG is written once: explore_images.PNGS)


_NEAREST: OrderedDict[tuple, NearestView] = OrderedDict()


def selected(q: ExploreQuery, root: str | None = None) -> tuple[ZooIndex | None, Entry | None, str]:
    """A picture view's zoo and entry for the request `q`: (the zoo index, the selected entry or None, "" or
    why the zoo cannot be used)."""
    problem = zoo_problem(root)
    if problem:
        return None, None, problem
    index = get_index(root)
    return index, select(index, q).selected, ""


def nearest_view(q: ExploreQuery, *, root: str | None = None, data_root: str | None = None, only_small: bool = False,
                 beside_baseline: bool = True) -> NearestView:
    """The selected entry's samples (the grid's first row, same noise) beside their nearest training
    image and nearest held-out image in pixel space (normgen.zoo.views.nearest.nearest_rows), cached.
    With `only_small`, entries trained on all images get the prompt instead (no data loaded). A small-data
    entry with a penalty gets its baseline's rows on the left (same noise; not with `beside_baseline` False).
    When the dataset is not on this server, says so instead of the picture."""
    seed = q.seed
    index, sel, problem = selected(q, root)
    if problem:
        return NearestView(None, problem)
    if sel is None:
        return NearestView(None, "Nothing is selected, so there are no samples to compare.")
    if only_small and not sel.train_size:
        return NearestView(None, NEAREST_PROMPT)
    key = (str(index.root), sel.id, sel.sha256, seed, str(data_root), beside_baseline)
    if key in _NEAREST:
        _NEAREST.move_to_end(key)
        return _NEAREST[key]
    why = dataset_status(data_root).get(sel.dataset)
    if why:
        return NearestView(None, f"{why}, so its nearest training images cannot be shown here."
                           + memorization_note(sel))
    try:
        train, test = get_split(sel.dataset, True, data_root), get_split(sel.dataset, False, data_root)
        img, text, info = nearest_rows(index, sel, train, test, seed, beside_baseline)
    except CheckpointError as exc:  # the entry is named, not where the zoo lives on the server
        return NearestView(None, f"A zoo file could not be used: {public_problem(exc).rstrip('.')}."
                           + memorization_note(sel))
    except (DatasetUnavailable, OSError, ValueError) as exc:
        return NearestView(None, f"The {dataset_label(sel.dataset)} images could not be used on this server "
                           f"({no_paths(str(exc))}), so its nearest training images cannot be shown here."
                           + memorization_note(sel))
    view = NearestView(img, text, {"id": sel.id, **info}, ("nearest", *key))
    return lru_put(_NEAREST, key, view, size=16)  # type: ignore[no-any-return]


__all__ = ["selected", "nearest_view", "NearestView"]
