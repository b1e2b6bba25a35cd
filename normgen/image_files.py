"""Images read from files: CIFAR-10's ImageFolder PNG export, and any folder of the user's own images.

Decoding is the slow part (CIFAR-10's 60,000 PNGs: measured 0.19 ms each on one core of the 2-core
development machine, ~12 s in all), so a decoded CIFAR-10 split is kept as one uint8 .npy file in the
cache folder (`$NORMGEN_CACHE`, else `~/.cache/normgen/decoded`), keyed by the export's MANIFEST.txt
(or, without one, by the files' names, sizes and times): a changed export is decoded again, never
read stale. A user's folder is read as it is, with limits checked before any pixel is decoded.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from pathlib import Path

import numpy as np

CACHE_ENV = "NORMGEN_CACHE"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
MAX_FOLDER_IMAGES = 60_000  # a user's folder: decoding more takes minutes on a 2-core CPU
MAX_FILE_BYTES = 20 * 1024 * 1024  # one image file
MAX_PIXELS = 16_000_000  # one image, read from its header before decoding (a 100-megapixel image is refused)
CACHE_VERSION = "1"  # bump when the decoded layout changes


class ImageFolderError(ValueError):
    """A folder of images that cannot be a dataset (the message names the file and the limit)."""


def cache_dir() -> Path:
    """$NORMGEN_CACHE, else $XDG_CACHE_HOME/normgen/decoded (~/.cache/normgen/decoded): outside the repo."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "normgen" / "decoded"


def class_folders(root: Path) -> list[Path]:
    """The class subfolders of `root`, sorted by name (ImageFolder's label order); hidden ones skipped."""
    return sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)


def _image_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
            and not p.name.startswith(".")]


