"""A visitor's own images, uploaded on the Train screen, as a dataset for one session's runs.

An upload is a .zip (images flat, or in class subfolders: ImageFolder's layout, one top folder allowed)
or several image files. It is read without extracting anything: a zip's members are checked by their
declared sizes and names first (a name that is absolute or climbs out with `..` is refused: zip-slip),
then each member is read into memory within its declared size, its pixel count read from the header
before decoding (normgen.image_files: the same limits as a folder on disk), converted to 28x28 grey or
32x32 colour (or the shape the images suggest) and written as small PNGs into a fresh
`upload-*` folder in this process's own temporary folder (normgen.service.workdir). That folder is the
dataset (`folder:PATH`, normgen.data), it belongs to the session (held while it lives; TrainStore drops it
with the session). Every refusal is one UploadError line naming the file and the limit.

Limits (a public server): MAX_UPLOAD_MB for the upload itself (Gradio refuses a larger file
before it is stored: app.style.launch_kwargs), MAX_FILES images, MAX_UNPACKED_MB of declared unpacked
size, image_files.MAX_FILE_BYTES per member and image_files.MAX_PIXELS per image, MAX_TOTAL_PIXELS in all.
"""

from __future__ import annotations

import io
import shutil
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import torch
from PIL import Image

from normgen import image_files
from normgen.data import FOLDER_PREFIXES
from normgen.image_files import IMAGE_SUFFIXES, ImageFolderError, decode_image, image_size, to_square
from normgen.render.grids import grid_image
from normgen.service import workdir

MAX_UPLOAD_MB = 20  # the upload (all its files together)
MAX_FILES = 2000  # images in one upload: enough for a few hundred training steps, quick to decode on a CPU
MAX_UNPACKED_MB = 200  # a zip's members' declared sizes together (a zip bomb is refused before reading)
MAX_TOTAL_PIXELS = 400_000_000  # every image's header together, before any is decoded
PREVIEW = 16  # the user's images shown beside the run's samples
SKIPPED = ("__MACOSX/",)  # folders archivers add: not the user's images
PREFIX = "upload-"  # a sub-folder of the process's own folder (normgen.service.workdir)

# the shape choice: name -> (channels, side) from the dataset registry's folder kinds, None: inferred
SHAPES: dict[str, tuple[int, int] | None] = {"auto": None, **{f"{c}x{s}": (c, s) for c, s in FOLDER_PREFIXES.values()}}
SHAPE_LABELS = {"auto": "from the images (grey → 28×28, colour → 32×32)",
                **{f"{c}x{s}": f"{s}×{s} {'grey' if c == 1 else 'colour'}" for c, s in FOLDER_PREFIXES.values()}}
GREY_MODES = ("1", "L", "LA", "I", "I;16", "F", "P;L")


class UploadError(ValueError):
    """An upload that cannot be a dataset (one line: the file and the limit or the problem)."""


@dataclass(frozen=True)
class Upload:
    """An accepted upload: its images as PNGs in `folder`, what they became, and a preview grid."""

    folder: Path  # <workdir>/upload-*/<name>: the dataset's folder
    name: str  # what the visitor uploaded (the zip's stem, or "images")
    channels: int
    side: int
    count: int
    classes: tuple[str, ...] | None  # None: unlabeled (a flat upload, or one class folder)
    preview: Image.Image

    @property
    def dataset(self) -> str:
        """The dataset name a run trains on (`folder:PATH` / `folder-grey:PATH`, normgen.data)."""
        prefix = next(p for p, cs in FOLDER_PREFIXES.items() if cs == (self.channels, self.side))
        return f"{prefix}{self.folder}"

    @property
    def shape_words(self) -> str:
        return f"{self.side}×{self.side} {'grey' if self.channels == 1 else 'colour'}"

    def words(self) -> str:
        """'20 images, 32×32 colour, 2 classes (cat, dog)' or '..., no classes (unlabeled)'."""
        cls = (f"{len(self.classes)} classes ({', '.join(self.classes[:6])}{', …' if len(self.classes) > 6 else ''})"
               if self.classes else "no classes (unlabeled)")
        return f"{self.count} images from {self.name}, {self.shape_words}, {cls}"

    def remove(self) -> None:
        workdir.release(self.folder.parent)
        shutil.rmtree(self.folder.parent, ignore_errors=True)


@dataclass(frozen=True)
class Member:
    """One image of the upload before decoding: where it sits (class folder or none) and how to read it."""

    parts: tuple[str, ...]  # its path inside the upload, top folder included
    size: int  # declared bytes
    read: Callable[[], bytes]


