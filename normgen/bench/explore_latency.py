"""What a visitor waits for when a λ changes in Explore, end to end: the first visitor of a setting against
a later one, in the same run.

Nothing draws ahead of time any more: until issue 26 a background pass sampled every pair of the zoo from the
page's first noise seed at start (7-11 s on 2 cores), so that the first visitor of a setting met warm
caches. This measures what that pass could buy at most. Two copies of the app are launched on loopback,
each in its own process (`python -c` running `build_demo()` and `launch`, as app.py does), on the same zoo,
both with a server round trip per λ step (`NORMGEN_EXPLORE_SCRUB=0`, so each step costs the server's view;
the in-page scrub is normgen.bench.scrub_latency's):

- **first**: every setting is asked for the first time (its checkpoints sampled, its pictures drawn);
- **later**: the same settings were each asked once before (untimed), as a pass ahead of time would have.

Timed, the two servers interleaved request by request:

1. **API**: `gradio_client.Client.predict(..., api_name="/explore")`, files downloaded, on the
   Fashion-MNIST entries;
2. **browser**: Debian's Chromium driven by Playwright; per step, one key press on the L1 or L2
   slider (as a drag step does), timed until the selected grid's <img> shows a new, fully loaded
   picture and the slider's readout has changed, on the MNIST entries (so neither part sees the
   other's). Timed twice: **in the page** (from the keydown event to the animation frame that finds the
   new picture decoded: what the visitor waits for) and **by the driver** (Python's clock around the key
   press and the wait, which adds Playwright's own round trips).

Reported: median and p95 seconds of each, the ratio first / later, and the goal (browser, in the page, the
first visitor: median <= 0.3 s, p95 <= 0.6 s). Needs gradio_client and playwright + Chromium (else the
section says why). Run: `python -m normgen bench --only explore-e2e` or `python -m normgen.bench.explore_latency`.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GOAL_MEDIAN_S, GOAL_P95_S = 0.3, 0.6
API_DATASET, BROWSER_DATASET = "fashion", "mnist"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
# the server: build_demo() launched as app.py does (a string run by `python -c`, so the benchmark
# package never imports the app)
SERVE = """
import sys, time
from normgen.app import build_demo
from normgen.app.style import launch_kwargs
t0 = time.perf_counter()
demo = build_demo(sys.argv[2] or None, sys.argv[3] or None)
demo.launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), prevent_thread_lock=True, quiet=True,
            ssr_mode=False, **launch_kwargs())
print(f"WARM {time.perf_counter() - t0:.1f}", flush=True)
print("READY", flush=True)
while True:
    time.sleep(3600)
"""


def missing() -> str | None:
    """Why the end-to-end benchmark cannot run here (None when it can)."""
    try:
        import gradio_client  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"needs gradio_client and playwright ({exc.name} is not installed)"
    if chromium() is None:
        return "needs Chromium (Debian: apt-get install -y chromium; never `playwright install`)"
    return None


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stats(xs: list[float]) -> dict[str, float]:
    """median, p95 (nearest rank) and max of `xs` (seconds), and how many."""
    if not xs:
        return {"n": 0, "median": float("nan"), "p95": float("nan"), "max": float("nan")}
    s = sorted(xs)
    return {"n": len(s), "median": statistics.median(s), "p95": s[min(len(s) - 1, round(0.95 * (len(s) - 1)))],
            "max": s[-1]}


class Server:
    """One app process on a free loopback port; `close()` ends it."""

    def __init__(self, name: str, env: dict[str, str], root: str | None, data_root: str | None,
                 timeout: float = 180.0) -> None:
        self.name, self.port, self.warm_s = name, free_port(), float("nan")
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc = subprocess.Popen([sys.executable, "-c", SERVE, str(self.port), root or "", data_root or ""],
                                     env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, cwd=Path(__file__).resolve().parents[2])
        end = time.monotonic() + timeout
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("WARM "):
                self.warm_s = float(line.split()[1])
            if line.strip() == "READY":
                break
            if time.monotonic() > end:
                break
        if self.proc.poll() is not None:
            raise RuntimeError(f"the {name} app exited with {self.proc.returncode}")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def api_settings(index: Any, dataset: str, n: int) -> list[dict[str, Any]]:
    """Up to `n` distinct /explore arguments on `dataset`: each model's L1 then L2 values (full data)."""
    from normgen.zoo.select import zoo_choices
    from normgen.zoo.views.explore_figures import shown_parts

    out = []
    for model in zoo_choices(index)["model"]:
        c = zoo_choices(index, model, dataset, 0)
        if not c["l1"] or dataset not in zoo_choices(index, model)["dataset"]:
            continue
        base = index.baseline(model=model, dataset=dataset)
        if base is None:
            continue
        for which in ("l1", "l2"):
            for v in c[which][1:]:
                e = index.nearest(model=model, dataset=dataset, l1=v if which == "l1" else 0.0,
                                  l2=v if which == "l2" else 0.0, relax=("variant", "target"), train_size=0,
                                  group=0.0, act=0.0, dropout=0.0, g_norm="none")
                if e is None:
                    continue
                out.append({"model": model, "dataset": dataset, "g_norm": "none", "l1": e.l1, "l2": e.l2,
                            "target": shown_parts(e)[0] if e.target != "both" else "both", "variant": e.variant,
                            "seed": 0, "train_size": 0, "dropout": 0.0})
    seen, unique = set(), []
    for s in out:
        k = tuple(sorted(s.items()))
        if k not in seen:
            seen.add(k)
            unique.append(s)
    return unique[:n]


