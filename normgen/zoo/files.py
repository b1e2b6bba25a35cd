"""The zoo's files, as the index names them: an entry's checkpoint file (its path, the sha256 check, a
small cache of loaded checkpoints, errors that name the entry and never where the zoo lives on the
server), the judges' files, checking every file of a zoo against its index (`verify`), and copying
another zoo's files in (`merge`). Reading and writing the index itself is normgen.zoo.index.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import torch

from normgen.checkpoints import Checkpoint, CheckpointError, load, sha256
from normgen.engine.sampling import sample
from normgen.eval.judge import Judge, load_judge_file
from normgen.eval.metrics import part_totals
from normgen.zoo.index import SAMPLING_NAME, Entry, load_index, load_sampling, write_index, write_sampling, zoo_root

# loading entries (small LRU cache: the app flips between a handful of grid points)

CACHE_SIZE = 16


def entry_path(entry: Entry, root: str | Path | None = None) -> Path:
    return zoo_root(root) / entry.file


class EntryError(CheckpointError):
    """A zoo entry whose file cannot be used. `str()` names the file (the command line's reader can open
    it); `public` names the entry and the file inside the zoo, never where the zoo lives on the server
    (what a page shows a visitor)."""

    def __init__(self, entry: Entry, path: Path, reason: str) -> None:
        super().__init__(f"{path} (zoo entry {entry.id}): {reason}")
        self.entry_id, self.reason = entry.id, reason
        self.public = f"zoo entry {entry.id} ({entry.file}): {reason}"


def public_problem(exc: Exception) -> str:
    """What a page says of a zoo file that could not be used: its entry (EntryError.public), never where
    the file lives on the server."""
    return exc.public if isinstance(exc, EntryError) else "a checkpoint file could not be read"


def _entry_error(entry: Entry, path: Path, exc: CheckpointError) -> EntryError:
    """`exc` (which names `path` at its start, and maybe inside) said of `entry`: the path as the entry's
    file inside the zoo."""
    reason = str(exc).removeprefix(f"{path}: ")
    for where in {str(path.resolve()), str(path)}:
        reason = reason.replace(where, entry.file)
    return EntryError(entry, path, reason)


def check_sha(entry: Entry, root: str | Path | None = None) -> Path:
    """The entry's file, after checking it exists and its sha256 equals the index's."""
    path = entry_path(entry, root)
    if not path.is_file():
        raise EntryError(entry, path, "no such file; rebuild it with python -m normgen zoo build")
    digest = sha256(path)
    if digest != entry.sha256:
        raise _mismatch(entry, path, digest)
    return path


def _mismatch(entry: Entry, path: Path, digest: str) -> EntryError:
    return EntryError(entry, path, f"sha256 mismatch (index {entry.sha256[:12]}..., file {digest[:12]}...): "
                                   "the file was modified or damaged; restore it or rebuild the entry")


def load_entry(entry: Entry, root: str | Path | None = None, verify: bool = True) -> Checkpoint:
    """Load an entry's checkpoint on the CPU, checking its sha256 first (when `verify`).

    Cached by (path, sha256, mtime, size): a file changed on disk is re-read and re-checked.
    The returned model is shared by later calls: deep-copy it before training it further.
    A file that cannot be used raises EntryError (a CheckpointError naming the entry).
    """
    path = entry_path(entry, root)
    try:
        st = path.stat()
    except OSError:
        raise EntryError(entry, path, "no such file; rebuild it with python -m normgen zoo build") from None
    try:
        return _load_file(str(path.resolve()), entry.sha256, st.st_mtime_ns, st.st_size, verify)
    except _Mismatch as exc:
        raise _mismatch(entry, path, exc.args[0]) from None
    except CheckpointError as exc:
        raise _entry_error(entry, path, exc) from None


class _Mismatch(Exception):
    """The file's sha256 (args[0]) is not the index's."""


@functools.lru_cache(maxsize=CACHE_SIZE)
def _load_file(path: str, sha: str, mtime_ns: int, size: int, verify: bool) -> Checkpoint:
    """The checkpoint at `path` (checked against `sha` when `verify`), memoized by the file's identity: a file
    changed on disk has another mtime or size and is read and checked again. A failure is not memoized."""
    if verify and (digest := sha256(Path(path))) != sha:
        raise _Mismatch(digest)
    return load(path)


def clear_cache() -> None:
    _load_file.cache_clear()


def load_judge(dataset: str, root: str | Path | None = None) -> Judge | None:
    """The judge classifier shipped for `dataset` (normgen.eval.judge.Judge), or None if there is none."""
    root = zoo_root(root)
    index = load_index(root)
    path = index.judge_path(dataset) or root / "judges" / f"{dataset}.safetensors"
    return load_judge_file(path) if path.is_file() else None


def verify(root: str | Path | None = None, n: int = 16) -> tuple[int, list[str]]:
    """Check every entry: file present, sha256 matches, loads, its weight statistics in the index are the
    file's, samples `n` finite images in [-1, 1] of the dataset's shape; and every judge loads.
    Returns (entries checked, problems)."""
    index = load_index(root)
    problems: list[str] = []
    for e in index.entries:
        try:
            ck = load_entry(e, index.root, verify=True)
            missing = [p for p in e.parts if p not in ck.parts]
            if missing:
                problems.append(f"{e.id}: index lists parts {missing} that the file lacks")
            x = sample(ck.model, n, 0)
            if x.shape[1:] != tuple(ck.config.model.image_shape) or not torch.isfinite(x).all():
                problems.append(f"{e.id}: samples have shape {tuple(x.shape)} or are not finite")
            elif x.min() < -1 or x.max() > 1:
                problems.append(f"{e.id}: samples outside [-1, 1]")
            if e.weights:  # the index's weight statistics must be the file's (issue 25)
                got = part_totals(ck.model.parts, [p for p in ck.parts if p in ck.model.parts])
                off = sorted(f"{p}.{k}" for p, w in e.weights.items() for k, v in w.items()
                             if not isinstance(v, int | float) or p not in got
                             or not math.isclose(v, got[p].get(k, math.nan), rel_tol=1e-6, abs_tol=1e-9))
                if off or set(got) != set(e.weights):
                    what = ", ".join(off[:3]) or "its parts"
                    problems.append(f"{e.id}: index weight statistics differ from the file's ({what}); run "
                                    "python -m normgen zoo restat")
            if ck.config.dataset != e.dataset or ck.config.model.name != e.model or ck.config.seed != e.seed:
                problems.append(f"{e.id}: file's config ({ck.config.model.name}, {ck.config.dataset}, seed "
                                f"{ck.config.seed}) disagrees with the index")
        except (CheckpointError, ValueError, RuntimeError) as exc:
            problems.append(f"{e.id}: {exc}")
    for ds in index.judges:
        try:
            if load_judge(ds, index.root) is None:
                problems.append(f"judge {ds}: file {index.judges[ds]} missing")
        except (CheckpointError, ValueError) as exc:
            problems.append(f"judge {ds}: {exc}")
    return len(index.entries), problems


def merge(src: str | Path, dst: str | Path | None = None, log: Callable[[str], None] = print) -> list[str]:
    """Copy every entry of the zoo at `src` into the zoo at `dst`, replacing entries with the same id:
    how a zoo built elsewhere (`zoo build --out FOLDER`, e.g. on a GPU machine) comes home.

    Each file's sha256 is checked before the copy. An entry scored by a different judge is refused
    (its metrics would not be comparable with the rest); a judge `dst` lacks is copied with its floor.
    The index is rewritten after every file, so an interruption leaves at most one entry to merge again.
    Returns the merged ids.
    """
    s_idx, d_idx = load_index(src), load_index(dst)
    if s_idx.root.resolve() == d_idx.root.resolve():
        raise ValueError(f"{s_idx.root}: source and destination are the same zoo")
    if not len(s_idx):
        raise ValueError(f"{s_idx.root}: no zoo entries to merge (is this a zoo folder with an index.json?)")
    for ds in sorted({e.dataset for e in s_idx.entries}):
        sj, dj = s_idx.judge_path(ds), d_idx.judge_path(ds)
        if sj is None or not sj.is_file():
            raise ValueError(f"{s_idx.root}: no {ds} judge, so its {ds} metrics cannot be checked against {d_idx.root}")
        if dj is not None and dj.is_file():
            if sha256(sj) != sha256(dj):
                raise ValueError(f"the {ds} judge of {s_idx.root} differs from {d_idx.root}'s: its FD and confidence "
                                 "are not comparable; rebuild there with this zoo's judges/ copied in")
            continue
        rel = s_idx.judges[ds]
        (d_idx.root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sj, d_idx.root / rel)
        d_idx.judges[ds], d_idx.floors[ds] = rel, s_idx.floors.get(ds, {})
    merged = []
    for e in sorted(s_idx.entries, key=lambda e: e.id):
        path = check_sha(e, s_idx.root)
        out = d_idx.root / e.file
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        shutil.copyfile(path, tmp)
        tmp.replace(out)
        d_idx.entries = [x for x in d_idx.entries if x.id != e.id] + [e]
        write_index(d_idx)
        merged.append(e.id)
        log(f"merged {e.id}")
    # their noise-draw records come too (the sampling spread on screen); without them a merged entry showed
    # one draw where the zoo it was built in had five
    records = {k: v for k, v in load_sampling(s_idx.root).items() if k in merged}
    if records:
        write_sampling(d_idx.root, {**load_sampling(d_idx.root), **records})
        log(f"merged the noise-draw records of {len(records)} entries ({SAMPLING_NAME})")
    return merged
