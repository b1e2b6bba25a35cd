"""`python -m normgen zoo {build,rescore,restat,ruler,verify,merge,card}`: the pretrained zoo (normgen.zoo)
from the command line."""

from __future__ import annotations

import argparse
import os
import re

import torch

from normgen.cli.engine import add_engine_args, check_engine_args, ray_runner
from normgen.cli.usage import UsageError
from normgen.data import check_dataset_name
from normgen.zoo.build import build, build_entry
from normgen.zoo.card import write_card
from normgen.zoo.files import merge, verify
from normgen.zoo.index import load_index, write_index, zoo_root
from normgen.zoo.judges import EVAL_N, JUDGE_STEPS, add_ruler, ensure_judges_and_floors
from normgen.zoo.rescore import DRAWS, rescore
from normgen.zoo.restat import restat
from normgen.zoo.spec import DATASETS


def _check_only(only: str | None, flag: str = "--only") -> None:
    if only:
        try:
            re.compile(only)
        except re.error as exc:
            raise ValueError(f"{flag} is not a valid regular expression: {exc}") from None


def cmd_build(a: argparse.Namespace) -> int:
    if a.workers < 1 or a.priority < 1:
        raise ValueError("--workers and --priority must be >= 1")
    if a.steps is not None and a.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {a.steps}")
    if a.eval_n < 100:
        raise ValueError(f"--eval-n must be >= 100, got {a.eval_n}")
    datasets = tuple(d.strip() for d in a.datasets.split(",") if d.strip())
    for d in datasets:
        check_dataset_name(d)
    _check_only(a.only)
    check_engine_args(a)
    runner, root = None, zoo_root(a.out)
    if a.engine == "ray":  # the entries train on the cluster's device; judges and floors here, on this one's
        if a.workers != 1:
            raise UsageError("--workers is for --engine local; Ray runs as many tasks as --cpus-per-task allows")
        runner = None if a.dry_run else ray_runner(a, build_entry)
        a.data_root = a.data_root and os.path.abspath(a.data_root)  # the tasks' working folder is not this one
        root = root.absolute()
        device = "cpu" if a.device == "cpu" or not torch.cuda.is_available() else "cuda"
    else:
        device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError("--device cuda, but CUDA is not available here; use --device cpu")
    try:
        res = build(root, data_root=a.data_root, device=device, workers=a.workers, priority=a.priority,
                    steps=a.steps, only=a.only, datasets=datasets, eval_n=a.eval_n, half=not a.float32,
                    judge_steps=a.judge_steps, dry_run=a.dry_run, prune=a.prune, runner=runner,
                    pretrained=a.pretrained,
                    log=lambda s: print(s, flush=True))
    finally:
        if runner is not None:
            runner.close()
    index = res.index
    if res.trained and a.draws:  # the new entries' sampling spread (what `zoo rescore` adds to the others)
        rescore(index.root, data_root=a.data_root, device=device, draws=a.draws, ids=list(res.trained),
                log=lambda s: print(s, flush=True))
    if not a.dry_run:
        size = sum(p.stat().st_size for p in index.root.rglob("*") if p.is_file())
        print(f"trained {len(res.trained)}, failed {len(res.failed)}, pruned {len(res.pruned)}; index: {len(index)} "
              f"entries; {index.root} holds {size / 2**20:.1f} MiB")
    for entry_id, msg in res.failed.items():
        print(f"FAILED {entry_id}: {msg}")
    return 1 if res.failed else 0


def cmd_rescore(a: argparse.Namespace) -> int:
    if a.draws < 2:
        raise ValueError(f"--draws must be >= 2, got {a.draws}")
    _check_only(a.only)
    device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    shard = None
    if a.shard:
        try:
            i, k = (int(v) for v in a.shard.split("/"))
        except ValueError:
            raise ValueError(f"--shard must be I/K with integers, e.g. 0/3; got {a.shard!r}") from None
        if not 0 <= i < k:
            raise ValueError(f"--shard I/K needs 0 <= I < K, got {a.shard!r}")
        shard = (i, k)
    done = rescore(zoo_root(a.root), data_root=a.data_root, device=device, draws=a.draws, only=a.only,
                   force=a.force, extras=not a.no_extras,
                   primary=not a.extras_only, shard=shard, log=lambda s: print(s, flush=True))
    print(f"scored {len(done)} entries; the index now reads their mean over {a.draws} draws")
    return 0


