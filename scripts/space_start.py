"""A Space-like start: the app as a free Hugging Face Space would run it, checked from outside.

    .venv/bin/python scripts/space_start.py            # CI (.ci/run); prints one JSON line, exit 0 = passed

What a Space does, done here: a fresh virtual environment from requirements.txt only; exactly the files
`python -m normgen space deploy` uploads (its dry-run set), copied to a fresh folder with no ../shared
beside it; `python app.py` as an unprivileged user (created with useradd when this runs as root, as CI
does) with a fresh HOME and temp folder, no NORMGEN_DATA, GRADIO_SERVER_NAME=0.0.0.0, SYSTEM=spaces.
The machine has no internet, so neither has the app.

Checks: the page answers within 60 s and listens on every interface; /gradio_api/info lists /explore
and /train; every picture the start-up page carries (/config's component values) is served; an /explore
call answers and its pictures are served; a short /train on the offline dataset (shapes) finishes.
Measured: pip's install time, start to first answer, the app's resident memory (its processes together)
once up and at its peak. This script runs with the development environment (gradio_client, httpx);
the app runs in the fresh one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from normgen.cli.space_files import write_folder  # noqa: E402  (the deploy's own file set)

USER = "normgen-space"  # the unprivileged account the app runs as when this script is root
START_LIMIT_S = 60.0
EXPLORE_LIMIT_S = 120.0  # a first view on a cold, busy machine: a few seconds normally
TRAIN_LIMIT_S = 300.0  # 30 steps, with the training process's start and the measurements after
EXPLORE = dict(model="gan", dataset="mnist", g_norm="none", l1=1e-3, l2=0.0, target="generator", variant="loss",
               seed=0)  # a zoo view: needs no dataset
TRAIN = dict(model="gan", dataset="shapes", g_norm="none", l1=1e-3, l2=0.0, target="generator", variant="loss",
             seed=0, seconds=120, start="scratch")  # shapes is drawn in memory: no download, no data root
FILE_URL = re.compile(r"""(?:src|srcset|href)=["']([^"']*?gradio_api/file=[^"']+)["']""")  # Learn's are relative


def log(msg: str) -> None:
    print(f"[space-start] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# the Space's machine: environment, files, user


def fresh_venv(python: str, venv: Path) -> float:
    """`python -m venv` + `pip install -r requirements.txt`, as a Space's build does; seconds."""
    t0 = time.monotonic()
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(ROOT / "requirements.txt")], check=True)
    return time.monotonic() - t0


def default_python() -> str:
    """A Python 3.11 every user may run (a root-only pyenv under /root would not do)."""
    for cand in ("/usr/bin/python3.11", "/usr/local/bin/python3.11", shutil.which("python3.11"), sys.executable):
        if cand and os.access(cand, os.X_OK) and all(
                os.stat(p).st_mode & 0o001 for p in Path(os.path.realpath(cand)).parents):
            return cand
    raise SystemExit("no Python 3.11 that an unprivileged user can run: pass --python")


def ensure_user(name: str) -> tuple[int, int]:
    """The account the app runs as: created (no login, no home of its own) when missing."""
    import pwd

    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
        pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


def chown_tree(path: Path, uid: int, gid: int) -> None:
    for p in [path, *path.rglob("*")]:
        os.chown(p, uid, gid, follow_symlinks=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------------------------
# the running app: its processes and memory


def descendants(pid: int) -> list[int]:
    """`pid` and every live process below it (a run trains in a child process of the server)."""
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                kids.setdefault(int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]), []).append(int(d.name))
            except (OSError, IndexError, ValueError):
                continue
    out, todo = [], [pid]
    while todo:
        out.append(p := todo.pop())
        todo += kids.get(p, [])
    return out


