"""Datasets as one resident tensor each: `shapes` (made here, offline), `mnist`, `fashion`, `cifar10`
(32x32 colour), and a folder of the user's own images (`folder:PATH`, `folder-grey:PATH`).

A dataset is loaded once into a float32 tensor of shape (N, C, H, W) in [-1, 1] plus int64 labels,
placed on the training device, and batches are drawn by random index. Measured on a 2-core CPU: a
conventional DataLoader with ToTensor+Normalize delivers ~3,000 images/s, tensor indexing ~70,000.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from normgen import image_files

DATA_ROOT_ENV = "NORMGEN_DATA"
SHAPE_CLASSES = ("circle", "square", "triangle", "bar")


class DatasetUnavailable(RuntimeError):
    """The dataset is not on disk and could not be downloaded."""


@dataclass(frozen=True)
class Dataset:
    """Images (N, C, H, W) float32 in [-1, 1] and labels (N,) int64, on one device."""

    name: str
    images: torch.Tensor
    labels: torch.Tensor

    @property
    def num_classes(self) -> int:
        return dataset_info(self.name).num_classes

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])  # type: ignore[return-value]

    def __len__(self) -> int:
        return self.images.shape[0]

    def batch(self, size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """A random batch (with replacement across batches), indices drawn from `generator`."""
        idx = torch.randint(len(self), (size,), generator=generator, device=generator.device)
        idx = idx.to(self.images.device)
        return self.images[idx], self.labels[idx]

    def to(self, device: torch.device | str) -> Dataset:
        return Dataset(self.name, self.images.to(device), self.labels.to(device))


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is: everything the rest of normgen asks about it (nothing branches on its name)."""

    name: str  # registry key, stored in every TrainConfig
    label: str  # on screen
    image_shape: tuple[int, int, int]  # (C, H, W) of every image: the models are built for it
    class_names: tuple[str, ...] | None  # None: unlabeled (no conditional model, no class statistics)
    load: Callable[[Path, bool, bool, int, int | None], Dataset]  # (root, train, download, seed, size)
    folder: str | None = None  # where it lives under the data root; None: made here, needs no files
    offline: bool = False  # made here: always available
    present_as: tuple[str, ...] = ()  # paths under the data root, any of which means "on disk"; () = the
    # torchvision raw files under `folder`/raw (MNIST's layout)
    train_count: int | None = None  # images in the training split, where known without reading them

    @property
    def num_classes(self) -> int:
        return len(self.class_names or ())


def _shapes(root: Path, train: bool, download: bool, seed: int, size: int | None) -> Dataset:
    """Made here: `size` images (default 10,000); the test split is drawn from another seed."""
    return make_shapes(size or 10_000, seed=seed if train else seed + 1_000_003)


def _torchvision(name: str, folder: str) -> Callable[[Path, bool, bool, int, int | None], Dataset]:
    """A loader for torchvision's dataset class `folder` (its class name is also its folder name)."""

    def load(root: Path, train: bool, download: bool, seed: int, size: int | None) -> Dataset:
        ds = _load_torchvision(name, folder, root, train, download)
        return ds if size is None else Dataset(ds.name, ds.images[:size], ds.labels[:size])
    return load


def _cifar10(root: Path, train: bool, download: bool, seed: int, size: int | None) -> Dataset:
    """CIFAR-10: torchvision's own layout (`cifar-10-batches-py`) where present or downloadable, else the
    ImageFolder PNG export `CIFAR10/{train,test}/<class>/<index>.png` (decoded once, then cached)."""
    split = root / "CIFAR10" / ("train" if train else "test")
    if not (root / "cifar-10-batches-py").is_dir() and split.is_dir():
        images, labels, _ = image_files.read_png_export(split, classes=CIFAR10_CLASSES)
        x, y = torch.from_numpy(images), torch.from_numpy(labels)
    else:
        from torchvision import datasets

        try:
            tv = datasets.CIFAR10(str(root), train=train, download=False)
        except RuntimeError:
            if not download:
                raise DatasetUnavailable(_cifar_missing(root)) from None
            try:
                tv = datasets.CIFAR10(str(root), train=train, download=True)
            except Exception as exc:  # network errors come in many types
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise DatasetUnavailable(f"{_cifar_missing(root)} Download failed: {first}") from None
        x = torch.from_numpy(tv.data).permute(0, 3, 1, 2)  # (N, 32, 32, 3) uint8 -> (N, 3, 32, 32)
        y = torch.tensor(tv.targets, dtype=torch.long)
    if size is not None:
        x, y = x[:size], y[:size]
    return Dataset("cifar10", x.float().div_(127.5).sub_(1.0).contiguous(), y.clone())


