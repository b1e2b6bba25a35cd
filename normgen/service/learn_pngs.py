"""Learn's pictures as PNG files, drawn once per process and zoo (server state: a few pictures of ~60 KB).

The Learn page is built per visitor's tab, and drawing its matplotlib figures takes seconds on 2 cores, so each
picture is kept by the zoo's digest, the picture and its words, and the figures' version (a rebuilt zoo or a
changed figure draws again). The page links each picture as a file of this process's own folder (`folder`,
held out of housekeeping's sweeps, served by the web server), so a visitor's browser fetches it only when the
Learn tab shows it: inline, the pictures were 0.9 MB of the 1.9 MB every first page load carried, on any tab.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from normgen.render.learn_figures import VERSION as FIGURES_VERSION
from normgen.render.learn_figures import png_bytes
from normgen.service import workdir
from normgen.zoo.learn_pictures import Picture

_PNGS: dict[tuple, bytes] = {}
_LOCK = threading.Lock()
_FOLDER: list[Path] = []  # this process's folder of Learn's files, once made


def picture_png(p: Picture, digest: str = "", narrow: bool = False) -> bytes:
    """The PNG of `p` (`narrow`: of its phone variant, which `p` must have); with a zoo `digest`, drawn once per
    process and kept."""
    def draw() -> bytes:
        assert p.narrow is not None or not narrow, p.key
        return png_bytes(p.narrow() if narrow and p.narrow is not None else p.fig)

    if not digest:
        return draw()
    key = (FIGURES_VERSION, digest, p.key, p.alt, p.caption, narrow)
    with _LOCK:
        if key not in _PNGS:
            _PNGS[key] = draw()
        return _PNGS[key]


def folder() -> Path:
    """This process's folder of Learn's picture files (made on first use, held out of every sweep; made again,
    the same path, if something removed it)."""
    with _LOCK:
        if not _FOLDER:
            _FOLDER.append(workdir.new_folder("learn-"))
            workdir.hold(_FOLDER[0])
        _FOLDER[0].mkdir(parents=True, exist_ok=True)
        return _FOLDER[0]


def picture_file(p: Picture, digest: str = "", narrow: bool = False) -> Path:
    """The PNG of `p` (or of its phone variant) as a file of `folder()`, named by its content (written once)."""
    png = picture_png(p, digest, narrow)
    path = folder() / f"{hashlib.sha256(png).hexdigest()[:24]}.png"
    if not path.is_file():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_bytes(png)
        os.replace(tmp, path)  # whole or absent: a browser never reads half a picture
    return path


__all__ = ["picture_png", "picture_file", "folder"]
