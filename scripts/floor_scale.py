"""How the quality floor's ratio depends on the sample count n (issue 4's "within 2.5x of the floor").

The real-vs-real floor is not a fixed number: FD estimated from n samples is biased upwards by roughly
a constant over n, so the floor shrinks as n grows while a model's FD levels off at its true distance.
"FD / floor" therefore depends on n. This script measures that dependence instead of assuming it:

  * trains the issue's reference, a plain DCGAN (pytorch/examples recipe, batch-norm generator,
    lr 2e-4, beta1 0.5) for `--seconds` of wall time per seed on this machine (cached in `--cache`);
  * draws 10,000 samples from each shipped unregularized MNIST baseline (GAN no-norm, GAN batch-norm,
    cGAN) and from each reference run, and takes 10,000 random real training images for the floor;
  * for each n in `--ns`, scores `--draws` random subsets of size n against the whole real test set
    (the zoo's reference statistics; a cGAN's subsets keep n / 10 samples of each class, as the zoo
    scores it) and prints the mean FD and the ratio to the floor at that n.

    NORMGEN_DATA=../shared/data .venv/bin/python scripts/floor_scale.py --seeds 0,1,2 [--json]

The zoo itself scores n = 2,000 (normgen.zoo.build); this script changes nothing in the zoo.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from normgen.bench.baseline import ConventionalLoop, conventional_loader
from normgen.checkpoints import load, save  # noqa: E402
from normgen.config import make_config  # noqa: E402
from normgen.data import default_data_root, load_dataset  # noqa: E402
from normgen.eval.quality import feature_stats, frechet_distance, generate_many, real_reference
from normgen.zoo.files import load_entry, load_judge
from normgen.zoo.index import load_index

POOL = 10_000  # samples drawn once per source; subsets of size n are scored


def plain_dcgan(seed: int, seconds: float, root: Path, cache: Path | None):
    """The issue's quick reference run, trained for `seconds` (or loaded from `cache`)."""
    path = cache / f"plain_dcgan_s{seed}_{seconds:.0f}s.safetensors" if cache else None
    if path and path.exists():
        ck = load(path)
        return ck.model, int(ck.meta["steps"])
    cfg = make_config("gan", "mnist", lr=2e-4, beta1=0.5, seed=seed, model_overrides={"g_norm": "batch"})
    loop = ConventionalLoop(cfg, conventional_loader("mnist", root, cfg.batch_size), torch.device("cpu"))
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        loop.step()
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        save(path, loop.model, cfg, parts=["generator"], extra={"steps": loop.i})
    return loop.model, loop.i