def cmd_restat(a: argparse.Namespace) -> int:
    _check_only(a.only)
    _check_only(a.skip, "--skip")
    restat(zoo_root(a.root), only=a.only, skip=a.skip, pictures=a.pictures, log=lambda s: print(s, flush=True))
    return 0


def cmd_ruler(a: argparse.Namespace) -> int:
    """Floors and rulers for every dataset with a judge (a judge file replaced: its floor and ruler anew)."""
    root = zoo_root(a.root)
    index = load_index(root)
    index.root = root
    device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    datasets = [d.strip() for d in a.datasets.split(",") if d.strip()] if a.datasets else sorted(index.judges)
    log = lambda s: print(s, flush=True)  # noqa: E731
    ensure_judges_and_floors(index, datasets, data_root=a.data_root, device=device, eval_n=a.eval_n,
                             judge_steps=JUDGE_STEPS, log=log)
    for ds in datasets:
        if a.force:
            add_ruler(index, ds, data_root=a.data_root, device=device, eval_n=a.eval_n, log=log)
    write_index(index, root)
    return 0


def cmd_verify(a: argparse.Namespace) -> int:
    root = zoo_root(a.root)
    n, problems = verify(root)
    for p in problems:
        print(f"FAIL {p}")
    print(f"verified {n} entries in {root}: {'all ok' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


def cmd_merge(a: argparse.Namespace) -> int:
    ids = merge(a.src, zoo_root(a.root), log=lambda s: None)
    print(f"merged {len(ids)} entries from {a.src} into {zoo_root(a.root)}; run `zoo card` to refresh the card")
    return 0


def cmd_card(a: argparse.Namespace) -> int:
    path = write_card(zoo_root(a.root), a.out)
    print(f"wrote {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("zoo", help="build, verify or describe the pretrained zoo (checkpoints/)",
                       description="The pretrained zoo: a lambda grid of models with judge metrics.")
    zs = p.add_subparsers(dest="zoo_command", required=True, parser_class=type(p))
    b = zs.add_parser("build", help="train every missing entry of the grid (resumable)",
                      description="Train every missing or stale zoo entry up to --priority; resumable.")
    b.add_argument("--data-root", default=None, help="folder holding MNIST/raw and FashionMNIST/raw")
    b.add_argument("--out", default=None, help="zoo folder (default: $NORMGEN_ZOO or ./checkpoints)")
    b.add_argument("--device", default=None,
                   help="cpu | cuda (default: cuda when available; --engine ray: when the cluster has GPUs)")
    b.add_argument("--workers", type=int, default=1,
                   help="--engine local: entries trained in parallel processes (default: 1)")
    b.add_argument("--priority", type=int, default=1, help="build priorities 1..K (see normgen/zoo/spec.py)")
    b.add_argument("--steps", type=int, default=None, help="override every entry's training steps")
    b.add_argument("--only", default=None, metavar="REGEX",
                   help="only entries whose 'TAG ID' matches, e.g. 'baseline', 'l1=0.001-l2=0-', '^l2 gan-'")
    b.add_argument("--datasets", default=",".join(DATASETS),
                   help="comma list; the first gets the full grid, the others the core grid "
                        f"(default: {','.join(DATASETS)}; 'shapes' works offline)")
    b.add_argument("--eval-n", type=int, default=EVAL_N, help=f"samples per FD (default: {EVAL_N})")
    b.add_argument("--float32", action="store_true", help="store float32 weights (default: bfloat16)")
    b.add_argument("--judge-steps", type=int, default=JUDGE_STEPS, help="steps for judges trained here")
    b.add_argument("--dry-run", action="store_true", help="print the plan and projected size, train nothing")
    b.add_argument("--pretrained", default=None, metavar="FOLDER",
                   help="runs kept by scripts/zoo_pretrain.py: entries found there are scored, not retrained")
    b.add_argument("--prune", action="store_true",
                   help="delete indexed entries (and files) of these datasets that the grid no longer lists")
    add_engine_args(b, "entry")
    b.add_argument("--draws", type=int, default=DRAWS,
                   help=f"noise draws per newly trained entry, for its sampling spread (default: {DRAWS}; 0 = none)")
    b.set_defaults(handler=cmd_build)
    r = zs.add_parser("rescore", help="score every entry with several noise draws (the sampling spread)",
                      description="Score every zoo entry with several noise draws, without retraining; "
                                  "writes ROOT/sampling.json. Resumable.")
    r.add_argument("--data-root", default=None, help="folder holding MNIST/raw and FashionMNIST/raw")
    r.add_argument("--root", default=None, help="zoo folder (default: $NORMGEN_ZOO or ./checkpoints)")
    r.add_argument("--device", default=None, help="cpu | cuda (default: cuda when available)")
    r.add_argument("--draws", type=int, default=DRAWS, help=f"noise draws per entry (default: {DRAWS})")
    r.add_argument("--only", default=None, metavar="REGEX", help="only entries whose id matches")
    r.add_argument("--force", action="store_true", help="rescore entries that already have a record")
    r.add_argument("--no-extras", action="store_true",
                   help="skip the second judge, copying and IWAE scores (issue 25) that entries lack")
    r.add_argument("--shard", default=None, metavar="I/K",
                   help="score only the I-th of K shares of the entries (0-based), to run K processes side by side")
    r.add_argument("--extras-only", action="store_true",
                   help="add only those scores: entries whose noise draws are missing keep the build's single draw")
    r.set_defaults(handler=cmd_rescore)
    w = zs.add_parser("restat", help="measure every entry's weight statistics on its stored file",
                      description="Recompute the weight statistics of the index from the files users download "
                                  "(normgen.zoo.restat); no data or judge needed.")
    w.add_argument("--root", default=None, help="zoo folder (default: $NORMGEN_ZOO or ./checkpoints)")
    w.add_argument("--only", default=None, metavar="REGEX", help="only entries whose id matches")
    w.add_argument("--skip", default=None, metavar="REGEX", help="leave entries whose id matches as they are")
    w.add_argument("--pictures", action="store_true",
                   help="also measure ink share and per-pixel spread of the samples where the index lacks them")
    w.set_defaults(handler=cmd_restat)
    u = zs.add_parser("ruler", help="score the ruler's reference sets (real, noisy, blocks, noise) per judge",
                      description="Floors and rulers (normgen.eval.ruler) of every dataset with a judge, stored in "
                                  "the index beside each floor.")
    u.add_argument("--data-root", default=None)
    u.add_argument("--root", default=None, help="zoo folder (default: $NORMGEN_ZOO or ./checkpoints)")
    u.add_argument("--device", default=None)
    u.add_argument("--datasets", default=None, help="comma list (default: every dataset with a judge)")
    u.add_argument("--eval-n", type=int, default=EVAL_N, help=f"images per reference set (default: {EVAL_N})")
    u.add_argument("--force", action="store_true", help="recompute rulers already stored")
    u.set_defaults(handler=cmd_ruler)
    v = zs.add_parser("verify", help="check every entry loads, matches its sha256 and samples")
    v.add_argument("--root", default=None, help="zoo folder (default: $NORMGEN_ZOO or ./checkpoints)")
    v.set_defaults(handler=cmd_verify)
    m = zs.add_parser("merge", help="copy the entries of another zoo folder into this one (same ids replaced)")
    m.add_argument("src", help="zoo folder built elsewhere, e.g. by `zoo build --out FOLDER` on a GPU machine")
    m.add_argument("--root", default=None, help="zoo folder (default: $NORMGEN_ZOO or ./checkpoints)")
    m.set_defaults(handler=cmd_merge)
    c = zs.add_parser("card", help="write the model card (ROOT/README.md) from the index")
    c.add_argument("--root", default=None, help="zoo folder (default: $NORMGEN_ZOO or ./checkpoints)")
    c.add_argument("--out", default=None, help="output file (default: ROOT/README.md)")
    c.set_defaults(handler=cmd_card)
