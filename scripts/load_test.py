"""Load test of the app (issues #13 / #14), loopback only, bounded in count and time, stops by itself.

    .venv/bin/python scripts/load_test.py                 # the full run (about 10-15 min on 2 cores)
    .venv/bin/python scripts/load_test.py --short         # the CI form (a few minutes)
    .venv/bin/python scripts/load_test.py --phases memory --no-trim   # memory as it was before the fix

Starts `app.py` as a child process on 127.0.0.1 (a free port in --ports), drives it with gradio_client
and reports, as one JSON object on stdout (progress lines on stderr):
- solo:    one training run's speed alone (steps/s)
- explore: /explore latency (p50 / p95 / max) with --visitors concurrent visitors, idle and while a run
           trains, and that run's speed as a fraction of its solo speed
- flood:   --flood /train submissions from one client: how many were refused at once and how fast, and
           whether /explore kept answering meanwhile
- class:   --students visitors each starting a short run at once: admitted / refused, the places and
           waits they were told, how long they really waited, when the last run finished
- memory:  RSS of the server and its training process after each of --runs runs with distinct seeds, their
           peak while the runs train, and the growth over --explores Explore calls
- classroom: a class experiment (issue #29): a teacher opens a class, --class-size students join within
           --class-arrival s (each a page: REST calls in its own session); --class-real of them train their dealt
           setting for real through /train (the server posts each result when the run ends, after checking it);
           the rest post the zoo-simulated result of their setting through /class_simulate (the same check and
           store, marked simulated), a sixth of them twice. Meanwhile --visitors Explore pages keep calling and
           a few students poll the chart. Then the server is killed (SIGKILL) and started again on the same
           class store. Reported: results landed (each exactly once), the chart's lag behind each post, Explore's
           p95 meanwhile, and the results after the restart
Exit status 1 when a check fails (Explore refused or p95 over --p95-goal while a run trains, a flood
submission queued instead of refused, RSS after a run over --rss-goal-mib or while one trains over
--peak-goal-mib, a class result lost, doubled or wrong, the chart over --class-lag-goal behind or Explore's p95
over --p95-goal during the class), else 0. A class that misses only a timing goal (the chart's lag or Explore's
p95: one moment of a shared machine) is followed by a second class on the restarted server, judged on every check;
the first class's figures stay in the report as `first_try`. The child is killed on exit
and after --deadline seconds whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PHASES = ("solo", "explore", "flood", "class", "memory", "classroom")
ESTIMATE_FACTOR = 1.5  # a told wait against the actual wait (issue 23)
WAIT_SLACK_S = 2.0  # ... or this close in seconds
WAIT_SHARE_GOAL = 0.9  # of all tellings (every student's first telling must hold)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port(lo: int, hi: int) -> int:
    for port in range(lo, hi + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {lo}-{hi}")


def descendants(pid: int) -> list[int]:
    """`pid` and every live process below it (a run trains in a child process of the server)."""
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:  # it ended meanwhile
        pass
    return 0


def rss_mib(pid: int) -> float:
    """Resident memory of `pid` and its child processes (a run's training process included)."""
    return sum(_status_kib(p, "VmRSS:") for p in descendants(pid)) / 1024


def cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system, every thread) used so far by process `pid` and its children, live and
    ended (None: this process)."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    total = 0
    for k, p in enumerate(descendants(pid)):
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(f[11]) + int(f[12]) + (int(f[13]) + int(f[14]) if k == 0 else 0)
    return total / os.sysconf("SC_CLK_TCK")


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))] if xs else float("nan")