def subset(n: int, g: torch.Generator, pool: int, labels: torch.Tensor | None) -> torch.Tensor:
    """n random row indices; with `labels` (a conditional model's), n / K of each class, as the zoo
    scores a cGAN with balanced labels (a random subset's class counts would add FD of their own)."""
    if labels is None:
        return torch.randperm(pool, generator=g)[:n]
    k = int(labels.max()) + 1
    return torch.cat([c[torch.randperm(c.numel(), generator=g)[:n // k]]
                      for c in ((labels == j).nonzero().squeeze(1) for j in range(k))])


def mean_fd(feats: torch.Tensor, ref, n: int, draws: int, seed: int,
            labels: torch.Tensor | None = None) -> tuple[float, float]:
    """Mean and standard deviation of FD over `draws` random n-subsets of `feats` (rows)."""
    g = torch.Generator().manual_seed(seed)
    vals = []
    for _ in range(draws):
        idx = subset(n, g, feats.shape[0], labels)
        mu, cov = feature_stats(feats[idx])
        vals.append(frechet_distance(mu, cov, ref.mu, ref.cov))
    t = torch.tensor(vals, dtype=torch.float64)
    return float(t.mean()), float(t.std()) if draws > 1 else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=180.0, help="wall time of each reference run")
    ap.add_argument("--seeds", default="0,1,2", help="seeds of the reference run")
    ap.add_argument("--ns", default="100,200,500,1000,2000,5000,10000", help="sample counts to score")
    ap.add_argument("--draws", type=int, default=8, help="random subsets per n (fewer used at n = pool)")
    ap.add_argument("--data-root", default=None, help="folder holding MNIST/raw (default: $NORMGEN_DATA)")
    ap.add_argument("--cache", default="scratch/floor_scale", help="folder for the reference runs' weights")
    ap.add_argument("--json", action="store_true", help="print the results as one JSON object last")
    a = ap.parse_args()
    root = Path(a.data_root) if a.data_root else default_data_root()
    cache = Path(a.cache) if a.cache else None
    seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
    ns = [int(s) for s in a.ns.split(",") if s.strip()]
    if max(ns) > POOL:
        raise SystemExit(f"--ns must not exceed the pool of {POOL} samples")

    judge = load_judge("mnist").eval()
    test = load_dataset("mnist", root=root, train=False, download=False)
    train = load_dataset("mnist", root=root, train=True, download=False)
    ref = real_reference(judge, test)
    index = load_index()

    feats: dict[str, torch.Tensor] = {}
    info: dict[str, dict] = {}
    labels: dict[str, torch.Tensor] = {}  # conditional models: the labels their samples were drawn for
    with torch.no_grad():
        g = torch.Generator().manual_seed(0)
        idx = torch.randperm(len(train), generator=g)[:POOL]
        feats["floor (real train)"] = judge.features(train.images[idx]).double()
        for model, g_norm in (("gan", "none"), ("gan", "batch"), ("cgan", "none")):
            for e in index.find(model=model, dataset="mnist", g_norm=g_norm, variant="loss", target="generator"):
                if e.is_baseline:
                    x, y = generate_many(load_entry(e).model, POOL, seed=0)
                    name = f"zoo {model} {g_norm}-norm s{e.seed} ({e.steps} steps)"
                    feats[name] = judge.features(x).double()
                    if y is not None:
                        labels[name] = y
                    info[name] = {"zoo_fd_n2000": e.metrics["fd"]}
        for s in seeds:
            t0 = time.perf_counter()
            with torch.enable_grad():
                m, steps = plain_dcgan(s, a.seconds, root, cache)
            x, _ = generate_many(m.eval(), POOL, seed=0)
            name = f"plain DCGAN {a.seconds:.0f} s, s{s} ({steps} steps)"
            feats[name] = judge.features(x).double()
            info[name] = {"steps": steps, "seconds": round(time.perf_counter() - t0, 1)}

    table: dict[str, dict[int, tuple[float, float]]] = {}
    for name, f in feats.items():
        table[name] = {n: mean_fd(f, ref, n, a.draws if n < POOL else 1, seed=n, labels=labels.get(name))
                       for n in ns}

    floor = {n: table["floor (real train)"][n][0] for n in ns}
    ref_names = [k for k in table if k.startswith("plain DCGAN")]
    print(f"mean FD over {a.draws} random subsets of n (one at n = {POOL}); x = FD / floor at that n")
    print(f"{'source':44s}" + "".join(f"{'n=' + str(n):>16s}" for n in ns))
    for name, row in table.items():
        cells = "".join(f"{row[n][0]:8.1f} ({row[n][0] / floor[n]:5.1f}x)" for n in ns)
        print(f"{name:44s}{cells}")
    if ref_names:
        print("ratio to the mean of the plain DCGAN runs at the same n:")
        for name, row in table.items():
            if name.startswith("zoo"):
                cells = "".join(f"{row[n][0] / (sum(table[r][n][0] for r in ref_names) / len(ref_names)):16.2f}"
                                for n in ns)
                print(f"{name:44s}{cells}")
    if a.json:
        print(json.dumps({"ns": ns, "draws": a.draws, "info": info,
                          "fd": {k: {str(n): v for n, v in row.items()} for k, row in table.items()}}))


if __name__ == "__main__":
    main()
