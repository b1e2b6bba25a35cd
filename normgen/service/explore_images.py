"""Explore's pictures and the samples behind them (the grids' sizes are normgen.render.grids'): the per-pixel
difference heat map, each entry's samples from a noise seed and the mean pixel change of a pair (both cached in
memory: `Lru`, the one kind of in-memory cache Explore keeps), and the PNG files of images already shown
(`PngCache`, `PNGS`); the slices the λ sliders scrub over (`SLICES`).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from normgen.engine.sampling import sample
from normgen.eval.compare import mean_pixel_change, saturated_change
from normgen.render import figures as plots
from normgen.render.grids import GRID_SCALE
from normgen.service import workdir
from normgen.zoo.files import load_entry
from normgen.zoo.index import Entry, ZooIndex

DIFF_FULL = 0.5  # |selected - baseline| at which the heat map saturates (pixels span [-1, 1])


class Lru:
    """A least-recently-used map of at most `size` items, safe to share between threads: the one kind of cache
    Explore's views keep in memory (samples, pixel changes, the data views, the scrubbed slices)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        """The value kept under `key` (now the most recently used), or None."""
        with self.lock:
            if key not in self.items:
                return None
            self.items.move_to_end(key)
            return self.items[key]

    def put(self, key: tuple, value: Any) -> Any:
        """Keep `value` under `key`, dropping the least recently used beyond `size`; returns `value`."""
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


class PngCache:
    """PNG files of images already shown, by key (a fast compression level: encoding, not sampling,
    dominated an Explore call). Least recently used files are deleted beyond `size`."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.dir: Path | None = None
        self.files: OrderedDict[tuple, Path] = OrderedDict()
        self.lock = threading.Lock()

    def folder(self) -> Path:
        """Its folder, made on first use and made again (the same path) if a sweep removed it."""
        if self.dir is None:
            self.dir = workdir.new_folder("ui-")
        self.dir.mkdir(parents=True, exist_ok=True)
        return self.dir

    def path(self, img: Image.Image | Callable[[], Image.Image | None] | None, key: tuple | None,
             shrink: int = 1) -> str | None:
        """The file of `img` (written once per `key`; a callable is only called when the file is not
        there yet); `shrink` > 1 writes it that many times smaller (nearest neighbour: exact for an image
        enlarged by `shrink`), for pictures the page enlarges itself (CSS image-rendering: pixelated), so
        there are fewer bytes to encode and fetch."""
        with self.lock:
            if key is not None and key in self.files and self.files[key].exists():
                self.files.move_to_end(key)
                return str(self.files[key])
        if callable(img):
            img = img()
        if img is None:
            return None
        with self.lock:
            p = self.folder() / f"{uuid.uuid4().hex}.png"
            if shrink > 1:
                img = img.resize((img.width // shrink, img.height // shrink), Image.NEAREST)
            img.save(p, format="png", compress_level=1)
            self.files[key if key is not None else (p.name,)] = p
            while len(self.files) > self.size:
                _, old = self.files.popitem(last=False)
                old.unlink(missing_ok=True)
            return str(p)


PNGS = PngCache(1024)  # the shipped zoo's ~490 first-seed pictures fit (10-40 KB each)
SLICES = Lru(32)  # a slider axis's stops (normgen.app.tabs.explore_scrub), by the view's settings less that λ


def diff_image(a: torch.Tensor, b: torch.Tensor, nrow: int, scale: int = GRID_SCALE) -> Image.Image:
    """The difference map: |b - a| per pixel (`eval.compare`), saturating at DIFF_FULL, as a heat map
    in the grid layout."""
    return plots.heat_grid(saturated_change(a, b, DIFF_FULL), nrow=nrow, scale=scale)


SAMPLES = Lru(128)  # an entry's samples from a noise seed: 64 MNIST samples are 200 KB
CHANGES = Lru(8192)  # (root, a, sha, b, sha, n, seed) -> mean pixel change: numbers, a few hundred KB at most


def entry_samples(index: ZooIndex, e: Entry, n: int, seed: int) -> torch.Tensor:
    """`n` samples of entry `e` from noise `seed` (kept: a baseline is shown beside many settings)."""
    key = (str(index.root), e.id, e.sha256, n, seed)
    x = SAMPLES.get(key)
    return x if x is not None else SAMPLES.put(key, sample(load_entry(e, index.root).model, n, seed))


def pair_change(index: ZooIndex, a: Entry, b: Entry, n: int, seed: int) -> float:
    """The mean pixel change from `a`'s `n` samples to `b`'s from noise `seed` (kept as a number, so a
    revisited pair needs neither checkpoint)."""
    key = (str(index.root), a.id, a.sha256, b.id, b.sha256, n, seed)
    v = CHANGES.get(key)
    if v is None:
        v = CHANGES.put(key, mean_pixel_change(entry_samples(index, a, n, seed), entry_samples(index, b, n, seed)))
    return float(v)


_SERVED: set[str] = set()  # the folders this process has handed to the web server (gr.set_static_paths)
_SERVED_LOCK = threading.Lock()


def newly_served(folders: list[str]) -> list[str]:
    """Those of `folders` not handed to the web server yet in this process (from now on they count as handed)."""
    with _SERVED_LOCK:
        new = [f for f in dict.fromkeys(folders) if f not in _SERVED]
        _SERVED.update(new)
    return new