def rss_mib(pid: int) -> float:
    total = 0
    for p in descendants(pid):
        try:
            total += next(int(line.split()[1]) for line in Path(f"/proc/{p}/status").read_text().splitlines()
                          if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def listens_on_every_interface(port: int) -> bool:
    """A LISTEN socket on 0.0.0.0:port or [::]:port (/proc/net/tcp*), as a Space's proxy needs."""
    for table, anyaddr in (("/proc/net/tcp", "00000000"), ("/proc/net/tcp6", "0" * 32)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            addr, hexport = local.split(":")
            if state == "0A" and int(hexport, 16) == port and addr == anyaddr:
                return True
    return False


# ----------------------------------------------------------------------------------------------
# the checks, from outside


def wait_up(http: Any, url: str, proc: subprocess.Popen, limit: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with code {proc.returncode} before it answered")
        try:
            if http.get(url, timeout=5).status_code == 200:
                return time.monotonic() - t0
        except Exception:  # not listening yet
            pass
        time.sleep(0.25)
    raise RuntimeError(f"no HTTP 200 within {limit:.0f} s")


def file_urls(value: Any) -> list[str]:
    """Every served-file address in a component value: FileData dicts and <img src> / <a href> in HTML."""
    if isinstance(value, dict):
        own = [value["url"]] if isinstance(value.get("url"), str) and value.get("path") else []
        return own + [u for v in value.values() for u in file_urls(v)]
    if isinstance(value, list):
        return [u for v in value for u in file_urls(v)]
    if isinstance(value, str) and "gradio_api/file=" in value:
        return FILE_URL.findall(value)
    return []


def fetch_all(http: Any, base: str, urls: list[str]) -> int:
    """GET each address (relative ones against the app); every one must answer 200 with a body."""
    bad = []
    for u in sorted(set(urls)):
        full = u if u.startswith("http") else base.rstrip("/") + "/" + u.lstrip("/")
        r = http.get(full, timeout=60)
        if r.status_code != 200 or not r.content:
            bad.append(f"{r.status_code} {full}")
    if bad:
        raise RuntimeError(f"{len(bad)} of {len(set(urls))} pictures not served: {bad[:5]}")
    return len(set(urls))


def check(url: str, train_steps: int) -> dict[str, Any]:
    import httpx
    from gradio_client import Client

    out: dict[str, Any] = {}
    with httpx.Client(timeout=httpx.Timeout(120, connect=30)) as http:
        eps = http.get(url + "gradio_api/info").raise_for_status().json()["named_endpoints"]
        missing = {"/explore", "/train"} - set(eps)
        if missing:
            raise RuntimeError(f"/gradio_api/info lacks {sorted(missing)}: {sorted(eps)}")
        config = http.get(url + "config").raise_for_status().json()
        pics = [u for c in config["components"] for u in file_urls(c.get("props", {}).get("value"))]
        if not pics:
            raise RuntimeError("the start-up page carries no picture: the check looked at nothing")
        out["startup_pictures"] = fetch_all(http, url, pics)

        client = Client(url, verbose=False, download_files=False)
        t0 = time.monotonic()
        res = client.submit(**EXPLORE, api_name="/explore").result(timeout=EXPLORE_LIMIT_S)
        explore_pics = file_urls(list(res))
        if len(explore_pics) < 3:
            raise RuntimeError(f"/explore answered {len(explore_pics)} pictures, expected baseline, selected, diff")
        out["explore_pictures"] = fetch_all(http, url, explore_pics)
        out["explore_s"] = round(time.monotonic() - t0, 1)

        t0 = time.monotonic()
        res = client.submit(**TRAIN, steps=train_steps, api_name="/train").result(timeout=TRAIN_LIMIT_S)
        summary = next((o for o in res if isinstance(o, dict) and "status" in o), None)
        if not summary or summary.get("status") != "finished":
            raise RuntimeError(f"/train did not finish: {summary}")
        out["train_s"] = round(time.monotonic() - t0, 1)
        out["train_steps"] = summary.get("step", train_steps)
    return out


# ----------------------------------------------------------------------------------------------


def run(a: argparse.Namespace) -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix="space-check-"))
    os.chmod(base, 0o755)  # the app's user reads the environment and its files through it
    proc = None
    result: dict[str, Any] = {"ok": False}
    try:
        venv = Path(a.venv) if a.venv else base / "venv"
        if not a.venv:
            log(f"building a fresh environment from requirements.txt with {a.python} (minutes)")
            result["pip_s"] = round(fresh_venv(a.python, venv), 1)
        app, home, tmp = base / "app", base / "home", base / "tmp"
        files = write_folder(app)
        result["files"] = len(files)
        home.mkdir()
        tmp.mkdir()
        root = os.geteuid() == 0
        uid, gid = ensure_user(a.user) if root else (os.getuid(), os.getgid())
        result["user"] = a.user if root else os.environ.get("USER", str(uid))
        if root:
            for p in (app, home, tmp):
                chown_tree(p, uid, gid)
        port = a.port or free_port()
        env = {"PATH": f"{venv}/bin:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(tmp),
               "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1", "SYSTEM": "spaces", "SPACE_ID": f"{a.user}/normgen",
               "GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": str(port)}  # no NORMGEN_DATA, no PYTHONPATH
        url = f"http://127.0.0.1:{port}/"
        logfile = (base / "app.log").open("wb")
        log(f"starting app.py as {result['user']} on 0.0.0.0:{port}")
        t0 = time.monotonic()
        proc = subprocess.Popen([str(venv / "bin" / "python"), "app.py"], cwd=app, env=env, stdout=logfile,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                **({"user": uid, "group": gid, "extra_groups": []} if root else {}))
        import httpx

        with httpx.Client() as http:
            result["start_s"] = round(wait_up(http, url, proc, a.start_limit), 1)
        log(f"answered after {result['start_s']} s")
        if not listens_on_every_interface(port):
            raise RuntimeError(f"the app does not listen on 0.0.0.0:{port}")
        result["rss_ready_mib"] = round(rss_mib(proc.pid))
        peak = [result["rss_ready_mib"]]
        done = threading.Event()

        def sample(pid: int = proc.pid) -> None:  # twice a second while the checks run
            while not done.wait(0.5):
                peak.append(rss_mib(pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            result.update(check(url, a.train_steps))
        finally:
            done.set()
            sampler.join()
        result["rss_peak_mib"] = round(max(peak))
        result["wall_s"] = round(time.monotonic() - t0, 1)
        result["ok"] = True
    except Exception as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        app_log = base / "app.log"
        if app_log.exists():
            log("the app's output (last 40 lines):\n" + "\n".join(
                app_log.read_text(errors="replace").splitlines()[-40:]))
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the app and its training process (its own session)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if a.keep:
            log(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--venv", default=None, help="reuse this runtime environment (built from requirements.txt) "
                                                "instead of building a fresh one; pip_s is then not measured")
    p.add_argument("--python", default=None, help="the interpreter for the fresh environment (default: a "
                                                  "system Python 3.11 every user may run)")
    p.add_argument("--user", default=USER, help=f"the unprivileged account, created if missing (default: {USER})")
    p.add_argument("--port", type=int, default=0, help="default: a free port")
    p.add_argument("--start-limit", type=float, default=START_LIMIT_S, help="seconds to the first answer (60)")
    p.add_argument("--train-steps", type=int, default=30)
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (environment, files, log)")
    a = p.parse_args(argv)
    a.python = a.python or (None if a.venv else default_python())
    # a CI `timeout` sends SIGTERM: unwind, so the app (in a session of its own) is stopped too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    result = run(a)
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
