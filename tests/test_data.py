"""normgen.data: the procedural `shapes` set, MNIST / Fashion-MNIST from disk, and batching."""

from __future__ import annotations

import pytest
import torch

from normgen import data as data_mod
from normgen.data import (
    DATASETS,
    Dataset,
    DatasetUnavailable,
    dataset_info,
    default_data_root,
    load_dataset,
    make_shapes,
)

# ---------------------------------------------------------------------------------------------
# shapes


def test_shapes_shape_dtype_range():
    ds = make_shapes(200, seed=3)
    assert ds.name == "shapes"
    assert ds.images.shape == (200, 1, 28, 28)
    assert ds.images.dtype == torch.float32
    assert ds.labels.shape == (200,) and ds.labels.dtype == torch.int64
    assert ds.image_shape == (1, 28, 28) and len(ds) == 200
    assert ds.images.min() >= -1.0 and ds.images.max() <= 1.0
    assert torch.isfinite(ds.images).all()


def test_shapes_has_at_least_four_classes_all_present():
    ds = make_shapes(64, seed=0)
    k = len(DATASETS["shapes"].class_names)
    assert k >= 4 and ds.num_classes == k
    assert set(ds.labels.tolist()) == set(range(k))
    # balanced: n % k == 0 here, so every class has exactly n / k images
    assert torch.bincount(ds.labels, minlength=k).tolist() == [64 // k] * k


def test_shapes_every_image_has_ink_and_background():
    ds = make_shapes(400, seed=1)
    flat = ds.images.flatten(1)
    assert (flat.max(1).values > 0.5).all(), "some image has no shape drawn on it"
    assert (flat.min(1).values < -0.9).all(), "some image has no background"
    ink = ((flat + 1) / 2).mean(1)  # fraction of ink per image
    assert (ink < 0.8).all()


def test_shapes_classes_differ_in_mean_image():
    """The class label means something: the mean images of the classes are clearly different."""
    ds = make_shapes(800, seed=2)
    means = torch.stack([ds.images[ds.labels == c].mean(0) for c in range(ds.num_classes)]).flatten(1)
    dist = torch.cdist(means, means)
    off_diag = dist[~torch.eye(len(means), dtype=torch.bool)]
    assert off_diag.min() > 1.0


def test_shapes_deterministic_by_seed():
    a, b, c = make_shapes(100, seed=7), make_shapes(100, seed=7), make_shapes(100, seed=8)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.images, c.images)


def test_shapes_rejects_empty():
    with pytest.raises(ValueError, match="n must be >= 1"):
        make_shapes(0)


def test_load_dataset_shapes_size_seed_and_split():
    tr = load_dataset("shapes", size=50, seed=4)
    assert tr.images.shape == (50, 1, 28, 28)
    assert torch.equal(tr.images, make_shapes(50, seed=4).images)
    te = load_dataset("shapes", size=50, seed=4, train=False)
    assert not torch.equal(tr.images, te.images), "the test split must not repeat the training images"


def test_load_dataset_unknown_name_lists_names():
    with pytest.raises(ValueError) as exc:
        load_dataset("cifar")
    for name in DATASETS:
        assert name in str(exc.value)
    assert set(DATASETS) >= {"shapes", "mnist", "fashion"}


# ---------------------------------------------------------------------------------------------
# batching


def test_batch_reproducible_with_seeded_generator():
    ds = make_shapes(100, seed=0)
    x1, y1 = ds.batch(16, torch.Generator().manual_seed(5))
    x2, y2 = ds.batch(16, torch.Generator().manual_seed(5))
    x3, _ = ds.batch(16, torch.Generator().manual_seed(6))
    assert x1.shape == (16, 1, 28, 28) and y1.shape == (16,)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert not torch.equal(x1, x3)


