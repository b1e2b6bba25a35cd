"""Explore's figures as PNG files, rendered once per pair of checkpoints and pre-rendered at app start.

Measured on the 2-core machine: an Explore view's compute (two checkpoints, two 64-sample grids, the
statistics) takes 15-20 ms, while its matplotlib figures took 1.1-2.0 s per request. The figures depend
on the two checkpoints only (never on the noise seed), so they are drawn once, written as PNG files
keyed by the two files' sha256 (and what else they show), and served from disk after that:

- `FigureStore`: the files, in one folder (default: `figures/` in this process's own temporary folder,
  normgen.service.workdir: never a folder another process could be serving from); the least recently
  written beyond `max_files` are deleted;
- normgen.service.prerender draws every pair Explore can show in the background at app start;
- `NORMGEN_FIGURE_CACHE=0` turns both off (today's per-request path, which the benchmark measures
  against: normgen.bench.explore_latency); `NORMGEN_PRERENDER=0` keeps the cache but skips the
  background pass.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

from normgen.service import workdir

VERSION = 4  # part of every key: bump when a figure's look changes
MAX_FILES = 3_000  # ~60 KB each: at most ~180 MB, pruned at start


def enabled() -> bool:
    """False with NORMGEN_FIGURE_CACHE=0: every figure is drawn per request (today's path)."""
    return os.environ.get("NORMGEN_FIGURE_CACHE", "1") != "0"


class FigureStore:
    """PNG files by key (a tuple of strings and numbers naming what the figure shows)."""

    def __init__(self, folder: str | Path | None = None, max_files: int = MAX_FILES) -> None:
        self._folder = Path(folder) if folder else None
        self.max_files = max_files
        self.lock = threading.Lock()
        self._pruned = False

    @property
    def folder(self) -> Path:
        """Its folder (default: made in this process's own temporary folder on first use)."""
        if self._folder is None:
            self._folder = workdir.named_folder("figures")
        return self._folder

    def file(self, key: tuple) -> Path:
        return self.folder / f"{hashlib.sha1(repr(key).encode()).hexdigest()}.png"

    def get(self, key: tuple) -> str | None:
        """The file of `key` when it was drawn, else None."""
        p = self.file(key)
        return str(p) if p.is_file() else None

    def put(self, key: tuple, fig: Any) -> str:
        """Write the matplotlib figure `fig` as the file of `key` (atomically) and return its path."""
        p = self.file(key)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.prune()
        tmp = p.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            fig.savefig(tmp, format="png", dpi=100)
        except FileNotFoundError:  # its folder went in the meantime (removed by hand): make it again, once
            self.folder.mkdir(parents=True, exist_ok=True)
            fig.savefig(tmp, format="png", dpi=100)
        os.replace(tmp, p)
        return str(p)

    def prune(self) -> int:
        """Delete the oldest files of this folder beyond `max_files` (once per process); returns how many
        files went."""
        with self.lock:
            if self._pruned or not self.folder.is_dir():
                return 0
            self._pruned = True
            files = sorted(self.folder.glob("*.png"), key=lambda f: f.stat().st_mtime)
            old = files[: max(0, len(files) - self.max_files)]
            for f in old:
                f.unlink(missing_ok=True)
            return len(old)


STORE = FigureStore()


__all__ = ["FigureStore", "STORE", "enabled", "VERSION", "MAX_FILES"]
