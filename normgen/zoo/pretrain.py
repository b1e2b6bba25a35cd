"""Zoo entries trained ahead of their judge: `pretrain_entry` keeps a run, `pretrained_run` gives it back to
the build (`zoo build --pretrained FOLDER`), which then only scores it. Used when the judge is itself still
training (scripts/zoo_pretrain.py)."""

from __future__ import annotations

import functools
from pathlib import Path

from normgen.checkpoints import load, save
from normgen.config import TrainConfig
from normgen.data import load_dataset
from normgen.engine.train import TrainResult, train
from normgen.zoo.spec import ZooSpec


@functools.cache
def _training_split(dataset: str, data_root: str | None):
    """Per process: a process that trains many entries loads each training split once."""
    return load_dataset(dataset, root=data_root, train=True, download=False)


def pretrain_entry(job: dict, folder: str | Path) -> Path:
    """Train one entry and keep the run (every part, float32, with its status and time) in `folder`, for a
    build to score later (`zoo build --pretrained FOLDER`): the training can start before the judge exists."""
    s = ZooSpec(**job["spec"])
    cfg = s.config(job["steps"])
    path = Path(folder) / f"{s.id}.safetensors"
    if path.is_file():
        return path
    res = train(cfg, data=_training_split(s.dataset, job["data_root"]), device=job["device"])
    return save(path, res.model, cfg, extra={"status": res.status, "steps": res.steps, "wall_s": res.elapsed,
                                              "device": res.device, "message": res.message})


def pretrained_run(folder: str | None, entry_id: str, cfg: TrainConfig) -> TrainResult | None:
    """The run `pretrain_entry` kept for `entry_id` in `folder`, if there is one trained with exactly `cfg`."""
    path = Path(folder) / f"{entry_id}.safetensors" if folder else None
    if path is None or not path.is_file():
        return None
    ck = load(path)
    if ck.config != cfg:
        return None
    m = ck.meta
    return TrainResult(ck.model, cfg, m["status"], int(m["steps"]), float(m["wall_s"]), message=m["message"],
                       device=m["device"])
