"""`python -m normgen judge`: train the judge classifier whose features score generated images.

e.g. python -m normgen judge --dataset mnist --data-root ../shared/data --out checkpoints/judges/mnist.safetensors
"""

from __future__ import annotations

import argparse

import torch

from normgen.data import DATASETS, load_dataset
from normgen.eval.judge import ARCHS, default_recipe, save_judge, train_judge


def cmd_judge(a: argparse.Namespace) -> int:
    recipe = default_recipe(a.dataset)
    for key in ("arch", "ch", "steps", "lr"):
        if getattr(a, key) is not None:
            recipe[key] = getattr(a, key)
    if recipe["steps"] < 1:
        raise ValueError(f"--steps must be >= 1, got {recipe['steps']}")
    device = a.device or "cpu"
    train = load_dataset(a.dataset, root=a.data_root, train=True, seed=a.seed)
    test = load_dataset(a.dataset, root=a.data_root, train=False, seed=a.seed)
    print(f"training the {a.dataset} judge ({recipe['arch']}, ch {recipe['ch']}) on {len(train)} images "
          f"({recipe['steps']} steps, batch {a.batch_size}, lr {recipe['lr']}, {device}, "
          f"{torch.get_num_threads()} threads)", flush=True)
    res = train_judge(train, test, batch_size=a.batch_size, seed=a.seed, device=device,
                      log=None if a.quiet else (lambda s: print(s, flush=True)), **recipe)
    out = save_judge(a.out, res, extra={"seed": a.seed})
    print(f"test accuracy {res.test_acc:.2f}% ({len(test)} images), train {res.train_acc:.2f}%, "
          f"{res.seconds:.1f} s; wrote {out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("judge", help="train the judge classifier that scores generated images",
                       description="Train a small CNN classifier on a dataset; its features give the "
                                   "FID-like score of the zoo (python -m normgen zoo).")
    p.add_argument("--dataset", default="mnist", help=f"{' | '.join(DATASETS)} (default: mnist)")
    p.add_argument("--data-root", default=None, help="folder holding MNIST/raw and FashionMNIST/raw")
    p.add_argument("--out", required=True, help="output .safetensors file")
    p.add_argument("--steps", type=int, default=None,
                   help="optimizer steps (default: 1500 grey, ~3 epochs of MNIST; 10000 colour, ~26 epochs)")
    p.add_argument("--arch", choices=ARCHS, default=None, help="default: vgg-bn for colour, plain for grey")
    p.add_argument("--ch", type=int, default=None, help="first conv's channels (default: 32 colour, 16 grey)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=None, help="default: 0.1 colour (SGD), 2e-3 grey (Adam)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu | cuda (default: cpu)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=cmd_judge)
