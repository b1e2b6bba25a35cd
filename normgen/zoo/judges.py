"""What every zoo entry is scored against: the judge classifier of each dataset (trained when missing),
the real-vs-real floor and the ruler of reference sets it measures, the evaluation's size and noise
seed, and the per-process caches of dataset splits, judges with their real-test references and file
hashes that the build's workers and `zoo rescore` share.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from normgen.checkpoints import sha256
from normgen.data import load_dataset
from normgen.eval.judge import default_recipe, load_judge_file, save_judge, train_judge
from normgen.eval.quality import floor, real_reference
from normgen.eval.ruler import ruler
from normgen.zoo.index import ZooIndex

EVAL_N = 2_000  # generated (and real train) images per FD; the floor uses the same n (FD grows as n shrinks)
EVAL_SEED = 0  # the noise every entry is scored with (independent of its training seed)
JUDGE_STEPS = 1500

# memoized per process (functools: keyed by the arguments, the only state a module below the server keeps)


@functools.cache
def cached_split(name: str, train: bool, data_root: str | None, device: str):
    """A dataset split, loaded once per process (the build's workers and `zoo rescore` share it)."""
    return load_dataset(name, root=data_root, train=train, device=device, download=False)


@functools.cache
def judge_reference(root: Path, dataset: str, data_root: str | None, device: str):
    """The zoo's judge of `dataset` and its real-test reference statistics, once per process."""
    judge = load_judge_file(root / "judges" / f"{dataset}.safetensors", device=device)
    return judge, real_reference(judge, cached_split(dataset, False, data_root, device))


def ensure_judges_and_floors(index: ZooIndex, datasets: list[str], *, data_root: str | None, device: str,
                             eval_n: int, judge_steps: int, log: Callable[[str], None] = print) -> None:
    """Train missing judges (ROOT/judges/<dataset>.safetensors) and compute missing floors."""
    for ds in datasets:
        rel = f"judges/{ds}.safetensors"
        path = index.root / rel
        if not path.is_file():
            recipe = default_recipe(ds)
            if recipe["arch"] == "plain":  # the colour judge keeps its own (longer) schedule
                recipe["steps"] = judge_steps
            log(f"training the {ds} judge ({recipe['steps']} steps) -> {path}")
            res = train_judge(cached_split(ds, True, data_root, device), cached_split(ds, False, data_root, device),
                              device=device, **recipe)
            save_judge(path, res)
            log(f"  {ds} judge: test accuracy {res.test_acc:.2f}% in {res.seconds:.0f} s")
        index.judges[ds] = rel
        f = index.floors.get(ds, {})
        if f.get("n") != eval_n or f.get("judge_sha") != file_sha(path):
            judge, ref = judge_reference(index.root, ds, data_root, device)
            train_ds, test_ds = cached_split(ds, True, data_root, device), cached_split(ds, False, data_root, device)
            index.floors[ds] = {**floor(judge, train_ds, test_ds,
                                        n=eval_n, seed=EVAL_SEED, ref=ref), "judge_sha": file_sha(path),
                                "judge_test_acc": getattr(judge, "meta", {}).get("test_acc")}
            log(f"  {ds} floor (real train vs real test, n={eval_n}): fd {index.floors[ds]['fd']:.3f}")
        if "ruler" not in index.floors[ds]:
            add_ruler(index, ds, data_root=data_root, device=device, eval_n=eval_n, log=log)


def add_ruler(index: ZooIndex, ds: str, *, data_root: str | None, device: str, eval_n: int,
              log: Callable[[str], None] = print) -> dict[str, float]:
    """Score the ruler's reference sets (normgen.eval.ruler) with the zoo's judge of `ds` at the entries'
    n and store them in the dataset's floor record (index.floors[ds]["ruler"])."""
    judge, ref = judge_reference(index.root, ds, data_root, device)
    rungs = ruler(judge, cached_split(ds, True, data_root, device), cached_split(ds, False, data_root, device),
                  n=eval_n, seed=EVAL_SEED, ref=ref)
    index.floors.setdefault(ds, {})["ruler"] = rungs
    log(f"  {ds} ruler (n={eval_n}): " + ", ".join(f"{k} {v:.2f}" for k, v in rungs.items()))
    return rungs


def file_sha(path: Path) -> str:
    """The sha256 of `path`, once per modification time."""
    return _sha_of_version(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _sha_of_version(path: str, _mtime_ns: int) -> str:
    return sha256(Path(path))


def judge_sha(root: Path, dataset: str) -> str:
    """The sha256 of the zoo's judge file of `dataset` ("" when there is none), once per file version."""
    path = root / "judges" / f"{dataset}.safetensors"
    return file_sha(path) if path.is_file() else ""

