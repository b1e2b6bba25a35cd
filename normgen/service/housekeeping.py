"""Bounded disk for a public server: the temporary files this process wrote are swept on a schedule.

`sweep` removes files older than an age limit, then the oldest ones until the folders together fit a
total cap; `Housekeeper` runs it every `interval_s` seconds on a daemon thread. It sweeps one folder:
the one this process made for itself (normgen.service.workdir.root: runs, uploads, Explore's pictures).
It never globs the shared temp dir (another program's `normgen-…` folder, a second normgen server or
the test suite are not ours), and it leaves Gradio's cache to Gradio: `gr.Blocks(delete_cache=...)`
deletes only the files this app created there and keeps every component's start-up value, so the
pictures a page shows on load never go. Folders a live session still names are held
(`workdir.hold`) and skipped whatever their age. Limits come from the environment
(NORMGEN_TMP_MAX_AGE_S, NORMGEN_TMP_MAX_MB, NORMGEN_TMP_SWEEP_S), defaults below.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from normgen.service import workdir
from normgen.service.inputs import env_number

MAX_AGE_S = 2 * 3600.0  # older files go (a run is capped at minutes; a result link lives 2 hours)
MAX_TOTAL_MB = 512.0  # all swept folders together
SWEEP_S = 300.0  # how often


@dataclass
class SweepReport:
    """What one sweep did: files and bytes removed (by age, then by the cap), and what is left."""

    removed_files: int = 0
    removed_bytes: int = 0
    kept_files: int = 0
    kept_bytes: int = 0


def temp_folders() -> list[Path]:
    """The folders this process may sweep: its own root (normgen.service.workdir), nothing else."""
    return [workdir.root()]


def _files(folders: Iterable[Path], skip: Iterable[Path] = ()) -> list[tuple[float, int, Path]]:
    skipped = {Path(f).resolve() for f in skip}
    out = []
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            dirs[:] = [d for d in dirs if (Path(root) / d).resolve() not in skipped]
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


def _prune_emptied(removed: Iterable[Path], roots: set[Path]) -> None:
    """Remove the folders this sweep emptied (a removed file's folder, then its parents), never a swept
    folder itself nor one that was already empty: a cache's folder made a moment ago and not yet written
    to is its owner's, and removing it made that owner's next write fail."""
    for folder in sorted({f.parent for f in removed}, key=lambda d: len(d.parts), reverse=True):
        while folder not in roots and any(folder.is_relative_to(r) for r in roots):
            try:
                folder.rmdir()  # only when empty
            except OSError:
                break
            folder = folder.parent


def sweep(folders: list[Path], *, max_age_s: float = MAX_AGE_S, max_total_bytes: float = MAX_TOTAL_MB * 2**20,
          now: float | None = None, keep: Callable[[Path], bool] = lambda p: False,
          skip: Iterable[str | Path] = ()) -> SweepReport:
    """Remove files in `folders` older than `max_age_s`, then the oldest until the rest fit
    `max_total_bytes`; files for which `keep(path)` is true stay (a session's run), and the sub-folders
    in `skip` are neither swept nor counted (caches that bound themselves)."""
    now = time.time() if now is None else now
    rep = SweepReport()
    left, removed = [], []
    for mtime, size, p in sorted(_files(folders, [Path(f) for f in skip])):
        if now - mtime > max_age_s and not keep(p) and _remove(p):
            rep.removed_files += 1
            rep.removed_bytes += size
            removed.append(p)
        else:
            left.append((mtime, size, p))
    total = sum(size for _, size, _ in left)
    kept = []
    for _mtime, size, p in left:  # oldest first
        if total > max_total_bytes and not keep(p) and _remove(p):
            total -= size
            rep.removed_files += 1
            rep.removed_bytes += size
            removed.append(p)
        else:
            kept.append(size)
    rep.kept_files, rep.kept_bytes = len(kept), sum(kept)
    _prune_emptied(removed, {Path(f) for f in folders})
    return rep


class Housekeeper:
    """Sweeps `folders()` (default: `temp_folders`) but not `skip()` every `interval_s` seconds on a daemon
    thread."""

    def __init__(self, folders: Callable[[], list[Path]] = temp_folders, *, interval_s: float | None = None,
                 max_age_s: float | None = None, max_total_mb: float | None = None,
                 keep: Callable[[Path], bool] = workdir.held,
                 skip: Callable[[], Iterable[str | Path]] = lambda: ()) -> None:
        self.folders, self.keep, self.skip = folders, keep, skip
        self.interval_s = interval_s if interval_s is not None else env_number("NORMGEN_TMP_SWEEP_S", SWEEP_S)
        self.max_age_s = max_age_s if max_age_s is not None else env_number("NORMGEN_TMP_MAX_AGE_S", MAX_AGE_S)
        mb = max_total_mb if max_total_mb is not None else env_number("NORMGEN_TMP_MAX_MB", MAX_TOTAL_MB)
        self.max_total_bytes = mb * 2**20
        self.last: SweepReport | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, now: float | None = None) -> SweepReport:
        """One sweep of `folders()`, sparing `keep(path)` files and everything under the `skip()` folders:
        caches that bound themselves and that the server still names to its pages (Explore's figures and
        grids; a sweep of them made a view's picture answer 403 once the files were 2 hours old). `now`:
        the clock to judge ages by (a test moves it ahead)."""
        self.last = sweep(self.folders(), max_age_s=self.max_age_s, max_total_bytes=self.max_total_bytes,
                          now=now, keep=self.keep, skip=self.skip())
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
