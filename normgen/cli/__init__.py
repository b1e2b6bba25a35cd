"""Command line: `python -m normgen {train,sample} ...`. Bad input -> one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from normgen.bench.run import register_cli as register_bench_cli
from normgen.eval.judge import register_cli as register_judge_cli
from normgen.regularizers import TARGETS, VARIANTS
from normgen.zoo.build import register_cli as register_zoo_cli

EXIT_USAGE = 2


class UsageError(Exception):
    """A user mistake: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        sub = self.prog.split()[1:]  # "normgen train" -> ["train"]
        raise UsageError(f"{message} (see: python -m normgen {' '.join(sub + ['--help'])})")


def _add_train_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("what to train")
    g.add_argument("--model", default="gan", help="gan | vae | cgan (default: gan)")
    g.add_argument("--dataset", default="shapes",
                   help="shapes (made offline, 4 classes) | mnist | fashion (default: shapes)")
    g.add_argument("--data-root", default=None,
                   help="folder holding MNIST/raw and FashionMNIST/raw (default: $NORMGEN_DATA or "
                        "~/.cache/normgen/data; downloaded there when online)")
    r = p.add_argument_group("regularization (lambda = 0 switches a penalty off)")
    r.add_argument("--l1", type=float, default=0.0, help="L1 lambda: adds l1 * sum|w| (try 1e-5 .. 1e-3)")
    r.add_argument("--l2", type=float, default=0.0, help="L2 lambda: adds l2 * sum w^2 (try 1e-4 .. 1e-1)")
    r.add_argument("--group", type=float, default=0.0,
                   help="group-lasso lambda: adds group * sum_filters ||W_f||_2 (whole filters -> 0)")
    r.add_argument("--act", type=float, default=0.0,
                   help="activation L1 lambda (GAN: mean ink of the samples; VAE: |latent mean|)")
    r.add_argument("--target", default=None,
                   help=f"which weights: {' | '.join(TARGETS)} "
                        "(default: generator; decoder for the VAE)")
    r.add_argument("--variant", default="loss", choices=VARIANTS,
                   help="loss: penalties in the loss; proximal: L1 as a soft-threshold after each "
                        "step (exact zeros); decoupled: L2 as AdamW-style weight decay")
    t = p.add_argument_group("training")
    t.add_argument("--steps", type=int, default=2000, help="optimizer steps (default: 2000)")
    t.add_argument("--seconds", type=float, default=0.0, help="wall-clock budget; 0 = none")
    t.add_argument("--seed", type=int, default=0, help="seeds init, batches and the sample noise")
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--lr", type=float, default=None, help="Adam lr (default: 1e-3)")
    t.add_argument("--lr-d", type=float, default=0.0, help="discriminator lr (default: = --lr)")
    t.add_argument("--log-every", type=int, default=50)
    t.add_argument("--sample-every", type=int, default=250)
    t.add_argument("--init", default=None, metavar="CHECKPOINT",
                   help="fine-tune from this checkpoint (same model and config) instead of scratch")
    t.add_argument("--device", default=None, help="cpu | cuda (default: cuda when available)")
    m = p.add_argument_group("model")
    m.add_argument("--g-norm", default="none", help="generator/decoder normalization: none | batch")
    m.add_argument("--d-norm", default="none", help="discriminator normalization: none | spectral")
    m.add_argument("--ch", type=int, default=32, help="base channels (default: 32, ~0.2M-param G)")
    m.add_argument("--nz", type=int, default=None, help="latent size (default: 64; VAE 16)")
    m.add_argument("--beta", type=float, default=1.0, help="VAE: weight of the KL term")
    p.add_argument("--out", default="runs/latest", help="output folder (default: runs/latest)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="normgen",
        description="See what L1, L2, elastic-net and group-lasso regularization do to image "
                    "generators. Train a small GAN, VAE or conditional GAN with a penalty, then "
                    "compare sample grids drawn from the same noise.",
        epilog="examples:\n"
               "  python -m normgen train --model gan --dataset shapes --l1 1e-4 --steps 500\n"
               "  python -m normgen sample runs/latest/model.safetensors --seed 1 --out grid.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    tp = sub.add_parser("train", help="train a model and save checkpoint, grid and config",
                        description="Train one model with one regularization setting.")
    _add_train_args(tp)
    sp = sub.add_parser("sample", help="draw a sample grid (.png) or raw samples (.npy)",
                        description="Sample from a checkpoint with noise fixed by --seed.")
    sp.add_argument("checkpoint", help="a .safetensors file written by normgen")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--n", type=int, default=64, help="number of samples (default: 64)")
    sp.add_argument("--out", required=True,
                    help="FILE.png: a grid image; FILE.npy: float32 array (N, C, H, W) in [-1, 1]")
    sp.add_argument("--scale", type=int, default=4, help="PNG pixel scale (default: 4)")
    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


# Other modules (zoo, judge, benchmark) add their sub-commands here: fn(subparsers) -> None, and
# set `handler=` via set_defaults so `main` can dispatch to them.
EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []
EXTRA_COMMANDS.append(register_judge_cli)
EXTRA_COMMANDS.append(register_zoo_cli)
EXTRA_COMMANDS.append(register_bench_cli)  # bench + sweep


