"""Generalization pictures and live runs: does a model copy its training images, and how does a finished
run fit its training images against unseen ones? (Explore's table of the index's numbers is
normgen.zoo.texts.report.panel; the measurements are normgen.eval.generalization and eval.quality.vae_scores.)

- `nearest_picture` / `nearest_view`: samples next to their nearest training image and their nearest
  held-out image in pixel space, among the same equally large sets the memorization metric uses
  (computed on demand, cached: it loads the training images);
- `measure_run` / `run_markdown`: the zoo's generalization metrics measured on a finished live run
  (Train), with the zoo's sample count and noise, so a run and a zoo entry of one recipe read the same.

The ELBO metrics are per pixel; on screen they are nats per image (x the image's pixel count).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import torch
from PIL import Image

from normgen.checkpoints import CheckpointError
from normgen.data import Dataset, DatasetUnavailable, dataset_label
from normgen.engine.sampling import sample
from normgen.eval.generalization import comparison_sets, generalization, nearest
from normgen.eval.quality import generate_many, vae_scores
from normgen.eval.structure import BLOCK, MIN_RATIO, has_structure, structure_ratio
from normgen.models import GenerativeModel, family
from normgen.public_text import no_paths
from normgen.render.figures import fmt_num
from normgen.render.grids import grid_image, side_by_side
from normgen.service.explore_images import GRID_SCALE, grid_size, lru_put
from normgen.service.requests import ExploreQuery
from normgen.service.server_datasets import dataset_status
from normgen.service.sessions import get_split
from normgen.service.zoo_access import get_index, zoo_problem
from normgen.zoo.files import load_entry, public_problem
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.readings import metric, pixels
from normgen.zoo.select import select
from normgen.zoo.texts.heldout import MEMO_WORDS

# a live run is scored as the zoo scores its entries (normgen.zoo.judges' EVAL_N samples from noise
# EVAL_SEED; a test keeps them equal), so a run and a zoo entry of one recipe read the same. Named here:
# the app's services do not load the zoo builder.
EVAL_N, EVAL_SEED = 2_000, 0
STRUCTURE_N = 512  # samples (and real test images) the structure statistic compares

# ----------------------------------------------------------------------------------------------
# the picture: samples beside their nearest training image


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
              f"samples are near-copies (nearer a training image than 99% of new real images; real data: 1%), "
              f"distance ratio {ratio:.2f} (1 = as near as new real images).")
    return s


# ----------------------------------------------------------------------------------------------
# nearest training images (on demand: it loads the training set)

NEAREST_PROMPT = ("Press **Find the nearest training images** to put a row of the selected model's samples "
                  "beside their nearest training images (it loads the training images: a few seconds the "
                  "first time). Shown by itself for entries trained on a small training set.")


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
    image and nearest held-out image in pixel space (`generalization_view.nearest_picture`), cached.
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
                           + _memorization_note(sel))
    try:
        ck = load_entry(sel, index.root)
        train, test = get_split(sel.dataset, True, data_root), get_split(sel.dataset, False, data_root)
        seen = ck.config.training_images(train)
    except CheckpointError as exc:  # the entry is named, not where the zoo lives on the server
        return NearestView(None, f"A zoo file could not be used: {public_problem(exc).rstrip('.')}."
                           + _memorization_note(sel))
    except (DatasetUnavailable, OSError, ValueError) as exc:
        return NearestView(None, f"The {dataset_label(sel.dataset)} images could not be used on this server "
                           f"({no_paths(str(exc))}), so its nearest training images cannot be shown here."
                           + _memorization_note(sel))
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
    view = NearestView(img, text, {"id": sel.id, **info}, ("nearest", *key))
    return lru_put(_NEAREST, key, view, size=16)  # type: ignore[no-any-return]


def _memorization_note(e: Entry) -> str:
    pct = e.metrics.get("memorization_pct")
    near = e.metrics.get("near_copy_pct")
    s = (f" The zoo measured its pixel nearest-neighbour share: {pct:.1f}% (closeness in pixels, which blur "
         "raises; not copying)." if isinstance(pct, (int, float)) else "")
    if isinstance(near, (int, float)):
        s += f" Near-copies in the judge's features: {near:.1f}% (real held-out images: 1%)."
    return s


# ----------------------------------------------------------------------------------------------
# a finished live run


def measure_run(model: GenerativeModel, seen: Dataset, test: Dataset, data_seed: int) -> dict[str, float]:
    """The zoo's generalization metrics of a finished run, with the zoo's sample count and noise:
    VAE train / test ELBO (per pixel) and its gap; memorization; for an adversarial family the D gap.
    `seen` are the images the run trained on."""
    out: dict[str, float] = {"train_size": float(len(seen))}
    if family(model.cfg.name).has_elbo:
        out.update(vae_scores(model, seen, test, n=EVAL_N, seed=EVAL_SEED))
    out.update(generalization(model, seen, test, n=EVAL_N, seed=EVAL_SEED, data_seed=data_seed))
    # memorization only means something for samples with structure: grey tiles' nearest image is an accident
    samples, _ = generate_many(model, STRUCTURE_N, EVAL_SEED)
    out["structure_ratio"] = structure_ratio(samples, test.images[:STRUCTURE_N])
    if not has_structure(out["structure_ratio"]):
        out.pop("memorization_pct", None)
    return out


def run_markdown(g: dict[str, float], dataset: str) -> str:
    """The numbers of `measure_run`, as sentences (ELBO in nats per image)."""
    m = int(g["gen_m"])
    s = (f"**Generalization of the kept model** ({int(g['train_size']):,} training images; held-out: the test "
         "split):")
    if "elbo_gap" in g:
        px = pixels(dataset)
        s += (f" ELBO {fmt_num(g['elbo_train'] * px)} nats/image on its training images and "
              f"{fmt_num(g['elbo_test'] * px)} on held-out test images: a train–test gap of "
              f"{fmt_num(g['elbo_gap'] * px)} nats/image.")
    if "d_gap" in g:
        s += (f" The discriminator's mean logit is {fmt_num(g['d_train'])} on training images and "
              f"{fmt_num(g['d_held'])} on held-out ones: a gap of {fmt_num(g['d_gap'])}.")
    if "memorization_pct" in g:
        s += (f" Pixel nearest-neighbour share {g['memorization_pct']:.1f}% ({MEMO_WORDS}; {EVAL_N:,} samples "
              f"against {m:,} training and {m:,} held-out images).")
    elif "structure_ratio" in g:
        s += (f" The pixel nearest-neighbour share is not shown: the samples have no structure yet (their contrast "
              f"between {BLOCK}×{BLOCK}-pixel blocks is {100 * g['structure_ratio']:.0f}% of real images', below "
              f"{100 * MIN_RATIO:.0f}%), and the nearest training image of a flat or noisy tile means nothing.")
    return s


__all__ = ["selected", "nearest_picture", "nearest_markdown", "nearest_view", "NearestView", "NEAREST_PROMPT",
           "shown_samples", "measure_run", "run_markdown"]
