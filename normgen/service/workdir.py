"""The one temporary folder this process owns: every file the server writes lives under it.

A server must never delete what it did not write. The temp dir is shared by every program on the
machine (a second normgen server, the test suite, a stranger's `normgen-…` folder), so nothing here
globs it: the first call to `root()` makes a fresh folder with `tempfile.mkdtemp` (under
`$NORMGEN_TMP` when set, else the system temp dir), and normgen's runs, uploads, Explore's pictures
and figures go in sub-folders of it (`new_folder`). Housekeeping sweeps that root only
(normgen.service.housekeeping); the folder is removed when this process exits.

Folders that a live page still names (a session's run files, its upload) are `hold`-ed by their
owner and `release`-d when the session ends, so a sweep never removes them whatever their age.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from pathlib import Path

PREFIX = "normgen-"
ENV = "NORMGEN_TMP"  # where to make the root (default: the system temp dir)

_lock = threading.Lock()
_root: dict[int, Path] = {}  # pid -> this process's root (a forked child makes its own)
_held: set[Path] = set()


def root() -> Path:
    """This process's own folder, made on first use (and made again at the same path if removed)."""
    pid = os.getpid()
    with _lock:
        path = _root.get(pid)
        if path is None:
            base = os.environ.get(ENV) or None
            if base:
                Path(base).mkdir(parents=True, exist_ok=True)
            path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{pid}-", dir=base)).resolve()
            _root[pid] = path
            atexit.register(_remove_root, pid, path)
        path.mkdir(parents=True, exist_ok=True)
        return path


def new_folder(prefix: str) -> Path:
    """A fresh, uniquely named sub-folder of `root()` (e.g. prefix "run-abc-")."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root()))


def owns(path: str | Path) -> bool:
    """True when `path` lies inside this process's root (made by it, so safe for it to delete)."""
    path = Path(path).resolve()
    with _lock:
        mine = _root.get(os.getpid())
    return mine is not None and path.is_relative_to(mine)


def hold(folder: str | Path) -> None:
    """Keep `folder` (and everything in it) out of every sweep until `release(folder)`."""
    with _lock:
        _held.add(Path(folder).resolve())


def release(folder: str | Path) -> None:
    with _lock:
        _held.discard(Path(folder).resolve())


def held(path: str | Path) -> bool:
    """True when `path` is inside a held folder."""
    path = Path(path).resolve()
    with _lock:
        return any(path.is_relative_to(f) for f in _held)


def _remove_root(pid: int, path: Path) -> None:
    if os.getpid() == pid:  # a forked child inherits the handler, not the folder
        shutil.rmtree(path, ignore_errors=True)


__all__ = ["root", "new_folder", "owns", "hold", "release", "held", "PREFIX", "ENV"]
