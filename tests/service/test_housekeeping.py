"""Bounded disk: the sweep removes old files, then the oldest until the cap holds, and spares kept ones;
the housekeeper sweeps only the folder this process made, never another program's files."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from normgen.service import workdir
from normgen.service.housekeeping import Housekeeper, sweep, temp_folders


@pytest.fixture(autouse=True)
def own_root(tmp_path, monkeypatch):
    """This test's process folder is a fresh one: a forced sweep here must not empty the folder the rest of
    the suite's servers in this process serve their pictures from."""
    root = tmp_path / f"normgen-{os.getpid()}-test"
    root.mkdir()
    monkeypatch.setitem(workdir._root, os.getpid(), root)
    return root


def _file(path, size: int, age_s: float, now: float):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (now - age_s, now - age_s))
    return path


def test_sweep_by_age_then_by_total_cap(tmp_path):
    now = time.time()
    run = tmp_path / "normgen-run-abc"
    old = _file(run / "old.safetensors", 1000, 3 * 3600, now)
    mid = _file(tmp_path / "gradio" / "h1" / "mid.png", 600, 1800, now)
    new = _file(tmp_path / "gradio" / "h2" / "new.png", 600, 10, now)
    rep = sweep([tmp_path], max_age_s=7200, max_total_bytes=1000, now=now)
    assert not old.exists() and not run.exists()  # too old, and its emptied sub-folder goes too
    assert not mid.exists() and new.exists()  # 1,200 bytes left > 1,000: the oldest goes first
    assert (rep.removed_files, rep.removed_bytes, rep.kept_files, rep.kept_bytes) == (2, 1600, 1, 600)
    assert tmp_path.is_dir()  # the swept folder itself stays


def test_kept_files_survive(tmp_path):
    now = time.time()
    live = _file(tmp_path / "normgen-run-live" / "ckpt.safetensors", 5000, 9 * 3600, now)
    rep = sweep([tmp_path / "normgen-run-live"], max_age_s=1, max_total_bytes=0, now=now,
                keep=lambda p: "live" in str(p))
    assert live.exists() and rep.removed_files == 0


def test_the_only_folder_swept_is_this_process_own():
    assert temp_folders() == [workdir.root()]
    assert workdir.root().name.startswith(f"normgen-{os.getpid()}-") and workdir.owns(workdir.new_folder("x-"))


def test_the_process_folder_is_made_fresh_in_the_temp_dir(monkeypatch):
    monkeypatch.delitem(workdir._root, os.getpid())
    made = workdir.root()
    try:
        assert made.parent == Path(tempfile.gettempdir()).resolve() and made.name.startswith(f"normgen-{os.getpid()}-")
        assert workdir.root() == made  # once per process
    finally:
        made.rmdir()


def test_a_folder_named_normgen_that_is_not_ours_survives_a_forced_sweep(tmp_path):
    """Another program's `normgen-x` folder in the same temp dir (and Gradio's cache there): a sweep with
    the clock a day ahead and a cap of 0 bytes removes only this process's own files."""
    now = time.time()
    base = Path(tempfile.gettempdir())
    theirs = _file(base / f"normgen-x-{os.getpid()}-sentinel" / "6gb-of-their-work.bin", 10, 9 * 3600, now)
    gradio = _file(base / "gradio" / f"sentinel-{os.getpid()}" / "startup.png", 10, 9 * 3600, now)
    mine = _file(workdir.new_folder("run-old-") / "x.png", 10, 9 * 3600, now)
    try:
        rep = Housekeeper(max_age_s=60, max_total_mb=0).run_once(now=now + 86400)
        assert theirs.exists() and gradio.exists() and not mine.exists() and rep.removed_files >= 1
    finally:
        for f in (theirs, gradio):
            f.unlink(missing_ok=True)
            f.parent.rmdir()


def test_a_held_folder_survives_until_released():
    now = time.time()
    folder = workdir.new_folder("run-held-")
    f = _file(folder / "ckpt.safetensors", 10, 9 * 3600, now)
    workdir.hold(folder)
    try:
        Housekeeper(max_age_s=60, max_total_mb=0).run_once(now=now + 86400)
        assert f.exists()
    finally:
        workdir.release(folder)
    Housekeeper(max_age_s=60, max_total_mb=0).run_once(now=now + 86400)
    assert not f.exists()