class Server:
    """app.py as a child process on loopback; killed by `close()` or the deadline watchdog."""

    def __init__(self, port: int, env: dict[str, str], deadline: float) -> None:
        self.url = f"http://127.0.0.1:{port}/"
        full = {**os.environ, **env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
                "GRADIO_ANALYTICS_ENABLED": "False"}
        import tempfile

        self.log = tempfile.NamedTemporaryFile("w+", prefix="app-", suffix=".log", delete=False,
                                               dir=env.get("NORMGEN_TMP"))
        self.proc = subprocess.Popen([sys.executable, str(REPO / "app.py")], cwd=REPO, env=full,
                                     stdout=self.log, stderr=subprocess.STDOUT, text=True)
        self._timer = threading.Timer(max(1.0, deadline - time.monotonic()), self.close)
        self._timer.daemon = True
        self._timer.start()

    def wait_ready(self, timeout: float) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"app.py exited ({self.proc.returncode}); its log: {self.log.name}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as r:
                    if r.status == 200:
                        return time.monotonic() - t0
            except OSError:
                time.sleep(1.0)
        raise SystemExit(f"the app did not answer within {timeout:.0f} s")

    def rss(self) -> float:
        return rss_mib(self.proc.pid)

    def alive(self) -> str:
        """'' while the app runs, else how it ended and where its log is."""
        rc = self.proc.poll()
        return "" if rc is None else f"app.py exited with {rc}; its log: {self.log.name}"

    def kill(self) -> None:
        """SIGKILL: the server ends as a crash would, with no shutdown of its own."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        self._timer.cancel()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._timer.cancel()


def client(url: str, download_files: bool = True):
    import httpx
    from gradio_client import Client

    # no read timeout (the event streams stay open; a busy server is slow to send its config), the
    # script's deadline bounds it all
    return Client(url, verbose=False, download_files=download_files,
                  httpx_kwargs={"timeout": httpx.Timeout(None, connect=60)})


class Page:
    """An Explore visitor as a browser is one, and about as cheap to run: Gradio's documented REST calls
    (POST /gradio_api/call/explore in the page's one session, then read that event's stream until
    `complete`), then a GET of each picture the view names. The pictures are read, not written to disk.
    Measured here: gradio_client (`--visitor gradio`) does far more work per call in this process (with 8
    of them the visitors used 1.2 of the 2 cores, the server 0.6: the figure was mostly of the clients,
    which a real class's browsers run on their own machines); and a call without the page's session costs
    the server 94 ms of CPU instead of 51 (Gradio builds a new session's state each time)."""

    def __init__(self, url: str) -> None:
        import httpx

        self.url = url
        self.session = uuid.uuid4().hex[:11]  # a page keeps one session for all its calls, as a browser tab does
        self.http = httpx.Client(timeout=httpx.Timeout(None, connect=60))
        info = self.http.get(f"{url}gradio_api/info")
        info.raise_for_status()
        params = info.json()["named_endpoints"]["/explore"]["parameters"]
        self.names = [q["parameter_name"] for q in params]
        self.defaults = {q["parameter_name"]: q.get("parameter_default") for q in params}

    def explore(self, **kw) -> list:
        """The view's outputs (raises RuntimeError with the server's message on an error event)."""
        data = [kw.get(n, self.defaults[n]) for n in self.names]
        r = self.http.post(f"{self.url}gradio_api/call/explore", json={"data": data, "session_hash": self.session})
        r.raise_for_status()
        event, out = None, None
        with self.http.stream("GET", f"{self.url}gradio_api/call/explore/{r.json()['event_id']}") as s:
            for line in s.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    out = json.loads(line[5:])
                    break
        if event != "complete":
            raise RuntimeError(f"/explore answered {event}: {out}")
        for pic in (o for o in out if isinstance(o, dict) and o.get("url")):
            self.http.get(pic["url"]).raise_for_status()
        return out


def visitor(url: str, kind: str = "page"):
    """A visitor's page (`Page`), or with kind 'gradio' a gradio_client Client and an httpx client for
    the pictures (the figure as it was measured before: its client work shares these 2 cores)."""
    if kind == "page":
        return Page(url)
    import httpx

    return client(url, download_files=False), httpx.Client(timeout=httpx.Timeout(None, connect=60))


def train_args(a: argparse.Namespace, seed: int = 0, steps: int | None = None, seconds: float | None = None) -> dict:
    return dict(model="gan", dataset=a.dataset, g_norm="none", l1=1e-2, l2=0.0, target="generator", variant="loss",
                seed=seed, steps=steps or a.steps, seconds=seconds or a.seconds, start=a.start)


EXPLORE_L1 = (0.0, 1e-5, 1e-4, 1e-3, 1e-2)


def explore_call(v, i: int) -> float:
    """One Explore view of visitor `v` (a `visitor(url)`, or a plain client that downloads the files)
    until its pictures are fetched; seconds."""
    view = dict(model="gan", dataset="mnist", g_norm="none", l1=EXPLORE_L1[i % len(EXPLORE_L1)], l2=0.0,
                target="generator", variant="loss", seed=i % 3)
    t0 = time.perf_counter()
    if isinstance(v, Page):
        v.explore(**view)
        return time.perf_counter() - t0
    c, http = v if isinstance(v, tuple) else (v, None)
    out = c.predict(**view, api_name="/explore")
    if http is not None:
        for pic in (o for o in out if isinstance(o, dict) and o.get("url")):
            http.get(pic["url"]).raise_for_status()
    return time.perf_counter() - t0


def explore_load(url: str, visitors: int, calls: int, clients: list | None = None, pid: int | None = None,
                 kind: str = "page", seconds: float = 0.0) -> dict:
    """`visitors` clients (new ones, or `clients`: pages already open), each making `calls` /explore
    calls back to back (and more until `seconds` have passed); latency figures, and with the server's
    `pid` where the CPU went meanwhile (the visitors' own work runs on this machine too, which a real
    class's browsers do not)."""
    cs = clients or [visitor(url, kind) for _ in range(visitors)]
    lat: list[float] = []
    t0, c0, s0 = time.monotonic(), cpu_s(), cpu_s(pid) if pid else 0.0
    errors: list[str] = []

    def visit(k: int) -> None:
        i = 0
        while i < calls or time.monotonic() - t0 < seconds:
            try:
                lat.append(explore_call(cs[k], k * 1000 + i))
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
            i += 1

    with ThreadPoolExecutor(visitors) as pool:
        list(pool.map(visit, range(visitors)))
    wall = time.monotonic() - t0
    cpu = ({"cpu_cores_server": round((cpu_s(pid) - s0) / wall, 2),
            "cpu_cores_visitors": round((cpu_s() - c0) / wall, 2)} if pid else {})
    return {"calls": len(lat), **cpu, "errors": len(errors), "first_error": errors[0] if errors else None,
            "p50_s": round(pct(lat, 0.5), 3), "p95_s": round(pct(lat, 0.95), 3), "max_s": round(max(lat), 3)
            if lat else None}


def speed(summaries: list[dict]) -> float | None:
    """steps/s between the first and the last streamed summary of a run while it trained."""
    pts = [(s["step"], s["elapsed_s"]) for s in summaries if s and s.get("status") == "running" and s["step"] > 0]
    if len(pts) < 2 or pts[-1][1] <= pts[0][1]:
        return None
    return (pts[-1][0] - pts[0][0]) / (pts[-1][1] - pts[0][1])


def summaries(job) -> list[dict]:
    return [o[7] for o in job.outputs() if o and isinstance(o[7], dict)]


def last_running(job) -> dict | None:
    """The run's latest streamed summary while it trains."""
    running = [s for s in summaries(job) if s.get("status") == "running" and s.get("step", 0) > 0]
    return running[-1] if running else None


def wait_running(job, timeout: float) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if any(s.get("status") == "running" and s.get("step", 0) > 0 for s in summaries(job)):
            return
        if job.done():
            raise RuntimeError(f"the run ended before training: {job.exception()}")
        time.sleep(0.2)
    raise RuntimeError("the run did not start training")


def phase_solo(url: str, a: argparse.Namespace) -> dict:
    c = client(url)
    t0 = time.monotonic()
    job = c.submit(**train_args(a, steps=a.solo_steps, seconds=a.seconds), api_name="/train")
    job.result(timeout=a.seconds + 120)
    return {"steps_per_s": round(speed(summaries(job)) or float("nan"), 2), "wall_s": round(time.monotonic() - t0, 1)}


def phase_explore(url: str, a: argparse.Namespace, solo: float | None, pid: int | None = None) -> dict:
    idle = explore_load(url, a.visitors, a.explore_calls, pid=pid, kind=a.visitor)
    log(f"explore idle: {idle}")
    c = client(url)
    job = c.submit(**train_args(a, steps=3000, seconds=a.seconds), api_name="/train")
    wait_running(job, 120)
    t_start = time.monotonic()
    before = last_running(job)
    busy = explore_load(url, a.visitors, a.explore_calls, pid=pid, kind=a.visitor, seconds=a.explore_seconds)
    busy["seconds"] = round(time.monotonic() - t_start, 1)
    # the run's speed over the Explore load: its last summary before the load against its last one now
    run = speed([before, last_running(job)])
    job.cancel()
    ratio = round(run / solo, 2) if run and solo else None
    return {"visitors": a.visitors, "visitor": a.visitor, "idle": idle, "while_training": busy,
            "run_steps_per_s": round(run, 2) if run else None, "run_speed_vs_solo": ratio}


def phase_flood(url: str, a: argparse.Namespace) -> dict:
    from gradio_client.exceptions import AppError

    c = client(url)
    visitors = [visitor(url) for _ in range(2)]  # two other visitors, their pages open before the flood
    first = c.submit(**train_args(a, steps=3000, seconds=a.seconds), api_name="/train")
    wait_running(first, 120)
    t0 = time.monotonic()
    jobs = [c.submit(**train_args(a, seed=i + 1), api_name="/train") for i in range(a.flood)]
    explore = explore_load(url, 2, 3, visitors)  # during the flood
    refused, queued, times = 0, 0, []
    for j in jobs:
        try:
            j.result(timeout=60)
            queued += 1
        except AppError as exc:
            refused += "already have a run" in str(exc) or "server is busy" in str(exc)
        except Exception:  # noqa: BLE001 - a submission that neither was refused nor ran
            queued += 1
        times.append(time.monotonic() - t0)
    first.cancel()
    return {"submissions": a.flood, "refused_at_once": refused, "not_refused": queued,
            "all_answered_within_s": round(max(times), 2) if times else None, "explore_meanwhile": explore}


def told_seconds(told: str) -> float:
    """'2nd in line, about 40 s' -> 40.0; '... about 3 min' -> 180.0 (admission.wait_words)."""
    n, unit = told.rsplit("about ", 1)[1].split()[:2]
    return float(n) * (60.0 if unit.startswith("min") else 1.0)


def told_right(pair: tuple[float, float]) -> bool:
    """(told, actual) seconds: within ESTIMATE_FACTOR either way, or within WAIT_SLACK_S (the status
    is refreshed about every second, and "about 1 s" is the least it says)."""
    told, act = pair
    return abs(act - told) <= WAIT_SLACK_S or 1 / ESTIMATE_FACTOR <= max(1.0, act) / max(1.0, told) <= ESTIMATE_FACTOR


def phase_class(url: str, a: argparse.Namespace) -> dict:
    """`students` visitors press Start at once (short runs); who trains, who waits how long, who is refused."""
    from gradio_client.exceptions import AppError

    cs = [client(url) for _ in range(a.students)]
    t0 = time.monotonic()
    out: list[dict] = [{} for _ in cs]

    def student(k: int) -> None:
        rec = out[k]
        job = cs[k].submit(**train_args(a, seed=100 + k, steps=a.class_steps, seconds=a.seconds),
                           api_name="/train")
        told, tellings, started, seen = None, [], None, 0
        while not job.done():
            outs = job.outputs()
            for o in outs[seen:]:  # each status the student was shown, when it was shown
                if o and "in line, about" in (o[0] or ""):
                    line = o[0].split("\n")[1].split(".")[0]
                    told = told or line
                    if not tellings or tellings[-1][1] != line:
                        tellings.append((time.monotonic() - t0, line))
                if started is None and o and isinstance(o[7], dict) and o[7].get("status") == "running":
                    started = time.monotonic() - t0
            seen = len(outs)
            time.sleep(0.25)
        try:
            job.result()
            rec.update(status="finished", started_s=started, told=told, finished_s=time.monotonic() - t0)
            if started is not None:  # every wait it was told against the wait it then had
                rec["waits"] = [(told_seconds(line), round(started - at, 1)) for at, line in tellings]
        except AppError as exc:
            rec.update(status="refused", message=str(exc)[:160])

    with ThreadPoolExecutor(a.students) as pool:
        list(pool.map(student, range(a.students)))
    done = [r for r in out if r.get("status") == "finished"]
    pairs = [w for r in done for w in r.get("waits", ())]
    ratios = sorted(round(max(1.0, act) / max(1.0, told), 2) for told, act in pairs)
    first = [r["waits"][0] for r in done if r.get("waits")]  # what each student was told first
    return {"students": a.students, "wait_told_vs_actual_s": pairs, "wait_actual_over_told": ratios,
            "wait_ratio_median": statistics.median(ratios) if ratios else None,
            "first_told_vs_actual_s": first, "first_within_factor": all(map(told_right, first)),
            "share_within_factor": round(sum(map(told_right, pairs)) / len(pairs), 3) if pairs else None,
            "finished": len(done),
            "refused": sum(r.get("status") == "refused" for r in out),
            "refusal_example": next((r["message"] for r in out if r.get("status") == "refused"), None),
            "told_examples": [r["told"] for r in done if r.get("told")][:3],
            "waits_s": sorted(round(r["started_s"], 1) for r in done if r.get("started_s") is not None),
            "last_finished_s": round(max((r["finished_s"] for r in done), default=0), 1)}


def phase_memory(url: str, a: argparse.Namespace, server: Server) -> dict:
    c = client(url)
    before = server.rss()
    after: list[float] = []
    peak, done = [before], threading.Event()

    def sample_peak() -> None:  # while runs train: the server and its training process together
        while not done.wait(0.2):
            peak.append(server.rss())

    sampler = threading.Thread(target=sample_peak, daemon=True)
    sampler.start()
    for k in range(a.runs):
        c.predict(**train_args(a, seed=1000 + k, steps=a.memory_steps), api_name="/train")
        after.append(round(server.rss()))
        log(f"memory: run {k + 1}/{a.runs} (seed {1000 + k}): RSS {after[-1]} MiB")
    done.set()
    sampler.join()
    ex0 = server.rss()
    for i in range(a.explores):
        explore_call(c, i)
    return {"runs": a.runs, "rss_before_mib": round(before), "rss_after_each_run_mib": after,
            "rss_max_mib": max(after) if after else None, "rss_peak_while_training_mib": round(max(peak)),
            "mib_per_run_after_the_first": round((after[-1] - after[0]) / max(1, len(after) - 1), 1)
            if len(after) > 1 else None,
            "explore_calls": a.explores, "rss_explore_growth_mib": round(server.rss() - ex0)}


def rest_call(http, url: str, session: str, api: str, data: list) -> list:
    """One call of endpoint `api` in page session `session` (Gradio's REST API: POST, then read the event's
    stream until `complete`); its outputs, or RuntimeError with the server's message."""
    r = http.post(f"{url}gradio_api/call/{api}", json={"data": data, "session_hash": session})
    r.raise_for_status()
    event, out = None, None
    with http.stream("GET", f"{url}gradio_api/call/{api}/{r.json()['event_id']}") as s:
        for line in s.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                out = json.loads(line[5:])
                break
    if event != "complete":
        raise RuntimeError(f"/{api} answered {event}: {out}")
    return out


def train_params(http, url: str) -> list[tuple[str, object]]:
    """/train's parameters in order, with their defaults."""
    params = http.get(f"{url}gradio_api/info").json()["named_endpoints"]["/train"]["parameters"]
    return [(q["parameter_name"], q.get("parameter_default")) for q in params]


def phase_classroom(url: str, a: argparse.Namespace, server: Server, env: dict, deadline: float) -> tuple[dict, Server]:
    """A class of --class-size (see the module's docstring); returns the report and the restarted server."""
    import httpx

    http = lambda: httpx.Client(timeout=httpx.Timeout(None, connect=60))  # noqa: E731
    teacher_http = http()
    code, teacher, _ = rest_call(teacher_http, url, uuid.uuid4().hex[:11], "class_open", [a.class_experiment])
    params = train_params(teacher_http, url)
    stop = threading.Event()
    polls: list[tuple[float, int]] = []  # (when, results on the chart)
    posts: list[float] = []  # when each new result's post returned (a real run: its /train ended)
    lock = threading.Lock()
    def poll() -> None:
        h = http()
        while not stop.is_set():
            st = rest_call(h, url, uuid.uuid4().hex[:11], "class_view", [code])[1]
            with lock:
                polls.append((time.monotonic(), st["results"]))
            stop.wait(a.class_poll_s)

    out: list[dict] = [{} for _ in range(a.class_size)]

    def student(k: int) -> None:
        time.sleep(a.class_arrival * k / a.class_size)  # they come in over the arrival window
        h, session, rec = http(), uuid.uuid4().hex[:11], out[k]
        try:
            seat = rest_call(h, url, session, "class_join", [code, f"s{k}" if k % 4 == 0 else "", "deal"])[1]
        except RuntimeError as exc:
            rec.update(status="refused", message=str(exc)[:160])
            return
        rec.update(status="joined", lam=seat["lam"], seed=seat["seed"])
        if k < a.class_real:
            res = rest_call(h, url, session, "train", [seat["setting"].get(n, d) for n, d in params])
            rec.update(real=True, run_status=res[7].get("status"), posted="on the class chart" in (res[0] or ""),
                       note=(res[0] or "").splitlines()[-1][:200])
            new = rec["posted"]
        else:
            got = rest_call(h, url, session, "class_simulate", [str(k)])[0]
            new = got["posted"]
            if k % 6 == 0:  # posted again: must count once
                rec["second_post_counted"] = rest_call(h, url, session, "class_simulate", [str(k)])[0]["posted"]
            rec.update(real=False, posted=new)
        if new:
            with lock:
                posts.append(time.monotonic())

    explore_before = explore_load(url, a.visitors, a.explore_calls, kind=a.visitor)  # the same load, no class
    pollers = [threading.Thread(target=poll, daemon=True) for _ in range(a.class_pollers)]
    for p in pollers:
        p.start()
    explore: dict = {}
    ex = threading.Thread(target=lambda: explore.update(explore_load(url, a.visitors, a.explore_calls, kind=a.visitor,
                                                                     seconds=a.class_arrival, pid=server.proc.pid)),
                          daemon=True)
    ex.start()
    t0 = time.monotonic()
    with ThreadPoolExecutor(a.class_size) as pool:
        list(pool.map(student, range(a.class_size)))
    class_s = time.monotonic() - t0
    ex.join()
    time.sleep(a.class_poll_s * 2 + 1)  # the pollers see the last post
    stop.set()
    for p in pollers:
        p.join()
    # the lag of each post: from its return to the first poll that showed that many results
    posts.sort()
    lags = []
    for n, t in enumerate(posts, start=1):
        seen = next((pt for pt, c in polls if pt >= t and c >= n), None)
        lags.append(round(seen - t, 2) if seen is not None else None)
    final = rest_call(teacher_http, url, uuid.uuid4().hex[:11], "class_view", [code])[1]
    csv = rest_call(teacher_http, url, uuid.uuid4().hex[:11], "class_export", [code, teacher])[0]
    csv = csv.get("value", csv) if csv.get("__type__") == "update" else csv  # the file, shown once exported
    csv_rows = teacher_http.get(csv["url"]).text.strip().count("\n")  # the header line aside
    joined = [r for r in out if r.get("status") == "joined"]
    landed = sum(bool(r.get("posted")) for r in joined)
    server.kill()  # as a crash: no shutdown
    log(f"classroom: {final['results']} results before the kill; restarting on the same store")
    again = Server(free_port(*a.port_range), env, deadline)
    again.wait_ready(min(300.0, max(30.0, deadline - time.monotonic())))
    after = rest_call(http(), again.url, uuid.uuid4().hex[:11], "class_view", [code])[1]
    real = [r for r in joined if r.get("real")]
    report = {"students": a.class_size, "joined": len(joined),
              "refused": sum(r.get("status") == "refused" for r in out),
              "real_runs": len(real), "real_posted": sum(bool(r.get("posted")) for r in real),
              "real_notes": [r.get("note") for r in real][:3], "simulated_posted": landed - sum(
                  bool(r.get("posted")) for r in real),
              "second_posts": sum("second_post_counted" in r for r in joined),
              "second_posts_counted": sum(bool(r.get("second_post_counted")) for r in joined),
              "results_on_chart": final["results"], "results_expected": landed, "class_s": round(class_s, 1),
              "chart_polls": len(polls), "poll_every_s": a.class_poll_s,
              "chart_lag_s_p95": pct([x for x in lags if x is not None], 0.95),
              "chart_lag_s_max": max((x for x in lags if x is not None), default=None),
              "posts_never_seen": sum(x is None for x in lags), "explore_before": explore_before,
              "explore_meanwhile": explore,
              "results_after_restart": after["results"], "pick": final["pick"], "csv_rows": csv_rows}
    return report, again


CLASSROOM_RETRY_S = 240.0  # a second class is tried only with this much of the deadline left


def classroom_checks(c: dict, a: argparse.Namespace) -> tuple[bool, bool]:
    """The classroom phase's checks, as (correct, timely): every result landed once and survived the restart,
    no Explore error (correct); Explore's p95 and the chart's lag within their goals (timely). A timing goal is
    a measure of a shared machine at one moment, so a miss alone earns a second class (`main`); a wrong or
    lost result never does."""
    correct = (c["joined"] == c["students"] and c["results_on_chart"] == c["results_expected"] == c["joined"]
               and c["csv_rows"] == c["results_on_chart"] and c["second_posts_counted"] == 0
               and c["posts_never_seen"] == 0 and c["explore_meanwhile"].get("errors") == 0
               and c["results_after_restart"] == c["results_on_chart"] and c["real_posted"] == c["real_runs"])
    timely = ((c["chart_lag_s_max"] or 0) <= a.class_lag_goal
              and c["explore_meanwhile"].get("p95_s", 99) <= a.p95_goal)
    return correct, timely


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--short", action="store_true", help="the CI form: fewer visitors, calls and runs")
    p.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}")
    p.add_argument("--ports", default="7950-7969", help="loopback port range for the app (default 7950-7969)")
    p.add_argument("--deadline", type=float, default=None, help="kill everything after this many s (default "
                   "1800, short 600; 900 with the classroom phase)")
    p.add_argument("--dataset", default="mnist", help="dataset of the training runs (mnist; shapes offline)")
    p.add_argument("--start", default="finetune", choices=("finetune", "scratch"))
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--visitors", type=int, default=8)
    p.add_argument("--visitor", choices=("page", "gradio"), default="page",
                   help="page: an Explore visitor as a browser calls it (REST + stream, default); gradio: "
                   "gradio_client per visitor, whose own work here took 1.2 of the 2 cores")
    p.add_argument("--no-trim", action="store_true", help="run the server without handing freed memory back "
                   "(NORMGEN_MALLOC_TRIM=0): the memory figure as it was before the fix")
    p.add_argument("--p95-goal", type=float, default=1.0, help="Explore p95 (s) while a run trains")
    p.add_argument("--rss-goal-mib", type=float, default=1536, help="server + training process after each run")
    p.add_argument("--peak-goal-mib", type=float, default=3072,
                   help="server + training process while a run trains (its process holds torch and the data: "
                   "1.1-1.3 GB on MNIST)")
    p.add_argument("--class-size", type=int, default=60, help="classroom: students (default 60)")
    p.add_argument("--class-real", type=int, default=None, help="classroom: students who train for real (default 2, "
                   "full 4; 0 with --dataset shapes: the experiments train on MNIST)")
    p.add_argument("--class-experiment", default="gan-small-d-l2", help="classroom: the experiment")
    p.add_argument("--class-lag-goal", type=float, default=5.0,
                   help="classroom: the chart's most lag behind a post (s)")
    a = p.parse_args(argv)
    short = a.short
    a.class_real = (0 if a.dataset != "mnist" else 2 if short else 4) if a.class_real is None else a.class_real
    a.class_arrival = 20.0 if short else 60.0  # the class joins over this many seconds
    a.class_poll_s, a.class_pollers = 1.0, 3
    a.deadline = a.deadline or ((900 if "classroom" in a.phases else 600) if short else 1800)
    a.explore_calls = 3 if short else 8
    a.explore_seconds = 5.0 if short else 20.0  # the load on a training run lasts at least this long
    a.flood = 65
    a.students = 4 if short else 12
    a.class_steps = 20 if short else 40
    a.solo_steps = 60 if short else 300
    a.runs = 3 if short else 50  # issue #14: the bound holds after 50 runs with distinct seeds
    a.memory_steps = 10 if short else 20
    a.explores = 10 if short else 100
    if short:
        a.visitors = min(a.visitors, 4)
    phases = [x for x in a.phases.split(",") if x]
    bad = sorted(set(phases) - set(PHASES))
    if bad:
        p.error(f"unknown phase(s) {', '.join(bad)}; choose from {', '.join(PHASES)}")
    lo, hi = (int(x) for x in a.ports.split("-"))
    a.port_range = (lo, hi)
    deadline = time.monotonic() + a.deadline
    env = {"NORMGEN_MALLOC_TRIM": "0"} if a.no_trim else {}
    import tempfile

    # one folder of this run's own holds the servers' temporary folders (a server killed as a crash cannot
    # remove its own), their logs and the class store: removed at the end, kept when the run fails
    own = Path(tempfile.mkdtemp(prefix="normgen-load-"))
    env["NORMGEN_TMP"] = str(own)
    env["TMPDIR"] = str(own)  # and what their libraries write to the temp dir: Gradio's cache, torch's Inductor's
    (own / "client").mkdir()  # this process's temp files too: gradio_client leaves an empty folder in the temp
    tempfile.tempdir = str(own / "client")  # dir for every file it downloads
    if "classroom" in phases:  # a class store of this run's own, and the simulated students' endpoint
        env.update(NORMGEN_CLASS_SIMULATE="1", NORMGEN_CLASS_DB=str(own / "classes.sqlite"))
    server = Server(free_port(lo, hi), env, deadline)
    report: dict = {"short": short, "phases": phases, "no_trim": a.no_trim, "cpu_count": os.cpu_count()}
    ok = True
    try:
        report["startup_s"] = round(server.wait_ready(min(400.0, a.deadline)), 1)
        report["rss_idle_mib"] = round(server.rss())
        log(f"app ready at {server.url} in {report['startup_s']} s, RSS {report['rss_idle_mib']} MiB")
        solo = None
        report["loadavg_at_start"] = [round(x, 1) for x in os.getloadavg()]
        if "solo" in phases or "explore" in phases:
            report["solo"] = phase_solo(server.url, a)
            solo = report["solo"]["steps_per_s"]
            log(f"solo: {report['solo']}")
        if "explore" in phases:
            report["explore"] = e = phase_explore(server.url, a, solo, server.proc.pid)
            log(f"explore: {e}")
            ok &= e["while_training"]["errors"] == 0 and e["while_training"]["p95_s"] <= a.p95_goal
        if "flood" in phases:
            report["flood"] = f = phase_flood(server.url, a)
            log(f"flood: {f}")
            ok &= f["refused_at_once"] == f["submissions"] and f["explore_meanwhile"]["errors"] == 0
        if "class" in phases:
            report["class"] = k = phase_class(server.url, a)
            log(f"class: {k}")
            ok &= k["finished"] + k["refused"] == k["students"]
            # the waits students were told against the waits they had: every first telling, and WAIT_SHARE_GOAL
            # of all, within ESTIMATE_FACTOR (or WAIT_SLACK_S); the short form too (issue 23)
            k["wait_within_factor"] = k["first_within_factor"] and (k["share_within_factor"] is None
                                                                    or k["share_within_factor"] >= WAIT_SHARE_GOAL)
            ok &= k["wait_within_factor"]
        if "memory" in phases:
            report["memory"] = m = phase_memory(server.url, a, server)
            log(f"memory: {m}")
            ok &= (m["rss_max_mib"] or 0) <= a.rss_goal_mib and m["rss_peak_while_training_mib"] <= a.peak_goal_mib
        if "classroom" in phases:
            c, server = phase_classroom(server.url, a, server, env, deadline)
            log(f"classroom: {c}")
            correct, timely = classroom_checks(c, a)
            if correct and not timely and deadline - time.monotonic() > CLASSROOM_RETRY_S:
                # a timing goal missed on a shared machine: a second class on the restarted server, judged on
                # every check again; the first class's figures stay in the report
                log("classroom: a timing goal missed (Explore p95 or the chart's lag); a second class")
                first = c
                c, server = phase_classroom(server.url, a, server, env, deadline)
                c["first_try"] = first
                log(f"classroom, second class: {c}")
                correct, timely = classroom_checks(c, a)
            report["classroom"] = c
            ok &= correct and timely
    except Exception as exc:  # noqa: BLE001 - reported, and the run fails
        report["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        report["server"] = server.alive() or "still running"
        ok = False
    finally:
        report["loadavg_at_end"] = [round(x, 1) for x in os.getloadavg()]
        server.close()
    report["ok"] = bool(ok)
    if ok:
        shutil.rmtree(own, ignore_errors=True)
    else:
        report["kept"] = f"{own}: the servers' logs and files, to read"
    print(json.dumps(report, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
