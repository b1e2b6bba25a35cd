"""Explore's grids drawn ahead of time: for every pair of checkpoints Explore can show (each setting of the
zoo beside its baseline, found with Explore's own `select`), the default model first, the pair's grids and
heat maps from the page's first noise seed and the numbers they come with (`explorer.show`), kept in this
process, so a view or a slice (which holds every stop of both λ sliders) loads no checkpoint. `start_prerender`
runs it in one daemon thread that works only while no Explore request is in flight (`cpu_share.Governor.idle_for`), so
a visitor never waits behind it. ~50 ms a pair on 2 cores.

The pass used to draw the pair's matplotlib figures too (0.5-1 s a pair, kept in a disk store); they are
inline SVG drawn per request now (normgen.render.bars_svg), so it draws none (issue 26).
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Callable, Iterator
from itertools import product

import torch

from normgen.checkpoints import CheckpointError
from normgen.service import inputs as I
from normgen.service.cpu_share import governor, lower_thread_priority
from normgen.service.explorer import png_path, show
from normgen.service.requests import ExploreQuery
from normgen.service.zoo_access import get_index, zoo_choices
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.select import Selection, select
from normgen.zoo.views.explore_figures import PAGE_FIGURES

IDLE_S = 0.4  # the background pass draws only after this long without an Explore request


def reachable_pairs(index: ZooIndex) -> Iterator[tuple[Selection, Entry, Entry]]:
    """(selection, baseline entry, selected entry) of every setting the Explore controls can ask for,
    each pair once, the default model and dataset first, full training sets before small ones."""
    seen: set[tuple] = set()
    models = sorted(zoo_choices(index)["model"], key=lambda m: (m != I.DEFAULT_MODEL, m))
    for model in models:
        datasets = sorted(zoo_choices(index, model)["dataset"], key=lambda d: (d != I.DEFAULT_DATASET, d))
        for dataset in datasets:
            for size in sorted(zoo_choices(index, model, dataset)["train_size"]):
                c = zoo_choices(index, model, dataset, size)
                for g_norm in c["g_norm"]:
                    for dropout in c["dropout"]:
                        for target in c["target"] or I.target_choices(model)[:1]:
                            for variant, l1, l2, loss in product(c["variant"], c["l1"], c["l2"], c.get("loss", ["ns"])):
                                s = select(index, ExploreQuery(model, dataset, g_norm, l1, l2, target, variant,
                                                               train_size=size, dropout=dropout, loss=loss))
                                if s.selected is None or s.baseline is None:
                                    continue
                                k = (s.baseline.id, s.selected.id)
                                if k not in seen:
                                    seen.add(k)
                                    yield s, s.baseline, s.selected


def prerender(root: str | None = None, *, limit: int = 1_000, wait_idle: Callable[[], None] | None = None,
              log: Callable[[str], None] | None = None, seed: int = I.DEFAULT_SEED) -> dict[str, float]:
    """Draw the pictures of every pair Explore can show (at most `limit` pairs) from noise `seed`, with the
    numbers they come with. Returns {"pairs", "grids", "seconds"}. `wait_idle` is called before each pair
    (the background pass waits there while visitors are served)."""
    t0 = time.perf_counter()
    pairs = warmed = 0
    try:
        index = get_index(root)
    except ValueError:
        return {"pairs": 0, "grids": 0, "seconds": 0.0}
    for s, _base, sel in reachable_pairs(index):
        if pairs >= limit or _STOP.is_set():
            break
        pairs += 1
        if wait_idle is not None:
            wait_idle()
            if _STOP.is_set():
                break
        try:
            r = show(index, s, seed, PAGE_FIGURES)
            warmed += sum(png_path(r, name) is not None for name in r.draw)
        except (CheckpointError, ValueError, OSError) as exc:  # a broken file: Explore explains it when asked
            if log:
                log(f"prerender: {sel.id}: {exc}")
    out = {"pairs": pairs, "grids": warmed, "seconds": time.perf_counter() - t0}
    if log:
        log(f"prerender: {pairs} pairs, {warmed} pictures warmed in {out['seconds']:.1f} s")
    return out


_STARTED: dict[str, threading.Thread] = {}
_STOP = threading.Event()  # set at interpreter exit: the pass ends after its current pair


def _stop_at_exit() -> None:
    """End the background passes before the interpreter finalizes: a daemon thread still inside torch
    when the process exits aborts it ("terminate called without an active exception", exit code 134)."""
    _STOP.set()
    for t in list(_STARTED.values()):
        t.join(30)


def start_prerender(root: str | None = None) -> threading.Thread | None:
    """The background pass for the zoo at `root` (once per zoo and process; None when turned off)."""
    if os.environ.get("NORMGEN_PRERENDER", "1") == "0":
        return None
    key = str(root)
    if key in _STARTED:
        return _STARTED[key]

    def wait_idle() -> None:
        while not governor().idle_for(IDLE_S) and not _STOP.is_set():
            time.sleep(0.1)

    def work() -> None:
        lower_thread_priority()  # nicer than the server's threads
        torch.set_num_threads(1)  # this thread only (OpenMP's count is per thread): visitors keep the cores
        prerender(root, wait_idle=wait_idle, log=lambda msg: print(f"normgen {msg}", flush=True))

    t = threading.Thread(target=work, name="normgen-prerender", daemon=True)
    if not _STARTED:
        atexit.register(_stop_at_exit)
    _STARTED[key] = t
    t.start()
    return t


def wait_prerender(root: str | None = None, timeout: float | None = None) -> bool:
    """Wait for the background pass of the zoo at `root` to end (True when it has, or none was started)."""
    t = _STARTED.get(str(root))
    if t is None:
        return True
    t.join(timeout)
    return not t.is_alive()


__all__ = ["prerender", "reachable_pairs", "start_prerender", "wait_prerender", "IDLE_S"]
