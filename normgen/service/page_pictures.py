"""The page's matplotlib pictures as PNG files, each drawn once per process and zoo: Learn's pictures and
Compare's plots, with their phone variants (server state: a name per picture drawn; the PNGs live on disk).

Drawing a figure takes a tenth of a second or more on 2 cores, and the Learn page is built per visitor's tab, so a
picture is kept by the zoo's digest, its key and words, and the figures' version (a rebuilt zoo or a changed figure
draws again). The page links each picture as a file of this process's own folder (`folder`, held out of
housekeeping's sweeps, served by the web server), so a visitor's browser fetches it only when a tab shows it:
inline, Learn's pictures were 0.9 MB and Compare's four plots 0.24 MB of every first page load, on any tab.
The files are named by their content, so a picture shown again is the same file: the folder holds at most the
zoo's distinct pictures.
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

_FILES: dict[tuple, Path] = {}  # a drawn picture's key -> its file
_LOCK = threading.Lock()
_FOLDER: list[Path] = []  # this process's folder of the pictures' files, once made


def folder() -> Path:
    """This process's folder of the pictures' files (made on first use, held out of every sweep; made again,
    the same path, if something removed it)."""
    with _LOCK:
        if not _FOLDER:
            _FOLDER.append(workdir.new_folder("pictures-"))
            workdir.hold(_FOLDER[0])
        _FOLDER[0].mkdir(parents=True, exist_ok=True)
        return _FOLDER[0]


def _write(png: bytes) -> Path:
    """`png` as a file of `folder()`, named by its content (written once)."""
    path = folder() / f"{hashlib.sha256(png).hexdigest()[:24]}.png"
    if not path.is_file():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_bytes(png)
        os.replace(tmp, path)  # whole or absent: a browser never reads half a picture
    return path


def picture_file(p: Picture, digest: str = "", narrow: bool = False) -> Path:
    """The PNG of `p` (`narrow`: of its phone variant, which `p` must have) as a file of `folder()`; with a zoo
    `digest`, drawn once per process (again only if its file was removed)."""
    assert p.narrow is not None or not narrow, p.key
    key = (FIGURES_VERSION, digest, p.key, p.alt, p.caption, narrow)
    if drawn(p, digest, narrow):
        return _FILES[key]
    path = _write(png_bytes(p.narrow() if narrow and p.narrow is not None else p.fig))
    if digest:
        with _LOCK:
            _FILES[key] = path
    return path


def drawn(p: Picture, digest: str, narrow: bool = False) -> bool:
    """`p` (or its phone variant) has its file already: `picture_file` would not draw."""
    with _LOCK:
        known = _FILES.get((FIGURES_VERSION, digest, p.key, p.alt, p.caption, narrow)) if digest else None
    return known is not None and known.is_file()


def picture_png(p: Picture, digest: str = "", narrow: bool = False) -> bytes:
    """The PNG of `p` (or of its phone variant): `picture_file`'s bytes."""
    return picture_file(p, digest, narrow).read_bytes()


__all__ = ["picture_png", "picture_file", "drawn", "folder"]
