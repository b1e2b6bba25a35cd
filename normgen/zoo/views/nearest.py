"""Samples beside their nearest training images (Explore's "Find the nearest training images"): the picture and its
words, computed from an entry and the dataset's two splits (the server loads and caches those:
normgen.service.data_views). Stateless.
"""

from __future__ import annotations

from typing import Any

import torch
from PIL import Image

from normgen.checkpoints import CheckpointError
from normgen.data import Dataset
from normgen.engine.sampling import sample
from normgen.eval.copying import NEARER_THAN, REAL_SHARE
from normgen.eval.generalization import comparison_sets, nearest
from normgen.models import family
from normgen.render.grids import GRID_SCALE, grid_image, grid_size, side_by_side
from normgen.zoo.files import load_entry, public_problem
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.readings import metric
from normgen.zoo.views.run_metrics import EVAL_N

NEAREST_PROMPT = ("Press **Find the nearest training images** to put a row of the selected model's samples "
                  "beside their nearest training images (it loads the training images: a few seconds the "
                  "first time). Shown by itself for entries trained on a small training set.")



def shown_samples(x: torch.Tensor, nrow: int, conditional: bool) -> torch.Tensor:
    """One row of a grid's samples: its first row, or for a conditional family (one class per row) its
    first column, so every class appears once."""
    return x[::nrow] if conditional else x[:nrow]


def nearest_picture(samples: torch.Tensor, seen: Dataset, test: Dataset, data_seed: int,
                    scale: int = 3) -> tuple[Image.Image, dict[str, Any]]:
    """Three rows: `samples`, each one's nearest image (pixel L2) among the training images of the
    memorization metric's comparison sets (`seen` being the images the model trained on), and its
    nearest among as many held-out test images. Returns the picture and the distances."""
    train_cmp, held = comparison_sets(seen, test, data_seed)
    d_tr, i_tr = nearest(samples, train_cmp.images)
    d_he, i_he = nearest(samples, held.images)
    rows = torch.cat([samples.float().cpu(), train_cmp.images[i_tr.to(train_cmp.images.device)].float().cpu(),
                      held.images[i_he.to(held.images.device)].float().cpu()])
    info = {"m": len(train_cmp), "seen": len(seen), "n": int(samples.shape[0]),
            "closer_to_training": int((d_tr < d_he).sum()), "d_train": d_tr.tolist(), "d_held": d_he.tolist()}
    return grid_image(rows, nrow=samples.shape[0], scale=scale), info


def nearest_markdown(info: dict[str, Any], e: Entry, seed: int, conditional: bool = False) -> str:
    """What the picture shows, in words, with the counts it measured and the index's memorization."""
    m, seen, n = info["m"], info["seen"], info["n"]
    among = f"all {seen:,} images it trained on" if m == seen else f"{m:,} of the {seen:,} images it trained on"
    mean_tr = sum(info["d_train"]) / n
    mean_he = sum(info["d_held"]) / n
    row = "its grid's first column, one per class" if conditional else "its grid's first row"
    s = (f"**Top:** {n} samples of the selected model (noise seed {seed}: {row}). **Middle:** each one's nearest "
         f"training image in pixel space (L2 distance over the pixels), among {among}. **Bottom:** its nearest "
         f"among {m:,} held-out test images. {info['closer_to_training']} of {n} samples are closer to a "
         f"training image than to any held-out one (mean distance {mean_tr:.2f} to the training image, "
         f"{mean_he:.2f} to the held-out one).")
    pct = metric(e, "memorization_pct")
    if pct is not None:
        s += (f" Over {metric(e, 'n') or EVAL_N:,.0f} samples the zoo measured {pct:.1f}% (50% = as near the "
              "training images as the held-out ones). Pixel closeness is not copying: a blurry average lies near "
              "many training images at once.")
    near, ratio = metric(e, "near_copy_pct"), metric(e, "copy_ratio")
    if near is not None and ratio is not None:
        s += (f" In the judge's features, where copying is measured (Meehan et al. 2020): {near:.1f}% of the "
              f"samples are near-copies (nearer a training image than {NEARER_THAN} of new real images; real data: "
              f"{REAL_SHARE}), "
              f"distance ratio {ratio:.2f} (1 = as near as new real images).")
    return s


def nearest_rows(index: ZooIndex, sel: Entry, train: Dataset, test: Dataset, seed: int,
                 beside_baseline: bool = True) -> tuple[Image.Image, str, dict[str, Any]]:
    """The selected entry's samples (the grid's first row, noise `seed`) beside their nearest training and
    held-out images (`nearest_picture`), with its words; a small-data entry with a penalty gets its
    baseline's rows on the left (same noise; not with `beside_baseline` False). `train` / `test`: the
    dataset's splits. Raises CheckpointError for a zoo file that cannot be used."""
    ck = load_entry(sel, index.root)
    seen = ck.config.training_images(train)
    n, nrow = grid_size(sel.model, ck.config.model.num_classes)
    conditional = family(sel.model).conditional
    x = shown_samples(sample(ck.model, n, seed), nrow, conditional)
    img, info = nearest_picture(x, seen, test, ck.config.data_seed, scale=GRID_SCALE)
    text = nearest_markdown(info, sel, seed, conditional)
    base = (index.baseline(sel.model, sel.dataset, like=sel, train_size=sel.train_size)
            if sel.train_size and beside_baseline else None)
    if base is not None and base.id != sel.id:  # small data: the baseline's rows beside, from the same noise
        try:
            bck = load_entry(base, index.root)
        except CheckpointError as exc:
            text += f" (The baseline's rows could not be drawn: {public_problem(exc).rstrip('.')}.)"
        else:
            bx = shown_samples(sample(bck.model, n, seed), nrow, conditional)
            bimg, binfo = nearest_picture(bx, seen, test, ck.config.data_seed, scale=GRID_SCALE)
            img = side_by_side(bimg, img)
            info["baseline"] = {"id": base.id, "closer_to_training": binfo["closer_to_training"]}
            text = (f"**Left: the baseline (λ = 0), right: the selected penalty**, each trained on the same "
                    f"{info['seen']:,} images; on the left {binfo['closer_to_training']} of {binfo['n']} baseline "
                    f"samples are closer to a training image than to any held-out one, on the right "
                    f"{info['closer_to_training']} of {info['n']}. " + text)
    return img, text, info


def memorization_note(e: Entry) -> str:
    """What the zoo measured of `e`'s copying, for a view that cannot draw its picture."""
    pct = e.metrics.get("memorization_pct")
    near = e.metrics.get("near_copy_pct")
    s = (f" The zoo measured its pixel nearest-neighbour share: {pct:.1f}% (closeness in pixels, which blur "
         "raises; not copying)." if isinstance(pct, (int, float)) else "")
    if isinstance(near, (int, float)):
        s += f" Near-copies in the judge's features: {near:.1f}% (real held-out images: {REAL_SHARE})."
    return s


__all__ = ["NEAREST_PROMPT", "shown_samples", "nearest_picture", "nearest_markdown", "nearest_rows",
           "memorization_note"]
