"""`python -m normgen train` and `sample`: train one model with one regularization setting, and draw
sample grids from a checkpoint. The train options are shared with `sweep` (normgen.cli.sweep).

Every choice a flag offers, and its help, comes from a registry: model families (normgen.models),
datasets (normgen.data), penalties and variants (normgen.regularizers). A new penalty is a new flag
here without an edit."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from normgen.checkpoints import load, save
from normgen.cli.progress import StepBar, summary
from normgen.cli.usage import UsageError
from normgen.config import TrainConfig, make_config, reproduce_command
from normgen.data import DATASETS, FOLDER_PREFIXES, load_dataset
from normgen.domains import DOMAIN_PAIRS
from normgen.engine.sampling import ROW_LABELS, sample, translation_rows
from normgen.engine.train import default_device, train
from normgen.losses import CYCLE_NORMS, GAN_LOSSES, LIPSCHITZ
from normgen.models import FAMILIES, TARGETS, family
from normgen.models.config import D_NORMS, G_NORMS, ModelConfig
from normgen.regularizers import LAMBDAS, LAYER_SCOPES, PENALTIES, VARIANTS, VARIANTS_INFO, RegConfig
from normgen.render.grids import grid_image


def _dataset_help(name: str) -> str:
    d = DATASETS[name]
    classes = f"{d.num_classes} classes" if d.class_names else "unlabeled"
    return f"{name}: {d.label}, {classes}"


def add_train_args(p: argparse.ArgumentParser) -> None:
    """The options of one training run (`train`, and `sweep` for each of its runs)."""
    g = p.add_argument_group("what to train")
    g.add_argument("--model", default="gan",
                   help=" | ".join(f"{n} ({f.label})" for n, f in FAMILIES.items()) + " (default: gan)")
    g.add_argument("--dataset", default="shapes",
                   help=" | ".join(_dataset_help(n) for n in DATASETS) + " | your own images: "
                        + " or ".join(f"{p}PATH ({c}x{s}x{s})" for p, (c, s) in FOLDER_PREFIXES.items())
                        + " (class subfolders or a flat folder) (default: shapes)")
    g.add_argument("--data-root", default=None,
                   help="folder holding MNIST/raw and FashionMNIST/raw (default: $NORMGEN_DATA or "
                        "~/.cache/normgen/data; downloaded there when online)")
    r = p.add_argument_group("regularization (lambda = 0 switches a penalty off)")
    for pen in PENALTIES.values():
        r.add_argument(f"--{pen.name}", type=float, default=0.0,
                       help=f"{pen.label} lambda: adds {pen.formula} (acts on the {pen.acts_on})")
    r.add_argument("--target", default=None, choices=TARGETS,
                   help="which part's weights the weight penalties act on (default: the part that samples: "
                        + ", ".join(f"{f.sampler_part} for the {f.label}" for f in FAMILIES.values()) + ")")
    r.add_argument("--variant", default=RegConfig.variant, choices=VARIANTS,
                   help="; ".join(f"{v.name} ({v.label}): {v.description}" for v in VARIANTS_INFO.values()))
    r.add_argument("--layers", default=RegConfig.layers, choices=tuple(LAYER_SCOPES),
                   help="which of the target's layers the weight penalties act on: all (default), or only its "
                        "first or last layer")
    a = p.add_argument_group("adversarial loss (GANs)")
    a.add_argument("--loss", default=TrainConfig.loss, choices=tuple(GAN_LOSSES),
                   help="; ".join(f"{g.name}: {g.label} ({g.paper})" for g in GAN_LOSSES.values()))
    a.add_argument("--lipschitz", default=TrainConfig.lipschitz, choices=tuple(LIPSCHITZ),
                   help="; ".join(f"{k}: {v}" for k, v in LIPSCHITZ.items()) + " (default: none)")
    a.add_argument("--clip", type=float, default=TrainConfig.clip,
                   help=f"--lipschitz clip: every D weight kept in [-c, c] (default {TrainConfig.clip:g})")
    a.add_argument("--gp", type=float, default=TrainConfig.gp,
                   help=f"--lipschitz gp: weight of the gradient penalty (default {TrainConfig.gp:g})")
    a.add_argument("--n-critic", type=int, default=TrainConfig.n_critic,
                   help="discriminator updates per generator update (WGAN-GP as published: 5; default 1)")
    d = p.add_argument_group("training data")
    d.add_argument("--train-size", type=int, default=0, metavar="N",
                   help="train on a class-balanced subset of N images (default 0: all of them); small data "
                        "is where a penalty has overfitting to prevent")
    d.add_argument("--data-seed", type=int, default=0, help="picks the subset (default 0; independent of --seed)")
    t = p.add_argument_group("training")
    t.add_argument("--steps", type=int, default=2000, help="optimizer steps (default: 2000)")
    t.add_argument("--seconds", type=float, default=0.0, help="wall-clock budget; 0 = none")
    t.add_argument("--seed", type=int, default=0, help="seeds init, batches and the sample noise")
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--lr", type=float, default=None, help="Adam lr (default: 1e-3)")
    t.add_argument("--lr-d", type=float, default=0.0, help="discriminator lr (default: = --lr)")
    t.add_argument("--ema", type=float, default=TrainConfig.ema, metavar="DECAY",
                   help="end with a moving average of the generator's weights (e.g. 0.99), its batch-norm "
                        "statistics measured again (default 0: the last weights)")
    t.add_argument("--ema-start", type=int, default=TrainConfig.ema_start, help="the step the average starts from "
                   f"(default {TrainConfig.ema_start})")
    t.add_argument("--log-every", type=int, default=50)
    t.add_argument("--sample-every", type=int, default=250)
    t.add_argument("--init", default=None, metavar="CHECKPOINT",
                   help="fine-tune from this checkpoint (same model and config) instead of scratch")
    t.add_argument("--device", default=None, help="cpu | cuda (default: cuda when available)")
    m = p.add_argument_group("model")
    m.add_argument("--g-norm", default=None,
                   help=f"generator/decoder normalization: {' | '.join(G_NORMS)} (default: the family's; "
                        f"{ModelConfig.g_norm} but for the colour DCGAN)")
    m.add_argument("--d-norm", default=ModelConfig.d_norm, help=f"discriminator normalization: {' | '.join(D_NORMS)}")
    m.add_argument("--ch", type=int, default=None, help=f"base channels (default: {ModelConfig.ch}, ~0.2M-param G"
                   + "".join(f"; {f.label} {f.config_defaults['ch']}" for f in FAMILIES.values()
                             if "ch" in f.config_defaults) + ")")
    m.add_argument("--nz", type=int, default=None, help=f"latent size (default: {ModelConfig.nz}" + "".join(
        f"; {f.label} {f.config_defaults['nz']}" for f in FAMILIES.values() if "nz" in f.config_defaults) + ")")
    m.add_argument("--beta", type=float, default=1.0, help="VAE: weight of the KL term")
    m.add_argument("--dropout", type=float, default=None,
                   help="dropout rate on hidden activations: the discriminator (GANs), encoder and decoder "
                        "(VAE); default 0 (0.3 for the colour DCGAN)")
    c = p.add_argument_group("cycle GAN (--model cyclegan): unpaired translation between two domains")
    c.add_argument("--lambda-cyc", type=float, default=ModelConfig.lambda_cyc,
                   help="weight of the cycle term ||F(G(a)) - a|| + ||G(F(b)) - b|| "
                        f"(default: {ModelConfig.lambda_cyc:g}; 0 to 100)")
    c.add_argument("--lambda-id", type=float, default=ModelConfig.lambda_id,
                   help="weight of the identity term ||F(a) - a|| + ||G(b) - b|| "
                        f"(default: {ModelConfig.lambda_id:g}; 0 to 100)")
    c.add_argument("--cycle-norm", default=ModelConfig.cycle_norm,
                   help="the norm of both terms: " + "; ".join(f"{k} ({v})" for k, v in CYCLE_NORMS.items())
                        + f" (default: {ModelConfig.cycle_norm})")
    c.add_argument("--domains", default=ModelConfig.domains,
                   help=" | ".join(f"{d.name}: {d.label}" for d in DOMAIN_PAIRS.values())
                        + f" (default: {ModelConfig.domains})")
    p.add_argument("--out", default="runs/latest", help="output folder (default: runs/latest)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def config_from_args(a: argparse.Namespace) -> TrainConfig:
    """A TrainConfig from parsed train arguments (raises ValueError with the offending value, before
    any output is written: an unknown model names the registered ones, a VAE has no generator)."""
    fam = family(a.model)
    reg = RegConfig(**{name: getattr(a, name) for name in LAMBDAS}, target=a.target or fam.sampler_part,
                    variant=a.variant, layers=a.layers)
    mo = {"d_norm": a.d_norm, "beta": a.beta, "lambda_cyc": a.lambda_cyc, "lambda_id": a.lambda_id,
          "cycle_norm": a.cycle_norm, "domains": a.domains}
    for name in ("g_norm", "ch", "dropout", "nz"):  # unset: the family's default
        if getattr(a, name) is not None:
            mo[name] = getattr(a, name)
    kw = dict(steps=a.steps, max_seconds=a.seconds, seed=a.seed, batch_size=a.batch_size,
              lr_d=a.lr_d, log_every=a.log_every, sample_every=a.sample_every, train_size=a.train_size,
              data_seed=a.data_seed, loss=a.loss, lipschitz=a.lipschitz, clip=a.clip, gp=a.gp,
              n_critic=a.n_critic, ema=a.ema, ema_start=a.ema_start)
    if a.lr is not None:
        kw["lr"] = a.lr
    return make_config(a.model, a.dataset, model_overrides=mo, reg=reg, **kw)


def check_device(name: str) -> str:
    """A usable torch device name, else a UsageError (torch would raise a multi-line traceback)."""
    try:
        dev = torch.device(name)
    except (RuntimeError, ValueError):
        raise UsageError(f"--device must be cpu or cuda (or cuda:N), got {name!r}") from None
    if dev.type not in ("cpu", "cuda"):
        raise UsageError(f"--device must be cpu or cuda (or cuda:N), got {name!r}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"--device {name}: no CUDA device is available here; use --device cpu")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise UsageError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) here")
    return name


def cmd_train(a: argparse.Namespace) -> int:
    cfg = config_from_args(a)
    init = load(a.init).model if a.init else None
    if init is not None and init.cfg != cfg.model:
        raise UsageError(f"--init {a.init} is a {init.cfg.name} with config {init.cfg}; pass the same "
                         "model options to fine-tune it")
    device = check_device(a.device) if a.device else str(default_device())
    data = load_dataset(cfg.dataset, root=a.data_root, seed=cfg.seed)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    lambdas = " ".join(f"{name}={getattr(cfg.reg, name):g}" for name in LAMBDAS)
    print(f"training {cfg.model.name} on {cfg.dataset} ({len(cfg.training_images(data))} images) on {device}: "
          f"{cfg.steps} steps, {lambdas} target={cfg.reg.target} variant={cfg.reg.variant}"
          + ("" if cfg.reg.layers == "all" else f" layers={cfg.reg.layers}")
          + ("" if (cfg.loss, cfg.lipschitz) == ("ns", "none") else f" loss={cfg.loss} lipschitz={cfg.lipschitz}"),
          flush=True)
    with StepBar(cfg.steps, quiet=a.quiet) as bar:
        res = train(cfg, data=data, device=device, init=init,
                    progress=lambda p: bar.show(p.step, summary(p.record)))
    ckpt = save(out / "model.safetensors", res.model, cfg,
                extra={"dataset": cfg.dataset, "steps": res.steps, "status": res.status,
                       "device": res.device, "wall_s": round(res.elapsed, 2),
                       "final": res.history[-1] if res.history else {}})
    if res.model.translates:  # rows a | G(a) | F(G(a)) | ground truth, from its fixed inputs
        grid_image(translation_rows(res.model, 8, cfg.seed), nrow=len(ROW_LABELS), scale=4).save(out / "samples.png")
    else:
        nrow = res.model.grid_columns(res.samples.shape[0], cfg.model.num_classes)
        grid_image(res.samples, nrow=nrow, scale=4).save(out / "samples.png")
    (out / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
    (out / "history.json").write_text(json.dumps(res.history))
    print(res.message)
    print(f"wrote {ckpt}, {out / 'samples.png'}, {out / 'config.json'}, {out / 'history.json'}")
    print("reproduce with:\n  " + reproduce_command(cfg, a.init, a.out))
    return 0 if res.status != "diverged" else 1


def cmd_sample(a: argparse.Namespace) -> int:
    out = Path(a.out)
    if out.suffix not in (".png", ".npy"):
        raise UsageError(f"--out must end in .png or .npy, got {a.out!r}")
    if not 1 <= a.n <= 4096:
        raise UsageError(f"--n must be in [1, 4096], got {a.n}")
    ck = load(a.checkpoint)
    x = sample(ck.model, a.n, a.seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".npy":
        np.save(out, x.numpy().astype(np.float32))
    elif ck.model.translates:
        if a.n > 1024:
            raise UsageError(f"--n must be in [1, 1024] for a translator's rows, got {a.n}")
        grid_image(translation_rows(ck.model, a.n, a.seed), nrow=len(ROW_LABELS), scale=max(1, a.scale)).save(out)
        print(f"wrote {out} ({a.n} rows: {' | '.join(ROW_LABELS)}, seed {a.seed})")
        return 0
    else:
        nrow = ck.model.grid_columns(a.n, ck.config.model.num_classes)
        grid_image(x, nrow=nrow, scale=max(1, a.scale)).save(out)
    print(f"wrote {out} ({a.n} samples, seed {a.seed})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    tp = sub.add_parser("train", help="train a model and save checkpoint, grid and config",
                        description="Train one model with one regularization setting.")
    add_train_args(tp)
    tp.set_defaults(handler=cmd_train)
    sp = sub.add_parser("sample", help="draw a sample grid (.png) or raw samples (.npy)",
                        description="Sample from a checkpoint with noise fixed by --seed.")
    sp.add_argument("checkpoint", help="a .safetensors file written by normgen")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--n", type=int, default=64, help="number of samples (default: 64)")
    sp.add_argument("--out", required=True,
                    help="FILE.png: a grid image; FILE.npy: float32 array (N, C, H, W) in [-1, 1]")
    sp.add_argument("--scale", type=int, default=4, help="PNG pixel scale (default: 4)")
    sp.set_defaults(handler=cmd_sample)
