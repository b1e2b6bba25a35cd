"""Bounded disk for a public server: the temporary files the app writes are swept on a schedule.

A day of use used to leave everything it wrote: Gradio's cache (about 124 KiB per Explore view with new
noise), the PNG folders the Explore and Train screens serve from, and one folder per training run (~1.1
MiB). `sweep` removes files older than an age limit, then the oldest ones until the folders together
fit a total cap; `Housekeeper` runs it every `interval_s` seconds on a daemon thread. The folders are
normgen's own (`tempfile.gettempdir()/normgen-*`) and Gradio's cache (`GRADIO_TEMP_DIR`, default
`<tmp>/gradio`); nothing else is touched. Limits come from the environment (NORMGEN_TMP_MAX_AGE_S,
NORMGEN_TMP_MAX_MB, NORMGEN_TMP_SWEEP_S), defaults below; the README quotes them.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from normgen.service.inputs import env_number

MAX_AGE_S = 2 * 3600.0  # older files go (a run is capped at minutes; a result link lives 2 hours)
MAX_TOTAL_MB = 512.0  # all swept folders together
SWEEP_S = 300.0  # how often
PREFIX = "normgen-"


@dataclass
class SweepReport:
    """What one sweep did: files and bytes removed (by age, then by the cap), and what is left."""

    removed_files: int = 0
    removed_bytes: int = 0
    kept_files: int = 0
    kept_bytes: int = 0


def temp_folders(tmp: str | Path | None = None) -> list[Path]:
    """normgen's folders under the temp dir (`normgen-*`) and Gradio's cache folder, those that exist."""
    base = Path(tmp or tempfile.gettempdir())
    gradio = Path(os.environ.get("GRADIO_TEMP_DIR") or base / "gradio")
    found = sorted(p for p in base.glob(f"{PREFIX}*") if p.is_dir())
    return found + ([gradio] if gradio.is_dir() else [])


def _files(folders: Iterable[Path]) -> list[tuple[float, int, Path]]:
    out = []
    for folder in folders:
        for root, _, names in os.walk(folder):
            for name in names:
                p = Path(root) / name
                try:
                    st = p.lstat()
                except OSError:  # removed meanwhile
                    continue
                out.append((st.st_mtime, st.st_size, p))
    return out


def _remove(p: Path) -> bool:
    try:
        p.unlink()
        return True
    except OSError:
        return False


def _prune_empty(folders: Iterable[Path], roots: set[Path]) -> None:
    """Remove empty sub-folders, and emptied normgen-* folders (not Gradio's cache root)."""
    for folder in folders:
        for root, dirs, files in os.walk(folder, topdown=False):
            r = Path(root)
            if not dirs and not files and (r not in roots or r.name.startswith(PREFIX)):
                try:
                    r.rmdir()
                except OSError:
                    pass


def sweep(folders: list[Path], *, max_age_s: float = MAX_AGE_S, max_total_bytes: float = MAX_TOTAL_MB * 2**20,
          now: float | None = None, keep: Callable[[Path], bool] = lambda p: False) -> SweepReport:
    """Remove files in `folders` older than `max_age_s`, then the oldest until the rest fit
    `max_total_bytes`; files for which `keep(path)` is true stay (a run still writing its folder)."""
    now = time.time() if now is None else now
    rep = SweepReport()
    left = []
    for mtime, size, p in sorted(_files(folders)):
        if now - mtime > max_age_s and not keep(p) and _remove(p):
            rep.removed_files += 1
            rep.removed_bytes += size
        else:
            left.append((mtime, size, p))
    total = sum(size for _, size, _ in left)
    kept = []
    for _mtime, size, p in left:  # oldest first
        if total > max_total_bytes and not keep(p) and _remove(p):
            total -= size
            rep.removed_files += 1
            rep.removed_bytes += size
        else:
            kept.append(size)
    rep.kept_files, rep.kept_bytes = len(kept), sum(kept)
    _prune_empty(folders, set(folders))
    return rep


class Housekeeper:
    """Sweeps `folders()` (default: `temp_folders`) but not `skip()` every `interval_s` seconds on a daemon
    thread."""

    def __init__(self, folders: Callable[[], list[Path]] = temp_folders, *, interval_s: float | None = None,
                 max_age_s: float | None = None, max_total_mb: float | None = None,
                 keep: Callable[[Path], bool] = lambda p: False,
                 skip: Callable[[], Iterable[str | Path]] = lambda: ()) -> None:
        self.folders, self.keep, self.skip = folders, keep, skip
        self.interval_s = interval_s if interval_s is not None else env_number("NORMGEN_TMP_SWEEP_S", SWEEP_S)
        self.max_age_s = max_age_s if max_age_s is not None else env_number("NORMGEN_TMP_MAX_AGE_S", MAX_AGE_S)
        mb = max_total_mb if max_total_mb is not None else env_number("NORMGEN_TMP_MAX_MB", MAX_TOTAL_MB)
        self.max_total_bytes = mb * 2**20
        self.last: SweepReport | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> SweepReport:
        """One sweep of `folders()` less the `skip()` ones: caches that bound themselves and that the server
        still names to its pages (Explore's figures and grids; a sweep of them made a view's picture answer
        403 once the files were 2 hours old)."""
        skipped = {Path(f).resolve() for f in self.skip()}
        folders = [f for f in self.folders() if f.resolve() not in skipped]
        self.last = sweep(folders, max_age_s=self.max_age_s, max_total_bytes=self.max_total_bytes, keep=self.keep)
        return self.last

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.run_once()
            except Exception:  # a sweep must never take the server down; the next one tries again
                pass

    def start(self) -> Housekeeper:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="normgen-housekeeping", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
