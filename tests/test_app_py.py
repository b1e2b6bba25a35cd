"""`python app.py`, the command a Space and the README run: SIGTERM (a container's or systemd's stop) ends it
as Ctrl-C does, so its temporary folder goes with it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def test_sigterm_stops_the_server_and_removes_its_temporary_folder(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "NORMGEN_TMP": str(tmp_path)}
    log = (tmp_path.parent / "app.log").open("w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        end = time.monotonic() + 120
        while not _answers(f"http://127.0.0.1:{port}/"):
            assert proc.poll() is None, f"app.py exited with {proc.returncode} before serving"
            assert time.monotonic() < end, "app.py did not answer within 120 s"
            time.sleep(0.5)
        mine = [p.name for p in tmp_path.iterdir() if p.name.startswith("normgen-")]
        assert len(mine) == 1, mine  # the folder it serves from exists while it runs
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0  # a normal exit, not "killed by signal 15"
        assert sorted(p.name for p in tmp_path.iterdir()) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
