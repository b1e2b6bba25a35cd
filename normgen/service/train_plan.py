"""The plan of a Train run (no gradio): the checked request made a config (`plan_run`, `plan` -> `RunPlan`), where
it starts (the zoo's baseline to fine-tune, or scratch, and why), the device and the caps it trains under, and the
worker's memory hand-back (`release_memory`). How long it will take is normgen.service.run_estimate; the run itself
is normgen.service.runs; the datasets it trains on, cached, are normgen.service.server_datasets.
"""

from __future__ import annotations

import copy
import ctypes
import ctypes.util
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from normgen.checkpoints import Checkpoint, CheckpointError
from normgen.config import TrainConfig, make_config
from normgen.data import DATASETS, OFFLINE_DATASET, dataset_info
from normgen.losses import LOSS_SETTINGS
from normgen.models import GenerativeModel, family, model_label
from normgen.public_text import no_paths
from normgen.regularizers import RegConfig
from normgen.service.cpu_share import TRAIN_THREADS
from normgen.service.inputs import (
    InputError,
    env_number,
)
from normgen.service.requests import TrainRequest
from normgen.service.server_datasets import dataset_status, train_split_size
from normgen.service.zerogpu import zero_gpu
from normgen.service.zoo_access import get_index
from normgen.zoo.files import entry_path, load_entry, public_problem
from normgen.zoo.index import Entry

if TYPE_CHECKING:
    from normgen.service.uploads import Upload

HEARTBEAT_S = 10.0  # a run whose stream nobody has read for this long stops (client went away)
STREAM_MIN_INTERVAL = 1.0  # at most one UI update per second: each redraws the grid and 3 plots


def device_name() -> str:
    return "cuda" if zero_gpu() or torch.cuda.is_available() else "cpu"


def caps(device: str | None = None) -> tuple[int, float]:
    """(max steps, max seconds) per run; hosts may raise them with $NORMGEN_MAX_STEPS / _SECONDS."""
    if (device or device_name()) == "cuda":
        return int(env_number("NORMGEN_MAX_STEPS", 20_000)), env_number("NORMGEN_MAX_SECONDS", 600.0)
    return int(env_number("NORMGEN_MAX_STEPS", 3000)), env_number("NORMGEN_MAX_SECONDS", 180.0)


def device_description(device: str | None = None) -> str:
    device = device or device_name()
    if device == "cuda":  # on ZeroGPU no GPU is attached outside a run: name none
        return "a ZeroGPU GPU" if zero_gpu() else f"GPU ({torch.cuda.get_device_name(0)})"
    n = TRAIN_THREADS
    return f"CPU ({n} thread{'s' if n != 1 else ''})"


# ----------------------------------------------------------------------------------------------
# planning


@dataclass
class RunPlan:
    cfg: TrainConfig
    device: str
    start: str  # finetune | scratch
    init: GenerativeModel | None = None  # a private copy of the zoo baseline's model
    init_entry: Entry | None = None
    notes: list[str] = field(default_factory=list)
    init_path: Path | None = None  # the baseline's file (for the reproducing CLI command)
    expected_s: float | None = None  # expected wall time (set by `prepare`: normgen.service.pace; None: unknown)
    probe_s_per_step: float | None = None  # the speed probe's seconds per step (set by `prepare`)
    upload: Upload | None = None  # the visitor's own images it trains on (normgen.service.uploads)
    root: str | Path | None = None  # the zoo it was planned against (a translator's scores sit beside its)


def finetune_source(model: str, dataset: str, g_norm: str, root: str | None = None,
                    train_size: int = 0) -> Entry | None:
    """The zoo baseline this setting can fine-tune from: λ = 0, same model / dataset / g_norm, trained on
    as many images (`train_size`, 0 = all), and a file that stores every part (a GAN needs its
    discriminator to keep training)."""
    try:
        index = get_index(root)
    except ValueError:
        return None
    return index.baseline(model, dataset, g_norm, stores=family(model).part_names, train_size=train_size)


def plan_run(model: Any, dataset: Any, g_norm: Any, l1: Any, l2: Any, target: Any, variant: Any, seed: Any,
             steps: Any, seconds: Any, start: Any, train_size: Any = 0, dropout: Any = 0.0, loss: Any = "ns",
             lambda_cyc: Any = 10.0, lambda_id: Any = 0.0, cycle_norm: Any = "l1", *,
             root: str | None = None, device: str | None = None, data_root: str | None = None,
             upload: Upload | None = None) -> RunPlan:
    """`plan` of the request parsed from raw values in the public /train order (TrainRequest.parse, under this
    server's caps for `device`); raises InputError with what is allowed."""
    device = device or device_name()
    max_steps, max_seconds = caps(device)
    req = TrainRequest.parse(model, dataset, g_norm, l1, l2, target, variant, seed, steps, seconds, start, train_size,
                             dropout, loss, lambda_cyc, lambda_id, cycle_norm, max_steps=max_steps,
                             max_seconds=max_seconds, own_images=upload is not None)
    return plan(req, root=root, device=device, data_root=data_root, upload=upload)