TWIN = """
import sys, time
from normgen.service import workdir
from normgen.service.housekeeping import Housekeeper
f = workdir.new_folder("run-twin-") / "result.png"
f.write_bytes(b"x")
print(f, flush=True)
sys.stdin.readline()  # sweep when told
Housekeeper(max_age_s=0, max_total_mb=0).run_once(now=time.time() + 86400)
print(f.exists(), flush=True)
"""


def test_two_servers_on_one_temp_dir_do_not_touch_each_other():
    """A second process (a second server, or the test suite beside one) has its own folder: each one's
    forced sweep leaves the other's files."""
    twin = subprocess.Popen([sys.executable, "-c", TWIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    try:
        theirs = Path(twin.stdout.readline().strip())
        mine = _file(workdir.new_folder("run-mine-") / "result.png", 10, 0, time.time())
        Housekeeper(max_age_s=0, max_total_mb=0).run_once(now=time.time() + 86400)
        assert theirs.exists() and not mine.exists()
        mine = _file(workdir.new_folder("run-mine-") / "result.png", 10, 0, time.time())
        twin.stdin.write("go\n")
        twin.stdin.flush()
        assert twin.stdout.readline().strip() == "False"  # it swept its own file
        assert mine.exists()  # and not ours
    finally:
        twin.kill()
        twin.wait()


def test_housekeeper_thread_sweeps_on_schedule(tmp_path):
    now = time.time()
    f = _file(tmp_path / "normgen-ui-1" / "a.png", 10, 3600, now)
    hk = Housekeeper(lambda: [tmp_path / "normgen-ui-1"], interval_s=0.05, max_age_s=60, max_total_mb=1)
    reports = []  # every sweep's report: a later sweep (every 0.05 s) reports 0 removed and replaces `last`
    sweep_once = hk.run_once
    hk.run_once = lambda now=None: reports.append(sweep_once(now)) or reports[-1]
    hk.start()
    try:
        for _ in range(250):
            if not f.exists():
                break
            time.sleep(0.02)
    finally:
        hk.stop()
    assert not f.exists() and sum(r.removed_files for r in reports) == 1 and hk.last is reports[-1]


def test_the_apps_sweep_leaves_the_pictures_the_page_names_by_path(own_root, monkeypatch):
    """Explore names its grid-cache files to the page by path, and Learn its pictures; sweeping them made a
    view's pictures answer 403 once the files were 2 hours old. The cache bounds itself, so app.py skips it."""
    from normgen.app import served_folders
    from normgen.service import explore_images, page_pictures

    monkeypatch.setattr(explore_images.PNGS, "dir", workdir.new_folder("ui-"))
    monkeypatch.setattr(page_pictures, "_FOLDER", [])  # made anew inside this test's own folder
    assert len(served_folders()) == 2
    assert all(Path(f).is_relative_to(own_root) for f in served_folders())  # inside the swept folder
    now = time.time()
    served = [_file(Path(f) / "served-by-path.png", 10, 9 * 3600, now) for f in served_folders()]
    other = _file(workdir.new_folder("run-old-") / "x.png", 10, 9 * 3600, now)
    hk = Housekeeper(max_age_s=60, skip=served_folders)
    try:
        rep = hk.run_once()
        assert all(p.exists() for p in served) and not other.exists() and rep.removed_files == 1
    finally:
        for p in served:
            p.unlink(missing_ok=True)


def test_a_sweep_leaves_an_empty_folder_it_did_not_empty(tmp_path):
    """A cache's folder made a moment ago and not yet written to is its owner's: removing it made the owner's
    next write fail (a figure the page already named was never drawn). Only folders the sweep emptied go."""
    now = time.time()
    fresh = tmp_path / "figures"
    fresh.mkdir()
    old = _file(tmp_path / "run-old" / "deep" / "x.png", 10, 9 * 3600, now)
    sweep([tmp_path], max_age_s=60, now=now)
    assert fresh.is_dir() and not old.exists() and not (tmp_path / "run-old").exists() and tmp_path.is_dir()