def safe_parts(name: str, where: str) -> tuple[str, ...]:
    """The path components of an archive member name, refusing any that could land outside the
    upload's folder: absolute, a drive, `..`, or a backslash path (zip-slip)."""
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":") or "\x00" in name:
        raise UploadError(f"{where}: member {name[:80]!r} has an absolute or unsafe path; refused")
    parts = PurePosixPath(name).parts
    if any(p == ".." for p in parts):
        raise UploadError(f"{where}: member {name[:80]!r} points outside the archive (zip-slip); refused")
    return tuple(p for p in parts if p not in ("", "."))


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(p.startswith(".") for p in parts) or any("/".join(parts).startswith(s) for s in SKIPPED)


def _check_suffix(parts: tuple[str, ...], where: str) -> None:
    if PurePosixPath(parts[-1]).suffix.lower() not in IMAGE_SUFFIXES:
        raise UploadError(f"{where}: {'/'.join(parts)[:80]} is not an image (allowed: {', '.join(IMAGE_SUFFIXES)}); "
                          "upload images only")


def _zip_members(path: Path, shown: str, budget: list[int]) -> list[Member]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadError(f"{shown} is not a readable .zip file ({exc})") from None
    out = []
    with zf:
        infos = zf.infolist()
    for info in infos:
        if info.is_dir():
            continue
        parts = safe_parts(info.filename, shown)
        if not parts or _hidden(parts):
            continue
        _check_suffix(parts, shown)
        _count(budget, info.file_size, shown)
        if info.file_size > image_files.MAX_FILE_BYTES:
            raise UploadError(f"{shown}: {'/'.join(parts)[:80]} unpacks to {info.file_size / 2**20:.1f} MiB; the "
                              f"limit is {image_files.MAX_FILE_BYTES // 2**20} MiB per image")

        def read(info: zipfile.ZipInfo = info) -> bytes:
            with zipfile.ZipFile(path) as z, z.open(info) as f:  # reads at most the declared size (CRC checked)
                return f.read(image_files.MAX_FILE_BYTES + 1)

        out.append(Member(parts, info.file_size, read))
    return out


def _count(budget: list[int], size: int, shown: str) -> None:
    """budget: [files so far, declared bytes so far]; refuse past MAX_FILES / MAX_UNPACKED_MB."""
    budget[0] += 1
    budget[1] += size
    if budget[0] > MAX_FILES:
        raise UploadError(f"too many files: the upload has more than {MAX_FILES} images; the limit is {MAX_FILES}")
    if budget[1] > MAX_UNPACKED_MB * 2**20:
        raise UploadError(f"too large: {shown} unpacks to more than {MAX_UNPACKED_MB} MiB; the limit is "
                          f"{MAX_UNPACKED_MB} MiB")


