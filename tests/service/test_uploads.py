"""The visitor's own images (normgen.service.uploads): a real tiny upload made here (20 PNGs, zipped flat
and with class folders, or loose files) becomes a dataset that trains a few steps through the service;
every bad upload is one UploadError line naming the problem; zip-slip names are refused; the stored
folder is swept as normgen's own and removed with the session."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from normgen import image_files
from normgen.service import admission as A
from normgen.service import housekeeping, runs, train_plan, train_store, uploads, workdir
from normgen.service.inputs import InputError
from normgen.service.uploads import UploadError, read_upload
from normgen.service.zoo_access import get_index


def png(rgb: bool = True, side: int = 20, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 255, (side, side, 3) if rgb else (side, side), dtype=np.uint8)
    b = io.BytesIO()
    Image.fromarray(arr).save(b, "PNG")
    return b.getvalue()


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def flat(n: int = 20, rgb: bool = True) -> dict[str, bytes]:
    return {f"mine/{i:02d}.png": png(rgb, seed=i) for i in range(n)}


def classed(n: int = 20) -> dict[str, bytes]:
    return {f"pets/{'cat' if i % 2 else 'dog'}/{i:02d}.png": png(seed=i) for i in range(n)}


@pytest.fixture
def tmp_store(tmp_path, monkeypatch):
    # uploads land in this process's own folder (normgen.service.workdir); the zips are written here
    return tmp_path


def test_a_flat_zip_becomes_an_unlabeled_colour_dataset(tmp_store):
    up = read_upload([make_zip(tmp_store / "mine.zip", flat())])
    assert (up.count, up.channels, up.side, up.classes, up.name) == (20, 3, 32, None, "mine")
    assert up.dataset == f"folder:{up.folder}" and up.folder.parent.name.startswith("upload-")
    images, labels, classes = image_files.read_user_folder(up.folder, channels=3, side=32)
    assert images.shape == (20, 3, 32, 32) and classes is None and set(labels.tolist()) == {0}
    assert up.preview.width == up.preview.height >= 4 * 32 * 3  # 4 x 4 of the images, enlarged 3x


def test_class_folders_become_labels_and_grey_images_infer_28x28(tmp_store):
    up = read_upload([make_zip(tmp_store / "pets.zip", classed())])
    assert up.classes == ("cat", "dog") and up.count == 20
    _, labels, classes = image_files.read_user_folder(up.folder, channels=3, side=32)
    assert classes == ("cat", "dog") and sorted(np.bincount(labels).tolist()) == [10, 10]
    grey = read_upload([make_zip(tmp_store / "g.zip", flat(rgb=False))])
    assert (grey.channels, grey.side) == (1, 28) and grey.dataset.startswith("folder-grey:")
    forced = read_upload([make_zip(tmp_store / "g2.zip", flat(rgb=False))], shape="3x32")
    assert (forced.channels, forced.side) == (3, 32)


def test_loose_image_files_are_an_upload_too(tmp_store):
    files = []
    for i in range(3):
        p = tmp_store / f"x{i}.png"
        p.write_bytes(png(seed=i))
        files.append(p)
    up = read_upload(files, "1x28")
    assert (up.count, up.channels, up.classes, up.name) == (3, 1, None, "images")


@pytest.mark.parametrize("members,words", [
    ({"a/readme.txt": b"hello", "a/1.png": png()}, "is not an image"),
    ({"a/1.png": png(), "a/2.png": b"\x89PNG\r\n\x1a\n not really"}, "cannot read a/2.png as an image"),
    ({"a/.DS_Store": b"x", "__MACOSX/a/._1.png": b"x"}, "no images in the upload"),
    ({"a/1.png": png(side=20), "a/2.png": png(side=24)}, "mixes image sizes"),
    ({"a/1.png": png(), "a/b/2.png": png()}, "both loose images .1.png. and class folders"),
    ({"../evil.png": png()}, "zip-slip"),
    ({"a/../../evil.png": png()}, "zip-slip"),
    ({"/etc/evil.png": png()}, "absolute or unsafe path"),
    ({"a\\..\\evil.png": png()}, "absolute or unsafe path"),
])
def test_each_bad_upload_is_one_line_naming_the_problem(tmp_store, members, words):
    z = make_zip(tmp_store / "bad.zip", members)
    before = set(workdir.root().glob("upload-*"))
    with pytest.raises(UploadError, match=words) as err:
        read_upload([z])
    assert "\n" not in str(err.value)
    assert set(workdir.root().glob("upload-*")) == before  # nothing kept of a refused upload


def test_a_zip_slip_member_is_refused_before_anything_is_written(tmp_store):
    z = make_zip(tmp_store / "slip.zip", {"ok/1.png": png(), "ok/../../../outside.png": png()})
    before = set(workdir.root().glob("upload-*"))
    with pytest.raises(UploadError, match="zip-slip"):
        read_upload([z])
    assert not (workdir.root().parent / "outside.png").exists() and set(workdir.root().glob("upload-*")) == before
    assert uploads.safe_parts("cats/1.png", "z") == ("cats", "1.png")


def test_limits_too_many_files_too_large_and_a_pixel_bomb(tmp_store, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_FILES", 5)
    with pytest.raises(UploadError, match="too many files: .* the limit is 5"):
        read_upload([make_zip(tmp_store / "many.zip", flat(6))])
    monkeypatch.setattr(uploads, "MAX_UPLOAD_MB", 0.001)
    with pytest.raises(UploadError, match=r"too large: the upload is .* MiB; the limit is"):
        read_upload([make_zip(tmp_store / "big.zip", flat(3))])
    monkeypatch.setattr(uploads, "MAX_UPLOAD_MB", 20)
    # a zip whose member declares a huge unpacked size: refused from the directory, never read
    monkeypatch.setattr(uploads, "MAX_UNPACKED_MB", 0.01)
    with pytest.raises(UploadError, match="unpacks to more than"):
        read_upload([make_zip(tmp_store / "bomb.zip", {"a/1.png": png(side=80), "a/2.png": png(side=80)})])
    monkeypatch.setattr(uploads, "MAX_UNPACKED_MB", 200)
    # a 100-megapixel PNG (it compresses to a few hundred KB): refused from its header
    b = io.BytesIO()
    Image.new("L", (10_000, 10_000)).save(b, "PNG")
    with pytest.raises(UploadError, match=r"100.0 megapixels.; the limit is 16 megapixels per image"):
        read_upload([make_zip(tmp_store / "px.zip", {"huge.png": b.getvalue()})])


def test_a_file_that_is_not_a_zip_nor_an_image(tmp_store):
    p = tmp_store / "notes.zip"
    p.write_bytes(b"not a zip at all")
    with pytest.raises(UploadError, match="not a readable .zip"):
        read_upload([p])
    with pytest.raises(UploadError, match="no file uploaded"):
        read_upload([])


def test_the_upload_folder_is_this_process_own_held_and_removed_with_the_store(tmp_store):
    up = read_upload([make_zip(tmp_store / "mine.zip", flat(4))])
    assert workdir.owns(up.folder) and workdir.held(up.folder)  # a sweep spares it while the session lives
    assert housekeeping.temp_folders() == [workdir.root()]
    store = train_store.TrainStore()
    store.set_upload(up)
    store.cleanup()
    assert store.upload is None and not up.folder.exists() and not workdir.held(up.folder)


@pytest.fixture
def fresh_admission():
    old = A.set_admission(A.Admission(slots=1, per_session=1, max_runs=3))
    yield A.admission()
    A.set_admission(old)


@pytest.mark.parametrize("model,members", [("gan", flat), ("cgan", classed), ("dcgan", classed)])
def test_an_upload_trains_a_few_steps_through_the_service(tmp_store, fresh_admission, model, members):
    up = read_upload([make_zip(tmp_store / "u.zip", members())])
    plan = train_plan.plan_run(model, "mnist", "none", 1e-3, 0, "generator", "loss", 0, 6, 60, "finetune",
                             device="cpu", upload=up)
    assert plan.start == "scratch" and plan.cfg.dataset == up.dataset and "Your images" in plan.notes[0]
    assert plan.cfg.model.image_shape == (3, 32, 32)
    plan = replace(plan, cfg=replace(plan.cfg, log_every=2, sample_every=3, batch_size=8))
    run = runs.start_run(plan, session="s")
    s = list(runs.stream(run))[-1]
    assert s.status == "finished" and s.step == 6 and s.grid is not None
    assert "folder:YOUR_IMAGES" in s.command and str(up.folder) not in s.command
    assert all(str(tmp_store) not in Path(p).name for p in s.files.values())
    config = json.loads(Path(s.files["config"]).read_text())["config"]
    assert config["dataset"] == "folder:YOUR_IMAGES"
    assert "no held-out split" in s.generalization_note
    run.cleanup()


def test_a_grey_upload_for_the_colour_model_and_a_bad_subset_are_input_errors(tmp_store):
    grey = read_upload([make_zip(tmp_store / "g.zip", flat(rgb=False))])
    with pytest.raises(InputError, match="3-channel images; dataset 'your images' has 1"):
        train_plan.plan_run("dcgan", "mnist", "none", 0, 0, "generator", "loss", 0, 6, 60, "scratch", upload=grey)
    with pytest.raises(InputError, match="from 2 to 20 .the images you uploaded.; got 50"):
        train_plan.plan_run("gan", "mnist", "none", 0, 0, "generator", "loss", 0, 6, 60, "scratch", 50, upload=grey)


def test_an_upload_swept_from_disk_is_an_input_error_without_a_server_path(tmp_store):
    up = read_upload([make_zip(tmp_store / "g.zip", flat(4))])
    up.remove()
    with pytest.raises(InputError, match="no longer on the server; upload them again|upload them again") as err:
        train_plan.plan_run("gan", "mnist", "none", 0, 0, "generator", "loss", 0, 6, 60, "scratch", upload=up)
    assert str(tmp_store) not in str(err.value)


def test_a_damaged_zip_member_is_one_line(tmp_store):
    z = make_zip(tmp_store / "crc.zip", {"a/1.png": png(), "a/2.png": png(seed=1)})
    data = bytearray(z.read_bytes())
    at = data.find(b"IDAT", data.find(b"a/2.png")) + 8  # stored uncompressed: flip a byte of the image data
    data[at] ^= 0xFF
    z.write_bytes(bytes(data))
    with pytest.raises(UploadError, match="cannot read a/2.png from the upload .Bad CRC") as err:
        read_upload([z])
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("model,g_norm,rgb,source",
                         [("dcgan", "batch", True, "cifar10"), ("gan", "none", False, "mnist")])
def test_an_upload_fine_tunes_the_zoo_baseline_of_its_shape(tmp_store, fresh_admission, model, g_norm, rgb, source):
    index = get_index(None)
    if not index.find(model=model, dataset=source, g_norm=g_norm, l1=0.0, l2=0.0):
        pytest.skip(f"the shipped zoo has no {model} baseline on {source}")
    up = read_upload([make_zip(tmp_store / "u.zip", flat(rgb=rgb))])
    plan = train_plan.plan_run(model, "shapes", g_norm, 0, 0, "generator", "loss", 0, 4, 60, "finetune", upload=up)
    assert plan.start == "finetune" and plan.init_entry.dataset == source and plan.cfg.dataset == up.dataset
    assert "fine-tuning the zoo baseline" in plan.notes[0]
    run = runs.start_run(replace(plan, cfg=replace(plan.cfg, log_every=2, sample_every=2)), session="s")
    s = list(runs.stream(run))[-1]
    assert s.status == "finished" and "--init checkpoints/" in s.command and ":YOUR_IMAGES" in s.command
    run.cleanup()
    # a conditional family starts from scratch: its classes would be the zoo dataset's, not the upload's
    up = read_upload([make_zip(tmp_store / "c.zip", classed())])
    plan = train_plan.plan_run("cgan", "shapes", "none", 0, 0, "generator", "loss", 0, 4, 60, "finetune", upload=up)
    assert plan.start == "scratch" and "conditional" in plan.notes[0]
