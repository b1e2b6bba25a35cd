"""normgen.image_files: CIFAR-10's PNG export (decoded once, then cached by its manifest) and folders of
the user's own images, with their limits. Every fixture is made here, a few images each."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from normgen import image_files
from normgen.image_files import ImageFolderError, read_png_export, read_user_folder


def write_png(path: Path, arr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return path


def make_export(root: Path, classes=("cat", "airplane"), per_class=3, seed=0) -> dict[str, np.ndarray]:
    """root/<split>/<class>/<index>.png with indices interleaved across classes (as in CIFAR-10's export);
    returns index -> the (32, 32, 3) image written."""
    rng = np.random.default_rng(seed)
    written = {}
    idx = 0
    for _k in range(per_class):
        for c in classes:
            arr = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
            write_png(root / c / f"{idx:05d}.png", arr)
            written[f"{idx:05d}"] = (arr, c)
            idx += 1
    return written


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(image_files.CACHE_ENV, str(tmp_path / "cache"))


def test_export_gives_file_name_order_sorted_class_labels_and_exact_pixels(tmp_path):
    written = make_export(tmp_path / "CIFAR10" / "train")
    images, labels, classes = read_png_export(tmp_path / "CIFAR10" / "train")
    assert classes == ("airplane", "cat")  # sorted folder names are the label order
    assert images.shape == (6, 3, 32, 32) and images.dtype == np.uint8
    for i, (_name, (arr, c)) in enumerate(sorted(written.items())):
        assert labels[i] == classes.index(c)
        np.testing.assert_array_equal(images[i], arr.transpose(2, 0, 1))


def test_a_decoded_split_is_read_back_from_the_cache_keyed_by_the_manifest(tmp_path):
    split = tmp_path / "CIFAR10" / "train"
    make_export(split)
    (tmp_path / "CIFAR10" / "MANIFEST.txt").write_text("train/airplane 3 aaa\ntrain/cat 3 bbb\n")
    first = read_png_export(split)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    for f in split.rglob("*.png"):  # the pixels are gone: only the cache can answer now
        f.write_bytes(b"not a png")
    again = read_png_export(split)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    # a changed manifest is another export: decoded again (and these files are now broken)
    (tmp_path / "CIFAR10" / "MANIFEST.txt").write_text("train/airplane 3 ccc\ntrain/cat 3 bbb\n")
    with pytest.raises(ImageFolderError, match="cannot read"):
        read_png_export(split)


def test_without_a_manifest_a_changed_file_is_decoded_again(tmp_path):
    split = tmp_path / "CIFAR10" / "test"
    make_export(split, per_class=1)
    read_png_export(split)
    new = np.full((32, 32, 3), 7, np.uint8)
    write_png(split / "cat" / "00000.png", new)
    images, _, _ = read_png_export(split)
    assert (images[0] == 7).all()


def test_an_export_image_of_the_wrong_size_is_refused(tmp_path):
    split = tmp_path / "CIFAR10" / "train"
    make_export(split, per_class=1)
    write_png(split / "cat" / "00009.png", np.zeros((28, 28, 3), np.uint8))
    with pytest.raises(ImageFolderError, match="00009.png is 28x28"):
        read_png_export(split)


# ---- a folder of the user's own images ---------------------------------------------------------


def test_class_folders_are_labelled_and_resized_to_colour(tmp_path):
    for c, v in (("dogs", 10), ("cats", 200)):
        for i in range(2):
            write_png(tmp_path / c / f"{i}.png", np.full((64, 48, 3), v, np.uint8))
    images, labels, classes = read_user_folder(tmp_path, channels=3, side=32)
    assert classes == ("cats", "dogs")
    assert images.shape == (4, 3, 32, 32)
    assert labels.tolist() == [0, 0, 1, 1]
    assert (images[:2] == 200).all() and (images[2:] == 10).all()  # a flat colour stays that colour


def test_a_flat_folder_is_unlabelled_and_converted_to_grey(tmp_path):
    for i in range(3):
        write_png(tmp_path / f"{i}.png", np.full((40, 40, 3), 255, np.uint8))
    images, labels, classes = read_user_folder(tmp_path, channels=1, side=28)
    assert classes is None and images.shape == (3, 1, 28, 28) and (labels == 0).all()
    assert (images == 255).all()
    assert image_files.user_folder_classes(tmp_path) is None


@pytest.mark.parametrize("case", ["missing", "empty", "corrupt", "huge", "mixed", "both"])
def test_bad_folders_get_a_one_line_error_naming_the_cause(tmp_path, case):
    folder = tmp_path / "imgs"
    folder.mkdir()
    ok = np.zeros((32, 32, 3), np.uint8)
    if case == "missing":
        folder = tmp_path / "nowhere"
        expect = "does not exist"
    elif case == "empty":
        (folder / "notes.txt").write_text("no images here")
        expect = "has no images"
    elif case == "corrupt":
        write_png(folder / "a.png", ok)
        (folder / "b.png").write_bytes(write_png(tmp_path / "x.png", ok).read_bytes()[:40])  # truncated
        expect = "cannot read .*b.png"
    elif case == "huge":
        write_png(folder / "a.png", ok)
        _write_png_header_only(folder / "big.png", 10_000, 10_000)
        expect = "big.png is 10000x10000 \\(100.0 megapixels\\)"
    elif case == "mixed":
        write_png(folder / "a.png", ok)
        write_png(folder / "b.png", np.zeros((40, 32, 3), np.uint8))
        expect = "mixes image sizes: a.png is 32x32, b.png is 32x40"
    else:
        write_png(folder / "a.png", ok)
        write_png(folder / "cls" / "b.png", ok)
        expect = "both images and class folders"
    with pytest.raises(ImageFolderError, match=expect) as exc:
        read_user_folder(folder, channels=3, side=32)
    assert "\n" not in str(exc.value)


def _write_png_header_only(path: Path, w: int, h: int) -> None:
    """A PNG whose header claims w x h pixels, with one tiny IDAT: what a decompression bomb looks like
    to a reader that trusts the header (decoding it would need w*h*3 bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
                     + chunk(b"IEND", b""))