def test_batch_rows_are_dataset_rows_with_their_labels():
    ds = make_shapes(40, seed=0)
    x, y = ds.batch(32, torch.Generator().manual_seed(0))
    # find each batch image in the dataset and check its label travelled with it
    same = (x.flatten(1)[:, None, :] == ds.images.flatten(1)[None, :, :]).all(2)  # (32, 40)
    assert same.any(1).all(), "a batch image is not a dataset image"
    idx = same.float().argmax(1)
    assert torch.equal(ds.labels[idx], y)


def test_dataset_to_keeps_content():
    ds = make_shapes(10, seed=0)
    moved = ds.to("cpu")
    assert isinstance(moved, Dataset) and torch.equal(moved.images, ds.images)


# ---------------------------------------------------------------------------------------------
# MNIST / Fashion-MNIST


def test_default_data_root_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("NORMGEN_DATA", str(tmp_path / "somewhere"))
    assert default_data_root() == tmp_path / "somewhere"
    monkeypatch.delenv("NORMGEN_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_data_root() == tmp_path / "cache" / "normgen" / "data"


@pytest.mark.parametrize("name,folder", [("mnist", "MNIST"), ("fashion", "FashionMNIST")])
def test_missing_dataset_offline_names_folder_and_option(tmp_path, name, folder):
    with pytest.raises(DatasetUnavailable) as exc:
        load_dataset(name, root=tmp_path, download=False)
    msg = str(exc.value)
    assert str(tmp_path / folder) in msg
    assert "--data-root" in msg and "NORMGEN_DATA" in msg


def test_failed_download_is_dataset_unavailable(tmp_path, monkeypatch):
    """Offline with download allowed: the network error becomes one clear DatasetUnavailable."""
    from torchvision import datasets

    def offline(self):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(datasets.MNIST, "download", offline)
    with pytest.raises(DatasetUnavailable) as exc:
        load_dataset("mnist", root=tmp_path, download=True)
    msg = str(exc.value)
    assert str(tmp_path / "MNIST") in msg and "--data-root" in msg
    assert "name resolution" in msg


@pytest.mark.parametrize("name,folder", [("mnist", "MNIST"), ("fashion", "FashionMNIST")])
def test_real_dataset_loads_from_data_root(data_root, name, folder):
    if not (data_root / folder / "raw").is_dir():
        pytest.skip(f"{data_root / folder / 'raw'} is absent")
    ds = load_dataset(name, root=data_root, download=False)
    assert ds.name == name
    assert ds.images.shape == (60_000, 1, 28, 28) and ds.images.dtype == torch.float32
    assert ds.labels.shape == (60_000,)
    assert ds.images.min() == -1.0 and ds.images.max() == 1.0
    assert sorted(ds.labels.unique().tolist()) == list(range(10)) == list(range(ds.num_classes))
    # background is black: most pixels sit at -1
    assert (ds.images == -1).float().mean() > 0.4
    small = load_dataset(name, root=data_root, download=False, size=100, train=False)
    assert small.images.shape == (100, 1, 28, 28)
    assert not torch.equal(small.images, ds.images[:100]), "train=False must read the test split"


def test_real_dataset_found_through_env(data_root, monkeypatch):
    if not (data_root / "MNIST" / "raw").is_dir():
        pytest.skip(f"{data_root / 'MNIST' / 'raw'} is absent")
    monkeypatch.setenv(data_mod.DATA_ROOT_ENV, str(data_root))
    ds = load_dataset("mnist", download=False, size=10)
    assert ds.images.shape == (10, 1, 28, 28)


def test_balanced_subset_is_deterministic_balanced_and_idempotent():
    from normgen.data import balanced_subset

    full = make_shapes(1000, seed=3)
    a, b = balanced_subset(full, 302, seed=5), balanced_subset(full, 302, seed=5)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert torch.bincount(a.labels, minlength=4).tolist() == [76, 76, 75, 75]
    assert not torch.equal(balanced_subset(full, 302, seed=6).images, a.images)  # the seed picks the images
    again = balanced_subset(a, 302, seed=99)  # a subset of itself is itself, whatever the seed
    assert torch.equal(again.images, a.images)
    with pytest.raises(ValueError, match="1 to 1000"):
        balanced_subset(full, 1001, seed=0)


def test_a_config_trains_on_its_subset():
    from normgen.config import make_config
    from normgen.engine.train import make_trainer

    full = make_shapes(1000, seed=0)
    cfg = make_config("gan", "shapes", train_size=40, steps=1)
    t = make_trainer(cfg, full, torch.device("cpu"))
    assert len(t.data) == 40 and torch.bincount(t.data.labels).tolist() == [10] * 4
    with pytest.raises(ValueError, match="at least 4"):
        make_config("gan", "shapes", train_size=3)


# ---------------------------------------------------------------------------------------------
# cifar10 (both layouts) and folders of the user's own images, on small fixtures made here


def _cifar_rows(n: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 3072), dtype=np.uint8), [int(v) for v in rng.integers(0, 10, n)]


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    from normgen import image_files

    monkeypatch.setenv(image_files.CACHE_ENV, str(tmp_path / "cache"))