def plan(req: TrainRequest, *, root: str | None = None, device: str | None = None, data_root: str | None = None,
         upload: Upload | None = None) -> RunPlan:
    """Build the TrainConfig of the checked request `req` (raises InputError where the server cannot run it).

    `train_size` (0 = every training image, N = a class-balanced subset of N, data seed 0) and `dropout`
    go into the config. Fine-tuning starts from the zoo baseline of the same size, without dropout: a
    run with dropout, or on a size the zoo has no baseline for, starts from scratch instead (with a
    note). Dropout has no weights, but it is part of the model config, and a checkpoint only continues
    under its own config (`normgen train --init` refuses another), so the reproducing command stays true.
    A translator (the cycle GAN) also takes λ_cyc, λ_id and the cycle norm (checked for every family, used
    by translators only; a baseline trained with others is not fine-tuned, for the same reason).

    With `upload` (the session's own images, normgen.service.uploads) the run trains on those instead of
    `dataset`, on all of them or a subset: fine-tuning the zoo baseline of images of that shape where
    there is one (`upload_source`), else from scratch.
    """
    model, g_norm, cycle = req.model, req.g_norm, req.cycle()
    if upload is not None and not upload.folder.is_dir():  # swept (housekeeping's age limit) or removed
        raise InputError("your uploaded images are no longer on the server (uploads are kept for a limited "
                         "time); upload them again")
    if upload is not None and family(model).translates:
        raise InputError(f"the {model_label(model)} translates between two domains (its own digit pairs); your "
                         "images are one set: choose another model, or clear the upload")
    dataset = upload.dataset if upload is not None else req.dataset
    l1, l2, target, variant, seed = req.l1, req.l2, req.target, req.variant, req.seed
    train_size, dropout, start, steps, seconds = req.train_size, req.dropout, req.start, req.steps, req.seconds
    adversarial: dict = dict(zip(("loss", "lipschitz"), LOSS_SETTINGS[req.loss], strict=True))
    if adversarial["lipschitz"] == "gp":  # WGAN-GP as published: 5 critic steps per generator step
        adversarial["n_critic"] = 5
    device = device or device_name()
    why = dataset_status(data_root).get(dataset)
    if why:
        raise InputError(f"{why}. Choose {OFFLINE_DATASET}, which is made offline.")
    if upload is None:
        check_train_size(dataset, train_size, data_root)
    elif train_size and not max(2, len(upload.classes or ())) <= train_size <= upload.count:
        raise InputError(f"train_size must be 0 (all images) or from {max(2, len(upload.classes or ()))} to "
                         f"{upload.count} (the images you uploaded); got {train_size}")
    reg = RegConfig(l1=l1, l2=l2, target=target, variant=variant)
    stream = {"steps": steps, "max_seconds": seconds, "seed": seed, "n_samples": 64, "train_size": train_size,
              **adversarial}
    notes: list[str] = []
    if upload is not None:
        own = start == "finetune" and not dropout and stream["lipschitz"] != "sn"
        entry = upload_source(model, g_norm, upload, root) if own else None
        if entry is not None:  # the zoo's baseline of images of this shape, fine-tuned on the visitor's
            ck = _load_baseline(entry, root)
            cfg = replace(ck.config, reg=reg, dataset=dataset, **stream)
            return RunPlan(cfg, device, "finetune", copy.deepcopy(ck.model), entry,
                           [f"Your images: {upload.words()}; fine-tuning the zoo baseline `{entry.id}` (trained on "
                            f"{dataset_info(entry.dataset).label}, {entry.steps} steps, λ = 0) on them"],
                           entry_path(entry, get_index(root).root), upload=upload, root=root)
        why = ("as chosen" if start == "scratch" else "dropout changes the model's config" if dropout else
               "spectral norm changes the discriminator's layers" if stream["lipschitz"] == "sn" else
               "a conditional model's classes would be the zoo dataset's, not yours" if family(model).conditional
               else "the zoo has no baseline of this model and normalization on images of this shape")
        notes.append(f"Your images: {upload.words()}; trained from scratch ({why}).")
        start = "scratch"
    if start == "finetune":
        entry = finetune_source(model, dataset, g_norm, root, train_size)
        ck = _load_baseline(entry, root) if entry is not None and not dropout else None
        if ck is not None and stream["lipschitz"] == "sn" and ck.config.model.d_norm != "spectral":
            notes.append("Spectral norm changes the discriminator's layers (a checkpoint only continues under its "
                         "own config), so this run starts from scratch.")
        elif ck is not None and any(getattr(ck.config.model, k) != v for k, v in cycle.items()):
            notes.append(f"The zoo baseline was trained with λ_cyc {ck.config.model.lambda_cyc:g}, λ_id "
                         f"{ck.config.model.lambda_id:g} and the {ck.config.model.cycle_norm.upper()} cycle norm "
                         "(a checkpoint only continues under its own config), so this run starts from scratch.")
        elif ck is not None:
            cfg = replace(ck.config, reg=reg, **stream)
            return RunPlan(cfg, device, "finetune", copy.deepcopy(ck.model), entry,
                           [f"fine-tuning the zoo baseline `{entry.id}` ({entry.steps} steps, λ = 0)"],
                           entry_path(entry, get_index(root).root), root=root)
        else:
            notes.append(scratch_reason(model, dataset, train_size, dropout, entry is not None))
    # dropout 0: the family's own (DCGAN's D: 0.3)
    mo = {"g_norm": g_norm, **({"dropout": dropout} if dropout else {}), **cycle}
    try:
        cfg = make_config(model, dataset, model_overrides=mo, reg=reg, **stream)
    except ValueError as exc:  # e.g. a grey dataset for the colour DCGAN: a message, not a traceback
        msg = no_paths(str(exc).replace(dataset, "your images") if upload is not None else str(exc))
        raise InputError(msg) from None
    return RunPlan(cfg, device, "scratch", None, None, notes, upload=upload, root=root)


