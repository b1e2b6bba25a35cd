"""Train's own-images upload (normgen.app.tabs.train_upload): an accepted upload is held by the session and
shown; a refused one says why in one line and changes nothing else (an earlier upload stays in use);
/train then trains on the upload and its final reply carries no server path; the launched app refuses
an upload over the cap before storing it (Gradio's max_file_size, HTTP 413)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from normgen.app.tabs import train_upload as TU
from normgen.app.tabs.train_handlers import make_train_fn
from normgen.service import admission as A
from normgen.service import uploads
from normgen.service.train_store import TrainStore


def _zip(path: Path, n: int = 20, classes: bool = False, bad: str | None = None) -> str:
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(n):
            b = io.BytesIO()
            Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(b, "PNG")
            zf.writestr(f"top/{('a', 'b')[i % 2] + '/' if classes else ''}{i}.png", b.getvalue())
        if bad:
            zf.writestr(bad, b"not an image")
    return str(path)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    s = TrainStore()
    yield s
    s.cleanup()


def test_an_upload_is_held_and_shown_and_a_bad_one_changes_nothing(tmp_path, store):
    note, box, caption, own, dataset = TU.on_upload([_zip(tmp_path / "pets.zip", classes=True)], "auto", store)
    assert store.upload is not None and store.upload.classes == ("a", "b")
    assert dataset["interactive"] is False and dataset["info"] == TU.DATASET_OFF
    assert note.startswith("**Your images:** 20 images from pets, 32×32 colour, 2 classes (a, b)")
    assert box.visible is True and "16 of 20" in caption and own is store.upload.preview
    first = store.upload
    for bad, words in (([_zip(tmp_path / "b1.zip", bad="top/notes.txt")], "is not an image"),
                       ([_zip(tmp_path / "b2.zip", bad="top/../../x.png")], "zip-slip"),
                       ([_zip(tmp_path / "b3.zip", n=0)], "no images")):
        note, *rest = TU.on_upload(bad, "auto", store)
        assert note.startswith("**Not used:**") and words in note and "\n" not in note
        assert "still train on your earlier upload (20 images from pets" in note
        assert all(r.__class__.__name__ == "dict" or r == {"__type__": "update"} for r in rest)  # gr.skip()
        assert store.upload is first and first.folder.exists()
    # another shape for the same files: read again, the old folder goes
    note, *_ = TU.on_upload([_zip(tmp_path / "pets.zip", classes=True)], "1x28", store)
    assert "28×28 grey" in note and store.upload is not first and not first.folder.exists()
    note, box, _, own, dataset = TU.on_clear(store)
    assert store.upload is None and box.visible is False and own is None and note == TU.NO_UPLOAD
    assert dataset["interactive"] is True


def test_without_an_earlier_upload_a_refusal_says_the_dataset_is_used(tmp_path, store):
    note, *_ = TU.on_upload([_zip(tmp_path / "b.zip", bad="x/evil.exe")], "auto", store)
    assert "Runs train on the dataset above" in note and store.upload is None


def test_train_trains_on_the_sessions_upload(tmp_path, store):
    old = A.set_admission(A.Admission(slots=1, per_session=1, max_runs=3))
    try:
        TU.on_upload([_zip(tmp_path / "mine.zip")], "auto", store)
        train = make_train_fn()
        outs = list(train("gan", "mnist", "none", 0.0, 0.0, "generator", "loss", 0, 10, 60, "finetune", 0, 0.0,
                          "ns", 10.0, 0.0, "l1", store))
    finally:
        A.set_admission(old)
    status, grid, *_, command, summary, _cmp, _l, _p, _s = outs[-1]
    assert "on your 20 images (mine)" in status
    assert summary["status"] == "finished" and summary["step"] == 10 and grid is not None
    assert "--dataset folder:YOUR_IMAGES" in command and str(tmp_path) not in str(summary)
    assert store.run.cfg.dataset == store.upload.dataset


def test_the_launched_app_refuses_an_upload_over_the_cap():
    import httpx
    from conftest_browser import launch_app

    from normgen.app.style import launch_kwargs

    assert launch_kwargs()["max_file_size"] == f"{uploads.MAX_UPLOAD_MB}mb"
    demo, url = launch_app()
    try:
        big = b"\0" * (uploads.MAX_UPLOAD_MB * 2**20 + 1024)
        r = httpx.post(url.rstrip("/") + "/gradio_api/upload", files={"files": ("big.zip", big)}, timeout=60)
        small = httpx.post(url.rstrip("/") + "/gradio_api/upload", files={"files": ("s.zip", b"PK")}, timeout=60)
    finally:
        demo.close()
    assert r.status_code == 413 and small.status_code == 200


def test_an_upload_is_no_domain_pair_for_the_cycle_gan(tmp_path, store):
    from normgen.service.inputs import InputError
    from normgen.service.train_plan import plan_run

    TU.on_upload([_zip(tmp_path / "mine.zip")], "auto", store)
    with pytest.raises(InputError, match="translates between two domains"):
        plan_run("cyclegan", "mnist", "none", 0.0, 0.0, "generator", "loss", 0, 10, 60, "scratch",
                 upload=store.upload, device="cpu")
    assert store.upload is not None and store.upload.folder.is_dir()  # the upload stays for the next run