def _cifar_missing(root: Path) -> str:
    return (f"dataset 'cifar10' not found in {root}: neither {root / 'cifar-10-batches-py'} (torchvision) nor "
            f"{root / 'CIFAR10' / 'train'} (the PNG export). Point --data-root (or ${DATA_ROOT_ENV}) at a folder "
            "holding one, or connect to the internet to download it.")


CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
# a folder of the user's own images: the name's prefix says what its images become, (C, side)
FOLDER_PREFIXES: dict[str, tuple[int, int]] = {"folder:": (3, 32), "folder-grey:": (1, 28)}


def _folder_info(name: str) -> DatasetInfo | None:
    """The DatasetInfo of a user folder name (`folder:PATH` 32x32 colour, `folder-grey:PATH` 28x28 grey),
    its classes from the folder's listing; None for any other name."""
    for prefix, (c, side) in FOLDER_PREFIXES.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            path = Path(name[len(prefix):]).expanduser()

            def load(root: Path, train: bool, download: bool, seed: int, size: int | None,
                     path: Path = path, c: int = c, side: int = side) -> Dataset:
                # a user folder has no held-out split: train and test are the same images
                images, labels, _ = image_files.read_user_folder(path, channels=c, side=side)
                x = torch.from_numpy(images).float().div_(127.5).sub_(1.0)
                ds = Dataset(name, x.contiguous(), torch.from_numpy(labels))
                return ds if size is None else Dataset(name, ds.images[:size], ds.labels[:size])
            return DatasetInfo(name, f"your images ({path.name or path})", (c, side, side),
                               image_files.user_folder_classes(path), load)
    return None


DATASETS: dict[str, DatasetInfo] = {d.name: d for d in (
    DatasetInfo("shapes", "Shapes (made offline)", (1, 28, 28), SHAPE_CLASSES, _shapes, offline=True),
    DatasetInfo("mnist", "MNIST digits", (1, 28, 28), tuple(str(d) for d in range(10)), _torchvision("mnist", "MNIST"),
                "MNIST"),
    DatasetInfo("fashion", "Fashion-MNIST", (1, 28, 28),
                ("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"),
                _torchvision("fashion", "FashionMNIST"), "FashionMNIST"),
    DatasetInfo("cifar10", "CIFAR-10 (colour)", (3, 32, 32), CIFAR10_CLASSES, _cifar10, "CIFAR10",
                present_as=("cifar-10-batches-py/data_batch_1", "CIFAR10/train"), train_count=50_000),
)}
OFFLINE_DATASET = next(d.name for d in DATASETS.values() if d.offline)  # trains anywhere: the fallback


def dataset_info(name: str) -> DatasetInfo:
    """The registered dataset `name` (or a user folder, `folder:PATH`); an unknown name raises with the
    valid ones."""
    if isinstance(name, str) and name not in DATASETS and (info := _folder_info(name)) is not None:
        return info
    check_dataset_name(name)
    return DATASETS[name]


def dataset_label(name: str) -> str:
    """A dataset's label on screen ('your images (cats)' for a folder; the raw name of one this normgen
    does not know)."""
    if name in DATASETS:
        return DATASETS[name].label
    try:
        return dataset_info(name).label
    except ValueError:
        return name


def first_dataset(channels: int) -> str:
    """The first registered dataset read from disk (not made offline) whose images have `channels`."""
    return next(n for n, info in DATASETS.items() if info.folder and info.image_shape[0] == channels)


def class_names(name: str) -> tuple[str, ...]:
    """The class names of dataset `name` (empty for an unlabeled one)."""
    return dataset_info(name).class_names or ()