def members(paths: Iterable[str | Path]) -> list[Member]:
    """The images of an upload (zips opened, not extracted), every name, count and size checked."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise UploadError("no file uploaded: choose a .zip of images or some image files")
    total = 0
    for p in paths:
        try:
            total += p.stat().st_size
        except OSError:
            raise UploadError(f"the uploaded file {p.name} is gone; upload it again") from None
    if total > MAX_UPLOAD_MB * 2**20:
        raise UploadError(f"too large: the upload is {total / 2**20:.1f} MiB; the limit is {MAX_UPLOAD_MB} MiB")
    budget = [0, 0]
    out: list[Member] = []
    for p in paths:
        name = p.name
        if p.suffix.lower() == ".zip":
            out += _zip_members(p, name, budget)
            continue
        parts = safe_parts(name, name)
        _check_suffix(parts, name)
        size = p.stat().st_size
        _count(budget, size, name)
        out.append(Member(parts, size, p.read_bytes))
    if not out:
        raise UploadError(f"no images in the upload (allowed: {', '.join(IMAGE_SUFFIXES)}), directly or in "
                          "class folders")
    return out


def layout(found: list[Member]) -> list[tuple[Member, str | None]]:
    """Each image with its class folder (None: flat). One shared top folder is dropped (a zipped
    folder); images must be all flat or all one folder deep, as in a folder on disk."""
    parts = [m.parts for m in found]
    while all(len(p) > 1 for p in parts) and len({p[0] for p in parts}) == 1:
        parts = [p[1:] for p in parts]
    depth = {len(p) for p in parts}
    if max(depth) > 2:
        deep = next("/".join(p) for p in parts if len(p) > 2)
        raise UploadError(f"{deep[:80]} is more than one folder deep; use class folders directly under the top")
    if depth == {1, 2}:
        flat, sub = next(p for p in parts if len(p) == 1), next(p for p in parts if len(p) == 2)
        raise UploadError(f"the upload holds both loose images ({flat[0][:40]}) and class folders ({sub[0][:40]}/); "
                          "use one layout")
    return [(m, p[0] if len(p) == 2 else None) for m, p in zip(found, parts, strict=True)]


def read_upload(paths: Iterable[str | Path], shape: str = "auto") -> Upload:
    """Check, decode and store an upload (see the module's doc); UploadError with one line otherwise."""
    if shape not in SHAPES:
        raise UploadError(f"shape must be one of: {', '.join(SHAPES)}; got {shape!r}")
    paths = list(paths)
    placed = layout(members(paths))
    # every header first: the total pixel count is known before any image is decoded
    data, pixels, grey = [], 0, True
    for m, _ in placed:
        try:
            raw = m.read()
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, zlib.error) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
            raise UploadError(f"cannot read {'/'.join(m.parts)[:80]} from the upload ({first})") from None
        if len(raw) > image_files.MAX_FILE_BYTES:
            raise UploadError(f"{'/'.join(m.parts)[:80]} is larger than it declared; refused")
        label = "/".join(m.parts)[-80:]
        try:
            w, h = image_size(io.BytesIO(raw), label)
            with Image.open(io.BytesIO(raw)) as img:
                grey = grey and img.mode in GREY_MODES
        except ImageFolderError as exc:
            raise UploadError(str(exc)) from None
        pixels += w * h
        if pixels > MAX_TOTAL_PIXELS:
            raise UploadError(f"too large: the images together exceed {MAX_TOTAL_PIXELS / 1e6:g} megapixels")
        data.append((raw, label, (w, h)))
    channels, side = SHAPES[shape] or next(cs for cs in FOLDER_PREFIXES.values() if (cs[0] == 1) == grey)
    odd = next((d for d in data if d[2] != data[0][2]), None)
    if odd is not None:
        (a, la), (b, lb) = (data[0][2], data[0][1]), (odd[2], odd[1])
        raise UploadError(f"the upload mixes image sizes: {la} is {a[0]}x{a[1]}, {lb} is {b[0]}x{b[1]}; crop or "
                          "resize them to one size first")
    classes = sorted({c for _, c in placed if c is not None})
    stem = _stem(paths)
    base = workdir.new_folder(PREFIX)
    workdir.hold(base)  # the session trains on it until it ends (TrainStore drops it)
    folder = base / stem
    try:
        arrays = []
        for i, ((raw, label, _), (_, cls)) in enumerate(zip(data, placed, strict=True)):
            try:
                arr = to_square(decode_image(io.BytesIO(raw), label, "L" if channels == 1 else "RGB"), side)
            except ImageFolderError as exc:
                raise UploadError(str(exc)) from None
            where = folder / cls if cls is not None and len(classes) > 1 else folder  # a safe_parts component
            where.mkdir(parents=True, exist_ok=True)
            Image.fromarray(arr[0] if channels == 1 else arr.transpose(1, 2, 0)).save(where / f"{i:05d}.png")
            arrays.append(arr)
    except BaseException:
        workdir.release(base)
        shutil.rmtree(base, ignore_errors=True)
        raise
    names_ = tuple(classes) if len(classes) > 1 else None  # one class folder: unlabeled, as on disk
    return Upload(folder, stem, channels, side, len(arrays), names_, preview(arrays, placed))


def _stem(paths: list) -> str:
    """A folder name from the upload's name: letters, digits, - and _ only (never a path)."""
    shown = [Path(p).name for p in paths]
    stem = PurePosixPath(shown[0]).stem if len(shown) == 1 else "images"
    clean = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)[:40].strip("_")
    return clean or "images"


def preview(arrays: list[np.ndarray], placed: list[tuple[Member, str | None]], n: int = PREVIEW) -> Image.Image:
    """Up to `n` of the images as a grid, taken in turn from each class so every class shows."""
    by: dict[str | None, list[int]] = {}
    for i, (_, c) in enumerate(placed):
        by.setdefault(c, []).append(i)
    order, queues = [], [list(v) for v in by.values()]
    while len(order) < min(n, len(arrays)):
        for q in queues:
            if q and len(order) < n:
                order.append(q.pop(0))
    x = torch.from_numpy(np.stack([arrays[i] for i in order])).float().div(127.5).sub(1.0)
    return grid_image(x, nrow=min(4, len(order)), scale=3)  # 4 x 4: square, beside the run's 8 x 8


__all__ = ["Upload", "UploadError", "read_upload", "members", "layout", "safe_parts", "SHAPES", "SHAPE_LABELS",
           "MAX_UPLOAD_MB", "MAX_FILES", "MAX_UNPACKED_MB", "MAX_TOTAL_PIXELS"]
