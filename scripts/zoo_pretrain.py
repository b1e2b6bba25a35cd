"""Train zoo entries before their judge exists; `zoo build --pretrained FOLDER` scores them later.

The build trains an entry and scores it with the dataset's judge in one job. When the judge is itself still
training (issue 24 retrained the CIFAR-10 judge and the colour block in one session), this trains the
entries now, one after another in grid order, each kept in FOLDER as a float32 checkpoint of every part with
its status and training time. Resumable (an entry already in FOLDER is skipped); several processes share
the list (each claims the next entry no other has claimed: FOLDER/<id>.lock):

    NORMGEN_DATA=../shared/data nice -n 10 .venv/bin/python scripts/zoo_pretrain.py runs/pre \\
        --datasets cifar10 --priority 11 --only 'baseline'
    .venv/bin/python -m normgen zoo build --datasets cifar10 --priority 11 --float32 --pretrained runs/pre
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from normgen.zoo.pretrain import pretrain_entry  # noqa: E402
from normgen.zoo.spec import spec  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder")
    ap.add_argument("--datasets", default="cifar10")
    ap.add_argument("--priority", type=int, default=11)
    ap.add_argument("--only", default=None, metavar="REGEX", help="entries whose 'TAG ID' matches")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    pattern = re.compile(a.only) if a.only else None
    chosen = [s for s in spec(tuple(a.datasets.split(","))) if s.priority <= a.priority
              and (pattern is None or pattern.search(f"{s.tag} {s.id}"))]
    print(f"{len(chosen)} entries -> {a.folder}", flush=True)
    for s in chosen:
        job = {"spec": {k: v for k, v in s.to_dict().items() if k not in ("id", "file")},
               "data_root": a.data_root, "device": "cpu", "steps": None}
        lock = Path(a.folder) / f"{s.id}.lock"
        if (Path(a.folder) / f"{s.id}.safetensors").is_file():
            continue
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            lock.open("x").close()
        except FileExistsError:  # another process trains it
            continue
        t0 = time.perf_counter()
        path = pretrain_entry(job, a.folder)
        lock.unlink()
        print(f"{s.id}: {time.perf_counter() - t0:.0f} s -> {path}", flush=True)


if __name__ == "__main__":
    main()
