"""Rescoring the zoo without retraining: the sampling spread of every entry, and generalization numbers
for the entries trained on the whole training split.

    python -m normgen zoo rescore --data-root ../shared/data [--root checkpoints] [--draws 5]

Why: one noise draw of 2,000 samples is not one number. Redrawing the noise moves the GAN baseline's FD
by 6-7 and a cGAN baseline stored as 4.64 reads 5.3-6.0 on other draws, about as much as retraining with
another seed. So every entry is scored with `draws` noise seeds (EVAL_SEED, EVAL_SEED + 1, ...; the first
is the one the build scored), and the index then reports the mean over the draws with their min-max
range (`fd_sampling`); a difference counts as an effect only when it is larger than both the seed spread
and that sampling spread (normgen.zoo.verdicts).

Full-data entries also get pixel-space memorization (2,000 training images vs 2,000 held-out test
images, both class-balanced; normgen.eval.generalization), and the discriminator's train / held-out gap
where the file stores the discriminator (the baselines): the same numbers the small-data block has, so
"no gap on full data" is measured too.

Issue 25's second look, for every entry the same pass reaches (`extra_scores`; entries already scored get
only what they lack):
- a second judge (ROOT/judges/DATASET-2.safetensors: another architecture and seed) scores the same noise
  draws: `fd2_draws`, so a verdict can ask whether two judges agree (normgen.zoo.verdicts);
- data copying in the first judge's feature space (normgen.eval.copying: the nearest-neighbour distance
  ratio against held-out real images and the share of near-copies);
- for a VAE, the importance-weighted bound with k = 64 beside the ELBO (normgen.eval.likelihood).

The results go to ROOT/sampling.json, one record per entry tied to its file's sha256 (a retrained entry's
old record is ignored), read by normgen.zoo.index.load_index. A separate file, so a rescore never races a
build writing index.json. Resumable: an entry whose record matches its file is skipped.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from normgen.checkpoints import sha256
from normgen.data import balanced_subset
from normgen.eval.copying import copying_in
from normgen.eval.generalization import MAX_M, comparison_sets, d_gap, memorization
from normgen.eval.judge import load_judge_file
from normgen.eval.likelihood import IWAE_N, K, iwae_scores
from normgen.eval.quality import generate_many, real_reference, sampling_draws
from normgen.models import family
from normgen.zoo.agreement import SECOND_JUDGE
from normgen.zoo.files import load_entry
from normgen.zoo.index import Entry, load_index, load_sampling, write_sampling
from normgen.zoo.judges import EVAL_N, EVAL_SEED, cached_split, judge_reference

DRAWS = 5


def draw_seeds(draws: int = DRAWS) -> tuple[int, ...]:
    """The noise seeds of `draws` draws; the first is the build's EVAL_SEED."""
    if draws < 2:
        raise ValueError(f"a sampling spread needs at least 2 draws, got {draws}")
    return tuple(EVAL_SEED + i for i in range(draws))


def score_entry(e: Entry, root: Path, *, data_root: str | None, device: str = "cpu", draws: int = DRAWS,
                n: int | None = None) -> dict[str, Any]:
    """The record of one entry: its draws of `n` samples each (default: as many as the build scored it
    with), and generalization numbers for a full-data entry."""
    n = int(n or e.metrics.get("n") or EVAL_N)
    model = load_entry(e, root).model.to(device)
    judge, ref = judge_reference(root, e.dataset, data_root, device)
    seeds = draw_seeds(draws)
    d = sampling_draws(model, judge, ref, n=n, seeds=seeds)
    rec: dict[str, Any] = {"sha256": e.sha256, "n": n, "draw_seeds": list(seeds), "fd_draws": d["fd"],
                           "confident_draws": d["confident_pct"], "entropy_draws": d["class_entropy"]}
    if not e.train_size:  # small-data entries were scored for generalization when built
        train_cmp, held = comparison_sets(cached_split(e.dataset, True, data_root, device),
                                          cached_split(e.dataset, False, data_root, device), seed=0)
        samples, _ = generate_many(model, n, EVAL_SEED)
        g: dict[str, float] = {"gen_m": len(train_cmp), **memorization(samples, train_cmp, held)}
        if family(e.model).adversarial and "discriminator" in e.parts:
            g.update(d_gap(model, train_cmp, held))
        rec["generalization"] = g
    return rec


DRAWS2 = 3  # the second judge's noise draws: the first 3 of the first judge's (CPU time; its own sampling spread)


def second_judge(root: Path, dataset: str, data_root: str | None, device: str):
    """(judge, real-test reference, file sha256) of the dataset's second judge, once per process; None when
    the zoo has none."""
    path = root / SECOND_JUDGE.format(dataset=dataset)
    if not path.is_file():
        return None
    return _second_judge(path, dataset, data_root, device)


@functools.cache
def _second_judge(path: Path, dataset: str, data_root: str | None, device: str):
    judge = load_judge_file(path, device=device)
    return judge, real_reference(judge, cached_split(dataset, False, data_root, device)), sha256(path)


def missing_extras(e: Entry, rec: dict, root: Path) -> list[str]:
    """Which of issue 25's scores the record lacks: "judge2", "copying", "iwae"."""
    out = []
    j2 = root / SECOND_JUDGE.format(dataset=e.dataset)
    if j2.is_file() and (rec.get("judge2_sha") != sha256(j2) or len(rec.get("fd2_draws", [])) < DRAWS2):
        out.append("judge2")
    if "copying" not in rec:
        out.append("copying")
    if family(e.model).has_elbo and "iwae" not in rec:
        out.append("iwae")
    return out


