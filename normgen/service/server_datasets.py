"""The datasets on this server (no gradio): which ones can be trained on here and why not
(`dataset_status`), how many images each training split has (`train_split_size`, read from the idx
file's header or counted, cached), how a training-set size reads on a control (`train_size_label`), and the
splits themselves, cached in memory (`get_split`; a run's: `get_data`, `get_test_data`).
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from normgen.data import DATASETS, Dataset, dataset_info, default_data_root, load_dataset

if TYPE_CHECKING:
    from normgen.config import TrainConfig


def dataset_status(data_root: str | Path | None = None) -> dict[str, str | None]:
    """name -> None if it can be trained on here, else the reason why not (a dataset made offline
    always can; the others need their torchvision files in their folder under the data root)."""
    root = Path(data_root) if data_root else default_data_root()
    files = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
    out: dict[str, str | None] = {}
    for name, info in DATASETS.items():
        if info.offline:
            out[name] = None
            continue
        raw = root / str(info.folder) / "raw"
        if info.present_as:
            ok, where = any((root / p).exists() for p in info.present_as), " or ".join(info.present_as)
        else:
            ok, where = all((raw / f).exists() or (raw / f"{f}.gz").exists() for f in files), f"{info.folder}/raw files"
        out[name] = None if ok else (
            f"{info.label} is not on this server (no {where} in its data folder; "
            "set $NORMGEN_DATA to a folder that has them)")
    return out


def train_split_size(name: str, data_root: str | Path | None = None) -> int | None:
    """How many images the training split of `name` has on this server (None when unknown): read from
    the idx file's header for a torchvision dataset, counted for one made offline (cached)."""
    return _count_train(name, Path(data_root) if data_root else default_data_root())


@cache
def _count_train(name: str, root: Path) -> int | None:
    info = DATASETS[name]
    if info.offline:
        return len(load_dataset(name, root=root, download=False))
    if info.train_count is not None:
        return info.train_count
    raw = root / str(info.folder) / "raw" / "train-images-idx3-ubyte"
    try:
        if raw.is_file():
            head = raw.open("rb").read(8)
        else:
            with gzip.open(raw.with_name(raw.name + ".gz"), "rb") as f:
                head = f.read(8)
    except OSError:
        return None
    return int.from_bytes(head[4:8], "big") if len(head) == 8 else None


def train_size_label(dataset: str, n: int, data_root: str | Path | None = None) -> str:
    """How a training-set size reads on a control: 'all 60,000' (the split's real size), '2,000'."""
    if n:
        return f"{n:,}"
    total = train_split_size(dataset, data_root) if dataset in DATASETS else None
    return f"all {total:,}" if total else "all"


_DATA: dict[tuple, Dataset] = {}  # (dataset, seed, data root, train) -> its split, the last 4 used


def get_split(dataset: str, train: bool = True, data_root: str | None = None, seed: int = 0) -> Dataset:
    """A dataset's training (or test) split, cached in memory; `seed` matters only for one made offline.
    The zoo's entries were trained and scored on seed 0's (normgen.zoo.build)."""
    key = (dataset, seed if dataset_info(dataset).offline else 0, data_root, train)
    if key not in _DATA:
        if len(_DATA) >= 4:
            _DATA.pop(next(iter(_DATA)))
        _DATA[key] = load_dataset(dataset, root=data_root, train=train, seed=seed, download=False)
    return _DATA[key]


def get_data(cfg: TrainConfig, data_root: str | None = None) -> Dataset:
    """The run's training split (as the CLI loads it: one made offline depends on the seed), cached;
    the run trains on `cfg.training_images(...)` of it."""
    return get_split(cfg.dataset, True, data_root, cfg.seed)


def get_test_data(cfg: TrainConfig, data_root: str | None = None) -> Dataset:
    """The run's held-out images: the test split, loaded like `get_data`."""
    return get_split(cfg.dataset, False, data_root, cfg.seed)