def config_from_args(a: argparse.Namespace):
    """A TrainConfig from parsed train arguments (raises ValueError with the offending value)."""
    from normgen.config import make_config
    from normgen.regularizers import RegConfig, resolve_target

    target = a.target or ("decoder" if a.model == "vae" else "generator")
    reg = RegConfig(l1=a.l1, l2=a.l2, group=a.group, act=a.act, target=target, variant=a.variant)
    # fail before any output is written: a VAE has no generator, a GAN no encoder
    resolve_target(target, ("encoder", "decoder") if a.model == "vae" else ("generator", "discriminator"))
    mo = {"g_norm": a.g_norm, "d_norm": a.d_norm, "ch": a.ch, "beta": a.beta}
    if a.nz is not None:
        mo["nz"] = a.nz
    kw = dict(steps=a.steps, max_seconds=a.seconds, seed=a.seed, batch_size=a.batch_size,
              lr_d=a.lr_d, log_every=a.log_every, sample_every=a.sample_every)
    if a.lr is not None:
        kw["lr"] = a.lr
    return make_config(a.model, a.dataset, model_overrides=mo, reg=reg, **kw)


def reproduce_command(cfg, init: str | None = None, out: str | None = None) -> str:
    """The CLI command that reproduces a TrainConfig (only non-default options spelled out)."""
    from normgen.config import make_config

    base = make_config(cfg.model.name, cfg.dataset)
    args = ["python", "-m", "normgen", "train", "--model", cfg.model.name, "--dataset", cfg.dataset]
    r = cfg.reg
    for flag, v in (("--l1", r.l1), ("--l2", r.l2), ("--group", r.group), ("--act", r.act)):
        if v:
            args += [flag, f"{v:g}"]
    if r.target != base.reg.target:
        args += ["--target", r.target]
    if r.variant != "loss":
        args += ["--variant", r.variant]
    args += ["--steps", str(cfg.steps), "--seed", str(cfg.seed)]
    pairs = [("--seconds", cfg.max_seconds, base.max_seconds), ("--batch-size", cfg.batch_size, base.batch_size),
             ("--lr", cfg.lr, base.lr), ("--lr-d", cfg.lr_d, base.lr_d),
             ("--g-norm", cfg.model.g_norm, base.model.g_norm), ("--d-norm", cfg.model.d_norm, base.model.d_norm),
             ("--ch", cfg.model.ch, base.model.ch), ("--nz", cfg.model.nz, base.model.nz),
             ("--beta", cfg.model.beta, base.model.beta)]
    for flag, v, d in pairs:
        if v != d:
            args += [flag, f"{v:g}" if isinstance(v, float) else str(v)]
    if init:
        args += ["--init", init]
    if out:
        args += ["--out", out]
    return shlex.join(args)


def cmd_train(a: argparse.Namespace) -> int:
    from normgen.checkpoints import load, save
    from normgen.data import load_dataset
    from normgen.engine.train import Progress, default_device, train
    from normgen.render.grids import grid_image, grid_nrow

    cfg = config_from_args(a)
    init = load(a.init).model if a.init else None
    if init is not None and init.cfg != cfg.model:
        raise UsageError(f"--init {a.init} is a {init.cfg.name} with config {init.cfg}; pass the same "
                         "model options to fine-tune it")
    device = _check_device(a.device) if a.device else str(default_device())
    data = load_dataset(cfg.dataset, root=a.data_root, seed=cfg.seed)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"training {cfg.model.name} on {cfg.dataset} ({len(data)} images) on {device}: "
          f"{cfg.steps} steps, l1={cfg.reg.l1:g} l2={cfg.reg.l2:g} group={cfg.reg.group:g} "
          f"target={cfg.reg.target} variant={cfg.reg.variant}", flush=True)

    def progress(p: Progress) -> None:
        if a.quiet:
            return
        losses = "  ".join(f"{k}={v:.3f}" for k, v in p.record.items()
                           if k in ("d_loss", "g_loss", "rec", "kl"))
        nz = [v for k, v in p.record.items() if k.endswith("near_zero_pct")]
        print(f"step {p.step:>6}/{p.total}  {p.elapsed:6.1f}s  {losses}  near-zero%={nz}", flush=True)

    res = train(cfg, data=data, device=device, init=init, progress=progress)
    ckpt = save(out / "model.safetensors", res.model, cfg,
                extra={"dataset": cfg.dataset, "steps": res.steps, "status": res.status,
                       "device": res.device, "wall_s": round(res.elapsed, 2),
                       "final": res.history[-1] if res.history else {}})
    nrow = grid_nrow(res.model.conditional, res.samples.shape[0], cfg.model.num_classes)
    grid_image(res.samples, nrow=nrow, scale=4).save(out / "samples.png")
    (out / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
    (out / "history.json").write_text(json.dumps(res.history))
    print(res.message)
    print(f"wrote {ckpt}, {out / 'samples.png'}, {out / 'config.json'}, {out / 'history.json'}")
    print("reproduce with:\n  " + reproduce_command(cfg, a.init, a.out))
    return 0 if res.status != "diverged" else 1


def cmd_sample(a: argparse.Namespace) -> int:
    import numpy as np

    from normgen.checkpoints import load
    from normgen.engine.sampling import sample
    from normgen.render.grids import grid_image, grid_nrow

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
    else:
        nrow = grid_nrow(ck.model.conditional, a.n, ck.config.model.num_classes)
        grid_image(x, nrow=nrow, scale=max(1, a.scale)).save(out)
    print(f"wrote {out} ({a.n} samples, seed {a.seed})")
    return 0


def _check_device(name: str) -> str:
    """A usable torch device name, else a UsageError (torch would raise a multi-line traceback)."""
    import torch

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


def main(argv: list[str] | None = None) -> int:
    from normgen.checkpoints import CheckpointError
    from normgen.data import DatasetUnavailable

    parser = build_parser()
    try:
        a = parser.parse_args(argv)
        handler = getattr(a, "handler", None) or {"train": cmd_train, "sample": cmd_sample}[a.command]
        return handler(a)
    except (UsageError, ValueError, CheckpointError, DatasetUnavailable, OSError) as exc:
        print(f"normgen: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("normgen: interrupted", file=sys.stderr)
        return 130
