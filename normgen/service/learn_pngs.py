"""Learn's pictures as PNG bytes, drawn once per process and zoo (server state: a few pictures of ~60 KB).

The Learn page is built per visitor's tab, and drawing its matplotlib figures takes seconds on 2 cores, so each
picture is kept by the zoo's digest, the picture and its words, and the figures' version (a rebuilt zoo or a
changed figure draws again).
"""

from __future__ import annotations

import threading

from normgen.render.learn_figures import VERSION as FIGURES_VERSION
from normgen.render.learn_figures import png_bytes
from normgen.zoo.learn_pictures import Picture

_PNGS: dict[tuple, bytes] = {}
_LOCK = threading.Lock()


def picture_png(p: Picture, digest: str = "") -> bytes:
    """The PNG of `p`; with a zoo `digest`, drawn once per process and kept."""
    if not digest:
        return png_bytes(p.fig)
    key = (FIGURES_VERSION, digest, p.key, p.alt, p.caption)
    with _LOCK:
        if key not in _PNGS:
            _PNGS[key] = png_bytes(p.fig)
        return _PNGS[key]


__all__ = ["picture_png"]
