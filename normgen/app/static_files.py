"""The page's own CSS and JavaScript, kept as files in normgen/app/static/ (read, linted and highlighted as what
they are, not as Python strings): `asset(name)` reads one, once per process."""

from __future__ import annotations

import functools
from pathlib import Path

FOLDER = Path(__file__).with_name("static")


@functools.cache
def asset(name: str) -> str:
    """The text of normgen/app/static/`name` (e.g. "page.css")."""
    return (FOLDER / name).read_text(encoding="utf-8")


__all__ = ["FOLDER", "asset"]