def balanced_subset(ds: Dataset, n: int, seed: int) -> Dataset:
    """`n` images of `ds`, class-balanced (n // k of each of the k classes, the remainder one more for the
    first classes), chosen by `seed`, kept in their original order. Deterministic; a subset of itself is
    itself, so a caller may pass either the full set or the subset. An unlabeled set: n at random."""
    if not 1 <= n <= len(ds):
        raise ValueError(f"a subset of {ds.name} needs 1 to {len(ds)} images, got {n}")
    if n == len(ds):
        return ds
    g = torch.Generator().manual_seed(seed)
    labels = ds.labels.cpu()
    k = ds.num_classes
    if k < 2:
        idx = torch.randperm(len(ds), generator=g)[:n]
    else:
        per = [n // k + (1 if c < n % k else 0) for c in range(k)]
        picks = []
        for c in range(k):
            members = (labels == c).nonzero().squeeze(1)
            if len(members) < per[c]:
                raise ValueError(f"{ds.name} has {len(members)} images of class {c}; a balanced subset of "
                                 f"{n} needs {per[c]}")
            picks.append(members[torch.randperm(len(members), generator=g)[:per[c]]])
        idx = torch.cat(picks)
    idx = idx.sort().values.to(ds.images.device)
    return Dataset(ds.name, ds.images[idx], ds.labels[idx])


def default_data_root() -> Path:
    """$NORMGEN_DATA, else ~/.cache/normgen/data (XDG_CACHE_HOME respected)."""
    if os.environ.get(DATA_ROOT_ENV):
        return Path(os.environ[DATA_ROOT_ENV]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "normgen" / "data"


def check_dataset_name(name: str) -> str:
    if not isinstance(name, str) or (name not in DATASETS and _folder_info(name) is None):
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}, or a folder of "
                         f"your images as {' or '.join(p + 'PATH' for p in FOLDER_PREFIXES)}")
    return name


def load_dataset(
    name: str,
    *,
    root: str | Path | None = None,
    train: bool = True,
    download: bool = True,
    device: torch.device | str = "cpu",
    seed: int = 0,
    size: int | None = None,
) -> Dataset:
    """Load a dataset by name into one tensor on `device`.

    `root` (or $NORMGEN_DATA) is where torchvision finds `MNIST/raw/...`, `FashionMNIST/raw/...` and
    `cifar-10-batches-py` (or the PNG export `CIFAR10/{train,test}/<class>/*.png`).
    `size` limits the number of images (shapes: how many to make, default 10,000).
    """
    info = dataset_info(name)
    try:
        ds = info.load(Path(root) if root else default_data_root(), train, download, seed, size)
    except image_files.ImageFolderError as exc:
        raise DatasetUnavailable(str(exc)) from None
    return ds.to(device)


IDX_FILES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def read_idx(path: Path, dims: int) -> torch.Tensor:
    """An uncompressed IDX file of unsigned bytes (MNIST's format: magic 0x0000 08 <dims>, then each
    dimension's size as a big-endian int32, then the bytes), as a uint8 tensor; ValueError naming the file
    when its header or size does not say that."""
    raw = path.read_bytes()
    head = 4 + 4 * dims
    if len(raw) < head or raw[:3] != b"\0\0\x08" or raw[3] != dims:
        raise ValueError(f"{path} is not an IDX file of {dims}-d unsigned bytes")
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    if len(raw) != head + math.prod(shape):
        raise ValueError(f"{path} holds {len(raw) - head} bytes of data, its header says {math.prod(shape)}")
    return torch.frombuffer(bytearray(raw[head:]), dtype=torch.uint8).reshape(shape)


def _load_idx(name: str, folder: str, root: Path, train: bool) -> Dataset | None:
    """MNIST-style raw files read directly (torchvision reads the same files, but importing it took 1.6 s
    of a live run's start on 2 cores); None when they are not all there (torchvision finds, or
    downloads, them). A damaged file is DatasetUnavailable."""
    paths = [root / folder / "raw" / f for f in IDX_FILES[train]]
    if not all(p.is_file() for p in paths):
        return None
    try:
        x, y = read_idx(paths[0], 3), read_idx(paths[1], 1)
    except (ValueError, OSError) as exc:
        raise DatasetUnavailable(f"{exc}; delete {root / folder} and download {name} again") from None
    if len(x) != len(y):
        raise DatasetUnavailable(f"{paths[0]} holds {len(x)} images but {paths[1]} {len(y)} labels; delete "
                                 f"{root / folder} and download {name} again")
    return Dataset(name, x.unsqueeze(1).float().div_(127.5).sub_(1.0).contiguous(), y.long())