def extra_scores(e: Entry, root: Path, rec: dict, *, data_root: str | None, device: str = "cpu",
                 draws: int = DRAWS, what: list[str] | None = None) -> dict[str, Any]:
    """`rec` with the scores `what` (default: all it lacks) added: the second judge's FD over the same noise
    draws, copying in the first judge's features, and a VAE's IWAE (k = 64) beside its ELBO."""
    what = missing_extras(e, rec, root) if what is None else what
    if not what:
        return rec
    rec = dict(rec)
    n = int(rec.get("n") or e.metrics.get("n") or EVAL_N)
    ck = load_entry(e, root)
    model = ck.model.to(device)
    train_ds = cached_split(e.dataset, True, data_root, device)
    test_ds = cached_split(e.dataset, False, data_root, device)
    seen = ck.config.training_images(train_ds)  # the images it trained on: all of them, or its subset
    if "judge2" in what:
        j2 = second_judge(root, e.dataset, data_root, device)
        if j2 is not None:
            d = sampling_draws(model, j2[0], j2[1], n=n, seeds=draw_seeds(min(draws, DRAWS2)))
            rec.update(fd2_draws=d["fd"], confident2_draws=d["confident_pct"], judge2_sha=j2[2])
    if "copying" in what:
        judge, _ = judge_reference(root, e.dataset, data_root, device)
        pool = balanced_subset(seen, min(len(seen), MAX_M), 0) if e.train_size == 0 else seen
        held = balanced_subset(test_ds, min(len(test_ds), MAX_M), 0)
        samples, _ = generate_many(model, n, EVAL_SEED)
        rec["copying"] = copying_in(judge, samples, pool.images, held.images)
    if "iwae" in what:
        rec["iwae"] = iwae_scores(model, seen, test_ds, min(n, IWAE_N), EVAL_SEED, k=K)
    return rec


def save_record(root: Path, entry_id: str, rec: dict) -> dict[str, dict]:
    """Store one entry's record: read the file, replace the record, write it back, under an exclusive lock, so
    several rescore processes (each on its own entries) can share ROOT/sampling.json. Returns the records.
    The lock is taken on the zoo's folder itself, so no lock file is left behind anywhere."""
    fd = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        records = load_sampling(root)
        records[entry_id] = rec
        write_sampling(root, records)
    finally:
        os.close(fd)  # closing the last descriptor releases the lock
    return records


def rescore(root: Path, *, data_root: str | None, device: str = "cpu", draws: int = DRAWS, only: str | None = None,
            force: bool = False, ids: list[str] | None = None, extras: bool = True, primary: bool = True,
            shard: tuple[int, int] | None = None,
            log: Callable[[str], None] = print) -> list[str]:
    """Score every entry (matching `only`, or in `ids`) that has no record for its current file (`primary`:
    the noise draws) or lacks one of issue 25's scores (`extras`); returns the ids scored. The file is
    rewritten after each entry, so an interruption loses one entry at most."""
    index = load_index(root)
    records = load_sampling(root)
    pattern = re.compile(only) if only else None

    def stale(e: Entry) -> bool:
        return (force or records.get(e.id, {}).get("sha256") != e.sha256
                or len(records[e.id].get("fd_draws", [])) != draws)

    def own(e: Entry) -> dict:  # the entry's record if it belongs to its file, else a new one
        rec = records.get(e.id, {})
        return rec if rec.get("sha256") == e.sha256 else {"sha256": e.sha256}

    todo = [e for e in index.entries
            if (pattern is None or pattern.search(e.id)) and (ids is None or e.id in ids)
            and not family(e.model).translates  # a translator is scored on fixed held-out inputs: no noise to redraw
            and ((primary and stale(e)) or (extras and missing_extras(e, own(e), root)))]
    if shard is not None:  # several processes, each its share of the entries (save_record keeps the file whole)
        i, k = shard  # by a hash of the id: the same split whenever each process starts
        todo = [e for e in todo if int(hashlib.sha1(e.id.encode()).hexdigest(), 16) % k == i]
    log(f"{len(index.entries)} entries; {len(todo)} to score with {draws} noise draws (as many samples a draw as "
        "each was built with)" + (", a second judge, copying and IWAE where missing" if extras else ""))
    done = []
    for i, e in enumerate(todo, 1):
        with torch.no_grad():
            rec = (score_entry(e, root, data_root=data_root, device=device, draws=draws) if primary and stale(e)
                   else own(e))
            if extras:
                rec = extra_scores(e, root, rec, data_root=data_root, device=device, draws=draws)
        records = save_record(root, e.id, rec)
        done.append(e.id)
        fd = rec.get("fd_draws") or [float("nan")]
        log(f"[{i}/{len(todo)}] {e.id}: FD {min(fd):.2f}-{max(fd):.2f} over {len(fd)} draws"
            + (f", memorization {rec['generalization']['memorization_pct']:.0f}%" if "generalization" in rec else "")
            + (f", second judge FD {min(rec['fd2_draws']):.2f}-{max(rec['fd2_draws']):.2f}"
               if "fd2_draws" in rec else "")
            + (f", near-copies {rec['copying']['near_copy_pct']:.1f}%" if "copying" in rec else "")
            + (f", IWAE held-out {rec['iwae']['iwae_test']:.4f} nats/pixel" if "iwae" in rec else ""))
    return done
