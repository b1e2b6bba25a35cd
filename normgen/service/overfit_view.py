"""Explore's reconstruction view, served: for a VAE trained on a small training set, the selected entry and its
baseline (the λ = 0 entry of the same training-set size) reconstructing the same training and held-out images,
drawn on demand (it loads the dataset's splits, which the server caches: server_datasets.get_split) and kept per
pair. The picture and its words are normgen.zoo.views.reconstruction.
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
from normgen.service.generalization_view import selected
from normgen.service.requests import ExploreQuery
from normgen.service.server_datasets import dataset_status, get_split
from normgen.zoo.files import load_entry, public_problem
from normgen.zoo.views.reconstruction import (
    RECON_PROMPT,
    SCALE,
    reconstruction_picture,
    reconstruction_words,
    small_vae,
)


@dataclass
class ReconstructionView:
    image: Image.Image | None
    text: str
    stats: dict[str, Any] = field(default_factory=dict)
    key: tuple | None = None


_RECON: OrderedDict[tuple, ReconstructionView] = OrderedDict()


def reconstruction_view(q: ExploreQuery, *, root: str | None = None,
                        data_root: str | None = None) -> ReconstructionView:
    """The selected small-data VAE and its baseline reconstructing the same training and held-out images
    (`reconstruction_picture`), cached; the prompt for any other entry (no data loaded)."""
    index, sel, problem = selected(q, root)
    if problem:
        return ReconstructionView(None, problem)
    if not small_vae(sel):
        return ReconstructionView(None, RECON_PROMPT)
    base = index.baseline(sel.model, sel.dataset, like=sel, train_size=sel.train_size)
    shown = [sel] if base is None or base.id == sel.id else [base, sel]  # the baseline selected: one model
    key = (str(index.root), *(e.sha256 for e in shown), str(data_root))
    if key in _RECON:
        _RECON.move_to_end(key)
        return _RECON[key]
    why = dataset_status(data_root).get(sel.dataset)
    if why:
        return ReconstructionView(None, f"{why}, so its reconstructions cannot be shown here.")
    try:
        cks = [load_entry(e, index.root) for e in shown]
        train, test = get_split(sel.dataset, True, data_root), get_split(sel.dataset, False, data_root)
        seen = cks[-1].config.training_images(train)
    except CheckpointError as exc:
        return ReconstructionView(None, f"A zoo file could not be used: {public_problem(exc).rstrip('.')}.")
    except (DatasetUnavailable, OSError, ValueError) as exc:
        return ReconstructionView(None, f"The {dataset_label(sel.dataset)} images could not be used on this "
                                  f"server ({no_paths(str(exc))}), so its reconstructions cannot be shown here.")
    labels = ["baseline (λ = 0)" if e.is_baseline else "selected penalty" for e in shown]
    img, info = reconstruction_picture(list(zip(labels, (c.model for c in cks), strict=True)), seen, test,
                                       scale=SCALE)
    text = reconstruction_words(info, labels)
    if len(shown) == 1:
        text += " Choose a penalty (λ above 0) to put its reconstructions beside the baseline's."
    view = ReconstructionView(img, text, {"ids": [e.id for e in shown], **info}, ("recon", *key))
    return lru_put(_RECON, key, view, size=8)  # type: ignore[no-any-return]


__all__ = ["reconstruction_view", "ReconstructionView"]