def _load_torchvision(name: str, folder: str, root: Path, train: bool, download: bool) -> Dataset:
    ds = _load_idx(name, folder, root, train)
    if ds is not None:
        return ds
    from torchvision import datasets  # imported here: torchvision costs ~1.5 s at import

    cls = getattr(datasets, folder)
    try:
        tv = cls(str(root), train=train, download=False)
    except RuntimeError:
        if not download:
            raise DatasetUnavailable(_missing_message(name, root)) from None
        try:
            tv = cls(str(root), train=train, download=True)
        except Exception as exc:  # network errors come in many types (URLError, OSError, ...)
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise DatasetUnavailable(f"{_missing_message(name, root)} Download failed: {first}") from None
    # tv.data is uint8 (N, 28, 28); scale to [-1, 1] in one vectorised op, no per-sample PIL.
    images = tv.data.unsqueeze(1).float().div_(127.5).sub_(1.0)
    return Dataset(name, images.contiguous(), tv.targets.long().clone())


def _missing_message(name: str, root: Path) -> str:
    folder = DATASETS[name].folder
    return (
        f"dataset {name!r} not found in {root / folder / 'raw'}. Point --data-root (or ${DATA_ROOT_ENV}) "
        f"at a folder holding {folder}/raw/, connect to the internet to download it, "
        "or use --dataset shapes (made offline)."
    )


# ----------------------------------------------------------------------------------------------
# shapes: a procedural dataset of four classes, rasterised with vectorised signed-distance tests.


def make_shapes(n: int, *, seed: int = 0, size: int = 28) -> Dataset:
    """`n` images of circles, squares, triangles and bars (class = index in SHAPE_CLASSES).

    Random centre, size, rotation (squares, triangles, bars) and stroke width; outline or filled.
    Anti-aliased by a 1-pixel linear ramp on the signed distance. Deterministic for a given seed.
    """
    if n < 1:
        raise ValueError(f"shapes: n must be >= 1, got {n}")
    g = torch.Generator().manual_seed(seed)

    def u(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, 1, 1, generator=g)

    labels = torch.arange(n) % len(SHAPE_CLASSES)
    labels = labels[torch.randperm(n, generator=g)]
    cx, cy = u(9.0, 19.0), u(9.0, 19.0)
    radius = u(5.0, 9.0)
    angle = u(0.0, math.pi)
    stroke = u(1.2, 2.6)
    filled = torch.rand(n, 1, 1, generator=g) < 0.3

    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32) + 0.5,
                            torch.arange(size, dtype=torch.float32) + 0.5, indexing="ij")
    dx, dy = xs - cx, ys - cy
    # rotate coordinates into each shape's frame
    c, s = torch.cos(angle), torch.sin(angle)
    rx, ry = c * dx + s * dy, -s * dx + c * dy

    # signed distance to each image's own shape (computed only for the images of that class)
    d = torch.empty(n, size, size)
    half = radius * 0.8
    for k, dist in enumerate((
        lambda i: torch.sqrt(dx[i] ** 2 + dy[i] ** 2) - radius[i],
        lambda i: torch.maximum(rx[i].abs(), ry[i].abs()) - half[i],
        lambda i: _triangle_distance(rx[i], ry[i], radius[i]),
        lambda i: torch.maximum(rx[i].abs() - radius[i], ry[i].abs() - stroke[i] * 0.9),
    )):
        idx = (labels == k).nonzero().squeeze(1)
        d[idx] = dist(idx)

    outline = (stroke / 2 - d.abs()).clamp(-0.5, 0.5) + 0.5
    solid = (-d).clamp(-0.5, 0.5) + 0.5
    is_bar = (labels == 3).view(n, 1, 1)
    ink = torch.where(filled | is_bar, solid, outline)
    images = (ink * 2 - 1).unsqueeze(1).contiguous()
    return Dataset("shapes", images, labels.long())


def _triangle_distance(x: torch.Tensor, y: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """Max over the three edge half-planes of an equilateral triangle with circumradius r."""
    out = None
    for k in range(3):
        a = -math.pi / 2 + k * 2 * math.pi / 3  # outward normal directions
        d = x * math.cos(a) + y * math.sin(a) - r * 0.5
        out = d if out is None else torch.maximum(out, d)
    return out  # type: ignore[return-value]