def _load_baseline(entry: Entry, root: str | None) -> Checkpoint:
    """The zoo baseline a run fine-tunes; a file that cannot be used is an InputError naming the entry (not
    where the zoo lives on the server)."""
    try:
        return load_entry(entry, get_index(root).root)
    except CheckpointError as exc:
        raise InputError(f"the zoo baseline to fine-tune could not be used ({public_problem(exc).rstrip('.')}); "
                         "start from scratch instead") from None


def upload_source(model: str, g_norm: str, upload: Upload, root: str | None = None) -> Entry | None:
    """The zoo baseline an upload's run can fine-tune from: of `model` and `g_norm`, trained on a registered
    dataset whose images have the upload's shape (MNIST for 28x28 grey, CIFAR-10 for 32x32 colour), with
    every part stored; None for a conditional family (its classes are the other dataset's, not the
    upload's) or when the zoo has none."""
    if family(model).conditional:
        return None
    shape = (upload.channels, upload.side, upload.side)
    for name, info in DATASETS.items():
        if info.image_shape == shape and (entry := finetune_source(model, name, g_norm, root)) is not None:
            return entry
    return None


def scratch_reason(model: str, dataset: str, train_size: int, dropout: float, has_baseline: bool) -> str:
    """Why a fine-tune request starts from scratch, in one sentence."""
    if has_baseline:  # only dropout stands in the way
        return (f"Dropout {dropout:g} changes the model's config and the zoo baseline was trained without it "
                "(a checkpoint only continues under its own config), so this run starts from scratch.")
    size = f" trained on {train_size:,} images" if train_size else ""
    return (f"No zoo baseline of a {model_label(model)} on {dataset}{size} with every part stored, so this run "
            "starts from scratch.")


def check_train_size(dataset: str, train_size: int, data_root: str | None = None) -> None:
    """A subset needs one image per class at least and no more images than the training split has."""
    info = dataset_info(dataset)
    lo = max(2, info.num_classes)
    total = train_split_size(dataset, data_root)
    if train_size and (train_size < lo or (total is not None and train_size > total)):
        most = f" and at most {total:,} (the training images {info.label} has)" if total else ""
        raise InputError(f"train_size must be 0 (all images) or at least {lo} (one image per class){most}; "
                         f"got {train_size}")


def release_memory() -> bool:
    """Hand freed heap memory back to the OS (glibc's malloc_trim; a no-op elsewhere). Each run trains
    in a new thread, and glibc gives each thread its own heap arena: the ~0.5 GB of temporaries of a
    run (building a 10,000-image shapes set for a new seed, the generalization measurement) stayed
    mapped after the run ended, so RSS grew with every run (measured: 552 -> 1,658 MiB after 8 runs
    with distinct seeds; with a trim after each run, 860 MiB). $NORMGEN_MALLOC_TRIM=0 turns it off (to
    measure the difference: scripts/load_test.py --no-trim)."""
    if os.environ.get("NORMGEN_MALLOC_TRIM", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.malloc_trim(0))
    except (OSError, AttributeError):
        return False
