"""`python -m normgen judge`: train the judge classifier whose features score generated images.

e.g. python -m normgen judge --dataset mnist --data-root ../shared/data --out checkpoints/judges/mnist.safetensors
"""

from __future__ import annotations

import argparse

import torch

from normgen.data import DATASETS, load_dataset
from normgen.eval.judge import save_judge, train_judge


def cmd_judge(a: argparse.Namespace) -> int:
    if a.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {a.steps}")
    device = a.device or "cpu"
    train = load_dataset(a.dataset, root=a.data_root, train=True, seed=a.seed)
    test = load_dataset(a.dataset, root=a.data_root, train=False, seed=a.seed)
    print(f"training the {a.dataset} judge on {len(train)} images ({a.steps} steps, batch {a.batch_size}, "
          f"{device}, {torch.get_num_threads()} threads)", flush=True)
    res = train_judge(train, test, steps=a.steps, batch_size=a.batch_size, lr=a.lr, seed=a.seed,
                      device=device, log=None if a.quiet else (lambda s: print(s, flush=True)))
    out = save_judge(a.out, res)
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
    p.add_argument("--steps", type=int, default=1500, help="Adam steps (default: 1500, ~3 epochs of MNIST)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu | cuda (default: cpu)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=cmd_judge)
