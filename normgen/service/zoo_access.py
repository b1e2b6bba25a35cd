"""The pretrained zoo as the app reads it (no gradio): its index, cached by file identity (a rebuilt index
is re-read on the next call), the sentence saying what is missing when it has no entries, and the coach's
paths of it (what Explore's controls offer from it is normgen.zoo.select's).
"""

from __future__ import annotations

from pathlib import Path

from normgen.public_text import no_paths
from normgen.zoo.index import INDEX_NAME, ZooIndex, load_index, zoo_root
from normgen.zoo.texts import coach
from normgen.zoo.texts.coach import Path as CoachPath

_INDEX_CACHE: dict[str, tuple[tuple, ZooIndex]] = {}


def get_index(root: str | Path | None = None) -> ZooIndex:
    """The zoo index at `root` (default: $NORMGEN_ZOO or checkpoints/), re-read when the file changes.

    A malformed index raises ValueError naming the file; a missing one is an empty index.
    """
    r = zoo_root(root)
    path = r / INDEX_NAME
    try:
        st = path.stat()
        key: tuple = (st.st_mtime_ns, st.st_size)
    except OSError:
        key = ("missing",)
    hit = _INDEX_CACHE.get(str(r))
    if hit is not None and hit[0] == key:
        return hit[1]
    index = load_index(r)
    _INDEX_CACHE[str(r)] = (key, index)
    return index


def zoo_problem(root: str | Path | None = None) -> str | None:
    """None when the zoo has entries; otherwise a sentence saying what is missing and what to do."""
    r = zoo_root(root)
    try:
        index = get_index(r)
    except ValueError as exc:
        return f"The pretrained zoo's index could not be read: {no_paths(str(exc))}. Rebuild it with `make zoo`."
    if len(index):
        return None
    # the folder is named as the operator configures it, never by where it lives on the server
    where = f"the zoo's `{INDEX_NAME}` (in `checkpoints/` beside the app, or the folder $NORMGEN_ZOO names)"
    if not r.exists():
        return ("No pretrained checkpoints: the zoo folder (`checkpoints/` beside the app, or the folder "
                "$NORMGEN_ZOO names) does not exist. Build the zoo with `make zoo`, "
                "or train a setting yourself in the **Train** tab.")
    if not (r / INDEX_NAME).exists():
        return (f"No pretrained checkpoints: {where} is missing. Build the zoo with `make zoo`, "
                "or train a setting yourself in the **Train** tab.")
    return (f"No pretrained checkpoints: {where} lists no entries yet. Build the zoo with `make zoo`, "
            "or train a setting yourself in the **Train** tab.")


_FOUND: dict[tuple, list[CoachPath]] = {}  # the paths of the index last read (the zoo is read-only between builds)


def coach_paths(root: str | None = None) -> list[CoachPath]:
    """The coach's `paths` (normgen.zoo.texts.coach) of the zoo at `root`, worked out once per index read ([] for
    a malformed index: Explore says so)."""
    try:
        index = get_index(root)
    except ValueError:
        return []
    key = (str(root), id(index.entries), len(index.entries))
    if key not in _FOUND:
        _FOUND.clear()
        _FOUND[key] = coach.paths(index)
    return _FOUND[key]
