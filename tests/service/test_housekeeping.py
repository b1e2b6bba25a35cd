"""Bounded disk: the sweep removes old files, then the oldest until the cap holds, and spares kept ones."""

from __future__ import annotations

import os
import time
from pathlib import Path

from normgen.service.housekeeping import Housekeeper, sweep, temp_folders


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
    rep = sweep([run, tmp_path / "gradio"], max_age_s=7200, max_total_bytes=1000, now=now)
    assert not old.exists() and not run.exists()  # too old, and its emptied normgen folder goes too
    assert not mid.exists() and new.exists()  # 1,200 bytes left > 1,000: the oldest goes first
    assert (rep.removed_files, rep.removed_bytes, rep.kept_files, rep.kept_bytes) == (2, 1600, 1, 600)
    assert (tmp_path / "gradio").is_dir()  # Gradio's cache root stays


def test_kept_files_survive_and_folders_are_found(tmp_path, monkeypatch):
    now = time.time()
    live = _file(tmp_path / "normgen-run-live" / "ckpt.safetensors", 5000, 9 * 3600, now)
    rep = sweep([tmp_path / "normgen-run-live"], max_age_s=1, max_total_bytes=0, now=now,
                keep=lambda p: "live" in str(p))
    assert live.exists() and rep.removed_files == 0
    (tmp_path / "normgen-figures-v1").mkdir()
    (tmp_path / "other").mkdir()
    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    names = [p.name for p in temp_folders(tmp_path)]
    assert names == ["normgen-figures-v1", "normgen-run-live"]  # no gradio folder yet, nothing foreign


def test_housekeeper_thread_sweeps_on_schedule(tmp_path):
    now = time.time()
    f = _file(tmp_path / "normgen-ui-1" / "a.png", 10, 3600, now)
    hk = Housekeeper(lambda: [tmp_path / "normgen-ui-1"], interval_s=0.05, max_age_s=60, max_total_mb=1).start()
    try:
        for _ in range(100):
            if not f.exists():
                break
            time.sleep(0.05)
    finally:
        hk.stop()
    assert not f.exists() and hk.last is not None and hk.last.removed_files == 1


def test_the_apps_sweep_leaves_explores_figures_and_grids(tmp_path, monkeypatch):
    """Explore names its figure-store and grid-cache files to the page by path; sweeping them made a view's
    pictures answer 403 once the files were 2 hours old. They bound themselves, so app.py skips them."""
    from normgen.app import explore_folders

    now = time.time()
    served = [_file(Path(f) / "served-by-path.png", 10, 9 * 3600, now) for f in explore_folders()]
    other = _file(tmp_path / "normgen-run-old" / "x.png", 10, 9 * 3600, now)
    hk = Housekeeper(lambda: [*(p.parent for p in served), other.parent], max_age_s=60, skip=explore_folders)
    try:
        rep = hk.run_once()
        assert all(p.exists() for p in served) and not other.exists() and rep.removed_files == 1
    finally:
        for p in served:
            p.unlink(missing_ok=True)
