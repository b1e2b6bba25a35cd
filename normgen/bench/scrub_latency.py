"""A λ step in Explore, measured in the page: scrubbed in the browser (normgen.app.tabs.explore_scrub)
against the server round trip of every step (`NORMGEN_EXPLORE_SCRUB=0`), in the same run.

Two copies of the app on loopback (normgen.bench.explore_latency.Server), each in its own process, on the
same zoo; one Chromium page each.
Per model and slider: the page opens at λ = 0 (the slice arrives with that view), one pass over the slider's
track warms both servers' caches (untimed: the round-trip path is measured at its best, every picture and
figure already drawn), then key presses on the slider, right to the end of the track and back, the two pages
interleaved step by step. Each step is timed **in the page**: from the keydown event to the animation
frame that finds the new grid loaded and the readout and the weight histogram changed.

Goal (issue 26): median <= 50 ms, p95 <= 100 ms for the scrubbed path. Run:
`python -m normgen.bench.scrub_latency [STEPS] [--every]` (NORMGEN_ZOO / NORMGEN_DATA as the app reads them;
the L1 slider of GAN and VAE on MNIST, or with `--every` both sliders of each model on each dataset of the zoo
that Explore scrubs), or as part of `python -m normgen bench --only explore-e2e` (every pair, both sliders).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from normgen.bench.explore_latency import CHROMIUM_ARGS, Server, chromium, missing, stats

GOAL_MEDIAN_S, GOAL_P95_S = 0.05, 0.10

# installed before a key press: at the keydown, what the page shows; then each animation frame until the
# step is shown (the "before" is taken at the key, so a reply to an earlier step is never taken for this one)
ARM_JS = """(axis) => {
  const q = (s) => document.querySelector(s);
  const shown = () => { const img = q('#explore-selected img'), r = q('#explore-' + axis + '-readout');
    const h = q('#explore-hist');
    const ok = img && img.complete && img.naturalWidth > 0;
    return [img ? img.src : '', r ? r.innerText : '', h ? h.innerHTML : '', ok]; };
  window.__step = {};
  q('#explore-' + axis + '-slider input[type=range]').addEventListener('keydown', () => {
    window.__step.key = performance.now();
    const before = shown();
    const tick = () => {
      const now = shown();
      if (now[0] !== before[0] && now[3] && now[1] !== before[1] && now[2] !== before[2]) {
        window.__step.done = performance.now(); return; }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, {once: true});
}"""
SHOWS_JS = ("(axis) => { const q = (s) => document.querySelector(s); return {slider: q('#explore-' + axis + "
            "'-slider input[type=range]').value, readout: (q('#explore-' + axis + '-readout') || {}).innerText, "
            "selected: (q('#explore-selected img') || {}).src, step: window.__normgenStep}; }")
READY_JS = ("() => window.normgenLinkReady === true && !!document.querySelector('#explore-selected img')"
            " && document.querySelector('#explore-selected img').complete")


def _open(page, url: str, model: str, dataset: str, axis: str) -> int:
    """Open Explore at `model` / `dataset`, λ = 0; returns the `axis` slider's last position."""
    page.goto(f"{url}?model={model}&dataset={dataset}&l1=0&l2=0")
    page.wait_for_function(READY_JS, timeout=180_000)
    page.wait_for_timeout(1500)  # the page load's follow-ups
    knob = page.locator(f"#explore-{axis}-slider input[type=range]").first
    return int(float(knob.get_attribute("max") or 0))


def _keys(top: int, n: int) -> list[str]:
    """`n` key presses: to the end of the track and back, again and again."""
    out: list[str] = []
    while len(out) < n:
        out += ["ArrowRight"] * top + ["ArrowLeft"] * top
    return out[:n]


def bench_scrub(servers: list[Server], pairs: list[tuple[str, str]], steps: int,
                log: Callable[[str], None], viewport: tuple[int, int] = (1280, 720),
                axes: tuple[str, ...] = ("l1",)) -> dict[str, Any]:
    """Per (model, dataset) and slider (`axes`), `steps` timed steps per server (see the module's doc); seconds
    per step, per server."""
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {s.name: [] for s in servers}
    by_pair: dict[str, dict[str, list[float]]] = {s.name: {} for s in servers}
    failed = {s.name: 0 for s in servers}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        pages = {s.name: browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}) for s in servers}
        for (model, dataset), axis in ((p, a) for p in pairs for a in axes):
            tops = {s.name: _open(pages[s.name], s.url, model, dataset, axis) for s in servers}
            top, what = min(tops.values()), f"{model} on {dataset}" + (f", {axis.upper()}" if len(axes) > 1 else "")
            if top < 1:
                log(f"    {what}: one stop, nothing to scrub")
                continue
            for s in servers:  # warm-up pass (untimed): every stop once
                page = pages[s.name]
                knob = page.locator(f"#explore-{axis}-slider input[type=range]").first
                knob.focus()
                for key in ["ArrowRight"] * top + ["Home"]:
                    page.evaluate(ARM_JS, axis)
                    knob.press(key)
                    try:
                        page.wait_for_function("() => window.__step.done !== undefined", timeout=120_000)
                    except Exception:  # noqa: BLE001 - Home on the first stop changes nothing
                        pass
                page.wait_for_timeout(1000)
            for i, key in enumerate(_keys(top, steps)):
                for s in servers:
                    page = pages[s.name]
                    knob = page.locator(f"#explore-{axis}-slider input[type=range]").first
                    knob.focus()
                    page.evaluate(ARM_JS, axis)
                    knob.press(key)
                    try:
                        page.wait_for_function("() => window.__step.done !== undefined", timeout=60_000,
                                               polling="raf")
                    except Exception as exc:  # noqa: BLE001 - a step that never shows: say so, go on
                        shows = page.evaluate(SHOWS_JS, axis)
                        log(f"    {s.name}: {what} step {i} {key}: no new grid within 60 s "
                            f"({type(exc).__name__}); the page shows {shows}")
                        failed[s.name] += 1
                        continue
                    st = page.evaluate("() => window.__step")
                    if "key" in st and "done" in st:
                        times[s.name].append((st["done"] - st["key"]) / 1000)
                        by_pair[s.name].setdefault(what, []).append(times[s.name][-1])
        browser.close()
    return {name: {**stats(ts), "failed": failed[name], "all": ts,
                   "by_pair": {k: stats(v) for k, v in by_pair[name].items()}} for name, ts in times.items()}