def bench_api(servers: list[Server], settings: list[dict[str, Any]], log: Callable[[str], None]) -> dict:
    from gradio_client import Client

    clients = {s.name: Client(s.url, verbose=False) for s in servers}
    times: dict[str, list[float]] = {s.name: [] for s in servers}
    for i, kw in enumerate(settings):
        order = servers if i % 2 == 0 else servers[::-1]
        for s in order:
            t0 = time.perf_counter()
            clients[s.name].predict(**kw, api_name="/explore")
            times[s.name].append(time.perf_counter() - t0)
    return {name: {**stats(ts), "all": ts} for name, ts in times.items()}


# the new grid is shown (a new src, loaded) and the readout shows the new λ
WAIT_JS = """([before, which, readout]) => {
  const img = document.querySelector('#explore-selected img');
  const r = document.querySelector('#explore-' + which + '-readout');
  return img && img.src && img.src !== before && img.complete && img.naturalWidth > 0
         && r && r.innerText !== readout;
}"""


# installed before a key press: the keydown's time, then each animation frame until the new grid is shown
ARM_JS = """([before, which, readout]) => {
  window.__step = {};
  const knob = document.querySelector('#explore-' + which + '-slider input[type=range]');
  knob.addEventListener('keydown', () => { window.__step.key = performance.now(); }, {once: true});
  const tick = () => {
    const img = document.querySelector('#explore-selected img');
    const r = document.querySelector('#explore-' + which + '-readout');
    if (img && img.src && img.src !== before && img.complete && img.naturalWidth > 0 && r && r.innerText !== readout) {
      window.__step.done = performance.now();
      return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def _steps(page, which: str) -> list[str]:
    knob = page.locator(f"#explore-{which}-slider input[type=range]").first
    top = int(float(knob.get_attribute("max") or 0))
    return ["Home"] + ["ArrowRight"] * top


def bench_browser(servers: list[Server], models: list[str], log: Callable[[str], None],
                  viewport: tuple[int, int] = (1280, 720)) -> dict:
    """Per server, one page; per model, the L1 slider over its stops, then back to 0 and the L2 slider
    over its stops, one key press per step, each step timed until the new grid is shown. A step
    that lands on a pair already shown on that page is left out (not unseen)."""
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {s.name: [] for s in servers}
    driver: dict[str, list[float]] = {s.name: [] for s in servers}
    failed = {s.name: 0 for s in servers}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        pages = {}
        for s in servers:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.set_default_timeout(90_000)
            page.goto(f"{s.url}?model={models[0]}&dataset={BROWSER_DATASET}&l1=0&l2=0")
            page.wait_for_function("() => { const i = document.querySelector('#explore-selected img');"
                                   " return i && i.complete && i.naturalWidth > 0; }")
            pages[s.name] = (page, {(page.locator("#explore-selected-caption").inner_text(),
                                     page.locator("#explore-baseline-caption").inner_text())})
        for mi, model in enumerate(models):
            for s in servers:
                page, _ = pages[s.name]
                if mi:  # another model: not timed (it is not a λ change)
                    page.goto(f"{s.url}?model={model}&dataset={BROWSER_DATASET}&l1=0&l2=0")
                    page.wait_for_function("() => { const i = document.querySelector('#explore-selected img');"
                                           " return i && i.complete && i.naturalWidth > 0; }")
            for which in ("l1", "l2"):
                if which == "l2":  # L1 back to 0 first (not timed), so the L2 steps land on L2 entries
                    for s in servers:
                        page, _ = pages[s.name]
                        page.locator("#explore-l1-slider input[type=range]").first.focus()
                        page.keyboard.press("Home")
                        page.wait_for_function("() => document.querySelector('#explore-l1-readout')"
                                               ".innerText.includes('(off)')")
                        page.wait_for_timeout(1500)
                for k, key in enumerate(_steps(pages[servers[0].name][0], which)):
                    order = servers if k % 2 == 0 else servers[::-1]
                    for s in order:
                        page, shown = pages[s.name]
                        knob = page.locator(f"#explore-{which}-slider input[type=range]").first
                        before = page.locator("#explore-selected img").first.get_attribute("src")
                        readout = page.locator(f"#explore-{which}-readout").inner_text()
                        pos = knob.input_value()
                        knob.focus()
                        page.evaluate(ARM_JS, [before, which, readout])
                        t0 = time.perf_counter()
                        knob.press(key)
                        if knob.input_value() == pos:
                            continue  # Home on the first stop: nothing changed
                        try:
                            page.wait_for_function(WAIT_JS, arg=[before, which, readout], polling="raf",
                                                   timeout=60_000)
                        except Exception as exc:  # noqa: BLE001 - a step that never shows: say which, go on
                            log(f"    {s.name}: {model} {which} {pos} -> {knob.input_value()}: no new grid "
                                f"within 60 s ({type(exc).__name__})")
                            failed[s.name] += 1
                            continue
                        dt = time.perf_counter() - t0
                        step = page.evaluate("() => window.__step")
                        caption = page.locator("#explore-selected-caption").inner_text()
                        base = page.locator("#explore-baseline-caption").inner_text()
                        if (caption, base) not in shown and "key" in step and "done" in step:
                            shown.add((caption, base))
                            times[s.name].append((step["done"] - step["key"]) / 1000)
                            driver[s.name].append(dt)
        browser.close()
    return {name: {**stats(ts), "failed": failed[name], "all": ts, "driver": stats(driver[name])}
            for name, ts in times.items()}


def run_explore_latency(root: str | None = None, data_root: str | None = None, *, api_n: int = 16,
                        models: tuple[str, ...] = ("gan", "vae", "cgan"), log: Callable[[str], None] = print) -> dict:
    """The whole section: launch both servers, ask the later one every setting once (untimed), time the API and
    the browser on both; returns the figures (seconds) and their ratios."""
    why = missing()
    if why:
        log(f"  explore end to end: skipped ({why})")
        return {"skipped": why}
    from normgen.service.zoo_access import get_index

    index = get_index(root)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    servers: list[Server] = []
    try:
        for name in ("first", "later"):
            servers.append(Server(name, {"NORMGEN_EXPLORE_SCRUB": "0"}, root, data_root))
        later = servers[1]
        log(f"  servers up in {servers[0].warm_s:.1f} / {later.warm_s:.1f} s (nothing is drawn ahead of time)")
        settings = api_settings(index, API_DATASET, api_n)
        shown = [m for m in models if m in {e.model for e in index.entries}]
        t0 = time.perf_counter()
        bench_api([later], settings, log)  # the later visitor's server has seen every setting once (untimed)
        bench_browser([later], shown, log)
        log(f"  later: every setting asked once first, untimed ({time.perf_counter() - t0:.1f} s)")
        log(f"  API: {len(settings)} {API_DATASET} entries, each once per server (load average {load:.1f})")
        api = bench_api(servers, settings, log)
        log("    " + "; ".join(f"{k}: median {v['median']:.3f} s, p95 {v['p95']:.3f} s" for k, v in api.items()))
        log("  browser: λ slider steps on MNIST (Chromium, 1280x720)")
        web = bench_browser(servers, shown, log)
    finally:
        for s in servers:
            s.close()
    res = {"api": api, "browser": web, "load_average": load, "start_s": servers[0].warm_s,
           "goal": {"median_s": GOAL_MEDIAN_S, "p95_s": GOAL_P95_S}}
    for part, r in (("API round trip", api), ("browser, λ change to new grid (in the page)", web),
                    ("browser, the same steps timed by the driver", {k: v["driver"] for k, v in web.items()})):
        f, w = r["first"], r["later"]
        log(f"  {part}: first visitor median {f['median']:.3f} s, p95 {f['p95']:.3f} s (n={f['n']}); "
            f"later visitor median {w['median']:.3f} s, p95 {w['p95']:.3f} s (n={w['n']}); "
            f"first/later {f['median'] / w['median']:.2f}x median, {f['p95'] / w['p95']:.2f}x p95")
    b = web["first"]
    res["meets_goal"] = bool(b["median"] <= GOAL_MEDIAN_S and b["p95"] <= GOAL_P95_S)
    log(f"  goal (browser, first visitor: median <= {GOAL_MEDIAN_S} s, p95 <= {GOAL_P95_S} s): "
        f"{'met' if res['meets_goal'] else 'NOT met'} (median {b['median']:.3f} s, p95 {b['p95']:.3f} s)")
    return res


if __name__ == "__main__":
    import json

    out = run_explore_latency(os.environ.get("NORMGEN_ZOO") or None, os.environ.get("NORMGEN_DATA") or None)
    print(json.dumps({k: v for k, v in out.items()}, default=float))