def _manifest_key(split_dir: Path) -> str:
    """What a decoded split is keyed by: its MANIFEST.txt lines (one per class folder, with the folder's
    sha256) where the export has one, else every file's name, size and modification time."""
    h = hashlib.sha256(CACHE_VERSION.encode())
    manifest = split_dir.parent / "MANIFEST.txt"
    lines = []
    if manifest.is_file():
        lines = [ln for ln in manifest.read_text().splitlines() if ln.startswith(split_dir.name + "/")]
    if lines:
        h.update("\n".join(lines).encode())
    else:
        for folder in class_folders(split_dir):
            for f in sorted(_image_files(folder)):
                st = f.stat()
                h.update(f"{folder.name}/{f.name} {st.st_size} {st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:20]


def read_png_export(split_dir: Path, *, side: int = 32,
                    classes: tuple[str, ...] | None = None) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """A split of an ImageFolder export (`<split>/<class>/<index>.png`, every image side x side RGB):
    uint8 images (N, 3, side, side), int64 labels (N,) and the class names. A label is the folder's
    position in `classes` (default: the sorted folders, ImageFolder's rule); images come in file-name
    order (for CIFAR-10's export: the original order). Decoded once, then read from the cache."""
    found = tuple(p.name for p in class_folders(split_dir))
    if not found:
        raise ImageFolderError(f"{split_dir} has no class folders")
    classes = classes or found
    if unknown := sorted(set(found) - set(classes)):
        raise ImageFolderError(f"{split_dir} has class folder {unknown[0]!r}, not one of {', '.join(classes)}")
    target = cache_dir() / f"{split_dir.parent.name.lower()}-{split_dir.name}-{_manifest_key(split_dir)}.npz"
    if target.is_file():
        try:
            with np.load(target) as z:
                return z["images"], z["labels"], classes
        except (OSError, ValueError, KeyError):
            pass  # a broken cache file: decode again below and replace it
    files = [(f.name, classes.index(folder.name), f) for folder in class_folders(split_dir)
             for f in _image_files(folder)]
    files.sort(key=lambda t: t[0])
    images = np.empty((len(files), 3, side, side), np.uint8)
    for i, (_, _, f) in enumerate(files):
        arr = _decode(f, "RGB")
        if arr.shape != (side, side, 3):
            raise ImageFolderError(f"{f} is {arr.shape[1]}x{arr.shape[0]}; this export's images are {side}x{side}")
        images[i] = arr.transpose(2, 0, 1)
    labels = np.array([c for _, c, _ in files], np.int64)
    _save_cache(target, images, labels)
    return images, labels, classes


def _save_cache(target: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """Write atomically (a reader never sees half a file); a cache folder that cannot be written is skipped."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".tmp{os.getpid()}.npz")
        np.savez(tmp, images=images, labels=labels)
        os.replace(tmp, target)
    except OSError:
        pass


def _decode(path: Path, mode: str) -> np.ndarray:
    """One image file as a uint8 array (H, W[, C]) in `mode` ("RGB" or "L"); a one-line error naming the
    file for anything unreadable (corrupt, truncated, not an image, too large)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImageFolderError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size > MAX_FILE_BYTES:
        raise ImageFolderError(f"{path} is {size / 2**20:.1f} MiB; the limit is {MAX_FILE_BYTES // 2**20} MiB "
                               "per image")
    return decode_image(path, str(path), mode)


def image_size(source: Path | io.BytesIO, name: str) -> tuple[int, int]:
    """(width, height) from the image's header (nothing decoded), refused past MAX_PIXELS; one-line errors."""
    return _open(source, name, None)  # type: ignore[return-value]


def decode_image(source: Path | io.BytesIO, name: str, mode: str) -> np.ndarray:
    """An image (a file, or bytes held in memory such as an upload's zip member) as uint8 (H, W[, C]) in
    `mode`; `name` is what the one-line error calls it. The pixel count is read from the header and
    checked against MAX_PIXELS before anything is decoded (a decompression bomb is refused unread)."""
    return _open(source, name, mode)  # type: ignore[return-value]


def _open(source: Path | io.BytesIO, name: str, mode: str | None) -> np.ndarray | tuple[int, int]:
    from PIL import Image  # imported here: only file datasets need it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit is below PIL's
            with Image.open(source) as img:
                w, h = img.size  # from the header: nothing decoded yet
                if w * h > MAX_PIXELS:
                    raise ImageFolderError(f"{name} is {w}x{h} ({w * h / 1e6:.1f} megapixels); the limit is "
                                           f"{MAX_PIXELS / 1e6:g} megapixels per image")
                if mode is None:
                    return w, h
                return np.asarray(img.convert(mode))
    except ImageFolderError:
        raise
    except Image.DecompressionBombError:
        raise ImageFolderError(f"{name} is too large to decode (over {MAX_PIXELS / 1e6:g} megapixels)") from None
    except (OSError, ValueError, SyntaxError) as exc:  # PIL's errors for corrupt or truncated files
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ImageFolderError(f"cannot read {name} as an image: {first}") from None


def to_square(arr: np.ndarray, side: int) -> np.ndarray:
    """A decoded image (H, W[, C]) resized to side x side (Lanczos), as (C, side, side) uint8."""
    from PIL import Image

    img = Image.fromarray(arr)
    if img.size != (side, side):
        img = img.resize((side, side), Image.LANCZOS)
    a = np.asarray(img)
    return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)


def read_user_folder(root: Path, *, channels: int, side: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...] | None]:
    """A folder of the user's own images: class subfolders (ImageFolder: labels are the sorted folders'
    positions) or a flat folder (no labels: every label 0). Every image must have one size (a folder of
    mixed sizes is refused: resizing would distort some of them); each is converted to grey (channels 1)
    or RGB (3) and resized to side x side. Returns uint8 (N, C, side, side), labels (N,), class names or None.
    """
    if not root.is_dir():
        raise ImageFolderError(f"image folder {root} does not exist")
    flat = _image_files(root)
    subs = [(d, _image_files(d)) for d in class_folders(root)]
    subs = [(d, fs) for d, fs in subs if fs]
    if flat and subs:
        raise ImageFolderError(f"{root} holds both images and class folders ({subs[0][0].name}/); use one layout")
    if flat:
        files, classes = [(f, 0) for f in sorted(flat)], None
    else:
        files = [(f, c) for c, (_, fs) in enumerate(subs) for f in sorted(fs)]
        classes = tuple(d.name for d, _ in subs)
        if len(classes) == 1:
            classes = None  # one class folder: unlabeled, like a flat folder
    if not files:
        raise ImageFolderError(f"{root} has no images ({', '.join(IMAGE_SUFFIXES)}), directly or in class folders")
    if len(files) > MAX_FOLDER_IMAGES:
        raise ImageFolderError(f"{root} has {len(files)} images; the limit is {MAX_FOLDER_IMAGES}")
    mode = "L" if channels == 1 else "RGB"
    out = np.empty((len(files), channels, side, side), np.uint8)
    first_size: tuple[tuple[int, int], Path] | None = None
    for i, (f, _) in enumerate(files):
        arr = _decode(f, mode)
        size = (arr.shape[1], arr.shape[0])
        if first_size is None:
            first_size = (size, f)
        elif size != first_size[0]:
            (w0, h0), f0 = first_size
            raise ImageFolderError(f"{root} mixes image sizes: {f0.name} is {w0}x{h0}, {f.name} is {size[0]}x"
                                   f"{size[1]}; crop or resize them to one size first")
        out[i] = to_square(arr, side)
    labels = np.array([c for _, c in files], np.int64)
    return out, labels, classes


def user_folder_classes(root: Path) -> tuple[str, ...] | None:
    """The class names a user folder will have (None: unlabeled), from its listing alone (no decoding)."""
    if not root.is_dir():
        return None
    subs = [d.name for d in class_folders(root) if _image_files(d)]
    return tuple(subs) if len(subs) >= 2 and not _image_files(root) else None