def zoo_pairs(root: str | None = None) -> list[tuple[str, str]]:
    """Every (model, dataset) of the zoo that Explore's sliders scrub: all but the translators."""
    from normgen.models import family
    from normgen.service.zoo_access import get_index

    seen = dict.fromkeys((e.model, e.dataset) for e in get_index(root).entries)
    return [p for p in seen if not family(p[0]).translates]


def run_scrub_latency(root: str | None = None, data_root: str | None = None, *, steps: int = 24,
                      pairs: tuple[tuple[str, str], ...] = (("gan", "mnist"), ("vae", "mnist")),
                      axes: tuple[str, ...] = ("l1",), log: Callable[[str], None] = print) -> dict[str, Any]:
    """The section: launch both servers, time the steps; returns seconds per path and the goal's verdict."""
    why = missing()
    if why:
        log(f"  explore scrub: skipped ({why})")
        return {"skipped": why}
    from normgen.service.zoo_access import get_index

    have = {(e.model, e.dataset) for e in get_index(root).entries}
    pairs = tuple(p for p in pairs if p in have)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    servers: list[Server] = []
    try:
        servers.append(Server("scrub", {}, root, data_root))
        servers.append(Server("round trip", {"NORMGEN_EXPLORE_SCRUB": "0"}, root, data_root))
        shown = ", ".join(f"{m} on {d}" for m, d in pairs)
        log(f"  scrub: {' and '.join(a.upper() for a in axes)} steps ({shown}), {steps} per model, slider and "
            f"path, in Chromium (load average {load:.1f})")
        res = bench_scrub(servers, list(pairs), steps, log, axes=axes)
    finally:
        for s in servers:
            s.close()
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    new, old = res["scrub"], res["round trip"]
    for name, r in res.items():
        log(f"    {name}: median {r['median'] * 1000:.1f} ms, p95 {r['p95'] * 1000:.1f} ms, max "
            f"{r['max'] * 1000:.1f} ms (n={r['n']}, {r['failed']} failed)")
        if len(r["by_pair"]) > 1:
            log("      " + "; ".join(f"{k} {v['median'] * 1000:.0f} / {v['p95'] * 1000:.0f} ms"
                                   for k, v in r["by_pair"].items()))
    meets = bool(new["n"] and new["median"] <= GOAL_MEDIAN_S and new["p95"] <= GOAL_P95_S)
    log(f"  goal (scrub median <= {GOAL_MEDIAN_S * 1000:.0f} ms, p95 <= {GOAL_P95_S * 1000:.0f} ms): "
        f"{'met' if meets else 'NOT met'}; round trip / scrub: {old['median'] / new['median']:.1f}x median")
    return {"paths": res, "load_average": [load, load_after], "meets_goal": meets,
            "goal": {"median_s": GOAL_MEDIAN_S, "p95_s": GOAL_P95_S}}


if __name__ == "__main__":
    import json

    args = [a for a in sys.argv[1:] if a != "--every"]
    n = int(args[0]) if args else 24
    zoo = os.environ.get("NORMGEN_ZOO") or None
    chosen = {"pairs": tuple(zoo_pairs(zoo)), "axes": ("l1", "l2")} if "--every" in sys.argv else {}
    out = run_scrub_latency(zoo, os.environ.get("NORMGEN_DATA") or None, steps=n, **chosen)
    print(json.dumps({k: v for k, v in out.items()}, default=float))