def test_cifar10_from_the_png_export_has_shape_labels_order_and_range(tmp_path, private_cache):
    from PIL import Image

    rows, labels = _cifar_rows(12, seed=1)
    classes = DATASETS["cifar10"].class_names
    for i, (row, y) in enumerate(zip(rows, labels, strict=False)):
        path = tmp_path / "CIFAR10" / "test" / classes[y] / f"{i:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(row.reshape(3, 32, 32).transpose(1, 2, 0)).save(path)  # the export's rule, reversed
    ds = load_dataset("cifar10", root=tmp_path, train=False, download=False)
    assert ds.images.shape == (12, 3, 32, 32) and ds.images.dtype == torch.float32
    assert ds.labels.tolist() == labels  # file-name order is the original order
    assert ds.images.min() >= -1 and ds.images.max() <= 1
    expect = torch.from_numpy(rows).float().div(127.5).sub(1).view(12, 3, 32, 32)
    torch.testing.assert_close(ds.images, expect)


def test_cifar10_from_torchvisions_layout(tmp_path, monkeypatch, private_cache):
    """torchvision's cifar-10-batches-py pickles (md5 checks off: these are fixtures, not the real files)."""
    import pickle

    import torchvision.datasets.cifar as tv_cifar

    monkeypatch.setattr(tv_cifar.CIFAR10, "_check_integrity", lambda self: True)
    monkeypatch.setattr(tv_cifar, "check_integrity", lambda *a, **k: True)
    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    batches = {}
    for k, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        rows, labels = _cifar_rows(4, seed=10 + k)
        batches[name] = (rows, labels)
        (base / name).write_bytes(pickle.dumps({"data": rows, "labels": labels}))
    (base / "batches.meta").write_bytes(pickle.dumps({"label_names": list(DATASETS["cifar10"].class_names)}))
    train = load_dataset("cifar10", root=tmp_path, train=True, download=False)
    test = load_dataset("cifar10", root=tmp_path, train=False, download=False)
    assert train.images.shape == (20, 3, 32, 32) and test.images.shape == (4, 3, 32, 32)
    assert train.labels.tolist() == sum((batches[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    rows = batches["test_batch"][0]
    torch.testing.assert_close(test.images, torch.from_numpy(rows).float().div(127.5).sub(1).view(4, 3, 32, 32))
    assert train.images.min() >= -1 and train.images.max() <= 1


def test_cifar10_missing_offline_names_both_layouts(tmp_path):
    with pytest.raises(DatasetUnavailable, match="cifar-10-batches-py.*PNG export"):
        load_dataset("cifar10", root=tmp_path, download=False)


def test_cifar10_balanced_subset_works_as_for_mnist(tmp_path, private_cache):
    import numpy as np
    from PIL import Image

    from normgen.config import make_config

    classes = DATASETS["cifar10"].class_names
    for i in range(40):
        path = tmp_path / "CIFAR10" / "train" / classes[i % 10] / f"{i:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((32, 32, 3), i, np.uint8)).save(path)
    ds = load_dataset("cifar10", root=tmp_path, download=False)
    cfg = make_config("dcgan", "cifar10", train_size=20, data_seed=3)
    sub = cfg.training_images(ds)
    assert len(sub) == 20 and torch.bincount(sub.labels, minlength=10).tolist() == [2] * 10


def test_a_folder_dataset_name_gives_its_shape_classes_and_images(tmp_path):
    import numpy as np
    from PIL import Image

    for c in ("b", "a"):
        (tmp_path / c).mkdir()
        for i in range(2):
            Image.fromarray(np.full((50, 50), 255 if c == "a" else 0, np.uint8)).save(tmp_path / c / f"{i}.png")
    grey = dataset_info(f"folder-grey:{tmp_path}")
    colour = dataset_info(f"folder:{tmp_path}")
    assert grey.image_shape == (1, 28, 28) and colour.image_shape == (3, 32, 32)
    assert grey.class_names == ("a", "b")
    ds = load_dataset(f"folder:{tmp_path}")
    assert ds.images.shape == (4, 3, 32, 32) and ds.labels.tolist() == [0, 0, 1, 1] and ds.num_classes == 2
    assert ds.images[:2].min() == 1.0 and ds.images[2:].max() == -1.0


def test_a_bad_folder_is_a_dataset_unavailable_error(tmp_path):
    with pytest.raises(DatasetUnavailable, match="has no images"):
        load_dataset(f"folder:{tmp_path}")
    with pytest.raises(ValueError, match="folder:PATH"):
        dataset_info("nosuchset")


def _idx(path, data: bytes, shape: list[int], magic: bytes = b"\0\0\x08") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(magic + bytes([len(shape)]) + b"".join(n.to_bytes(4, "big") for n in shape) + data)


def test_idx_files_are_read_directly_with_a_known_answer(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    pixels = bytes(i % 256 for i in range(2 * 28 * 28))
    _idx(raw / "t10k-images-idx3-ubyte", pixels, [2, 28, 28])
    _idx(raw / "t10k-labels-idx1-ubyte", bytes([7, 3]), [2])
    ds = data_mod.load_dataset("mnist", root=tmp_path, train=False, download=False)
    assert ds.images.shape == (2, 1, 28, 28) and ds.labels.tolist() == [7, 3]
    assert ds.images[0, 0, 0, 0] == -1.0 and ds.images[0, 0, 0, 1] == pytest.approx(1 / 127.5 - 1)
    assert data_mod.read_idx(raw / "t10k-labels-idx1-ubyte", 1).dtype == torch.uint8


@pytest.mark.parametrize("case", ["magic", "truncated", "counts"])
def test_a_damaged_idx_file_says_which_and_what_to_do(tmp_path, case):
    raw = tmp_path / "MNIST" / "raw"
    n = 3 if case == "counts" else 2
    _idx(raw / "t10k-images-idx3-ubyte", bytes(2 * 784 - (5 if case == "truncated" else 0)), [2, 28, 28],
         magic=b"\0\0\x09" if case == "magic" else b"\0\0\x08")
    _idx(raw / "t10k-labels-idx1-ubyte", bytes(n), [n])
    with pytest.raises(data_mod.DatasetUnavailable, match="download mnist again") as err:
        data_mod.load_dataset("mnist", root=tmp_path, train=False, download=False)
    assert {"magic": "not an IDX file", "truncated": "its header says", "counts": "3 labels"}[case] in str(err.value)


def test_the_direct_read_matches_torchvision(data_root):
    from torchvision import datasets

    for name, folder in (("mnist", "MNIST"), ("fashion", "FashionMNIST")):
        tv = getattr(datasets, folder)(str(data_root), train=False, download=False)
        ds = data_mod.load_dataset(name, root=data_root, train=False, download=False)
        assert torch.equal(ds.images, tv.data.unsqueeze(1).float().div_(127.5).sub_(1.0))
        assert torch.equal(ds.labels, tv.targets.long())
