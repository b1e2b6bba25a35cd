"""Explore's λ sliders, scrubbed in the browser: a slice of the zoo sent once, every step drawn in the page.

When the model, dataset or another control changes (one server call), the view also carries a **slice**:
for each λ slider, every stop it has (0 and the zoo's trained values) with everything a step changes —
the baseline and selected grids and their difference map (PNG files written once per entry and noise
seed, served from a static path), their captions, the readouts, the headline with its numbers (weight
statistics, FD with its spread) and the weight histogram as inline SVG drawn on axes fixed for the whole
slice (normgen.render.weight_svg). The page holds it in the hidden gr.HTML `scrub`, which preloads every
picture; a slider's `.input` runs `step_js` in the page (`fn=None`: no server call) and returns those
values to the components, so a step costs a lookup. When the slider rests (`SYNC_MS` after the last
step) the page asks the server once for the whole view where it rests: what a step does not change (the
table of numbers, the per-layer figures, the JSON, the link line and the query fragment the address bar
follows, the nearest images) and a fresh slice for the other slider (whose stops now sit at the new λ). Once
that view has landed, the page shows each slider's stop where it stands now (`resync_js`): a step taken while
the view was on its way is not painted over by it; a view older than the session's next one answers nothing
(normgen.service.view_order).

`NORMGEN_EXPLORE_SCRUB=0` wires the round-trip path instead (every step a server call), which
normgen.bench.scrub_latency measures against this one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from normgen.app.static_files import asset
from normgen.render.weight_svg import HistAxes, counts, slice_axes, weight_histogram_svg
from normgen.service.explore_images import SLICES
from normgen.service.explorer import ExploreResult, png_path
from normgen.words import sparsity_words
from normgen.zoo.index import ZooIndex
from normgen.zoo.select import SLIDERS
from normgen.zoo.views.explore_figures import drawn_parts, part_weights

SYNC_MS = 400  # the slider rested this long: the server fills in what a step does not change


def enabled() -> bool:
    """False with NORMGEN_EXPLORE_SCRUB=0: every λ step is a server round trip."""
    return os.environ.get("NORMGEN_EXPLORE_SCRUB", "1") != "0"


def file_url(path: str | None) -> str | None:
    """The URL path Gradio serves a static file under (the page puts its root in front), as its own
    postprocessing writes it, so the picture a step shows and the one the server sends are one file."""
    from gradio_client.utils import encode_file_path

    return f"/gradio_api/file={encode_file_path(path)}" if path else None


def _weights(index: ZooIndex, entry_id: str, parts: Sequence[str]) -> torch.Tensor:
    """The weights of `parts` of the zoo entry `entry_id` in one vector (explore_figures.part_weights; empty if
    unknown)."""
    e = index.get(entry_id)
    return torch.zeros(0) if e is None else part_weights(index, e, list(parts))


def _drawn(index: ZooIndex, st: dict[str, Any]) -> list[str]:
    """The parts the histogram draws: those of the view both files store (explore_figures.drawn_parts: a part a
    file lacks would show its seeded initialisation)."""
    base, sel = index.get(st["baseline"]["id"]), index.get(st["selected"]["id"])
    parts = list(st.get("parts") or [])
    return drawn_parts(base, sel, parts) if base is not None and sel is not None else parts


def _drawn_of(index: ZooIndex, ids: tuple[str, str] | None, parts: str | None) -> str | None:
    """`_drawn` for a stop's ("+"-joined) parts of the entries `ids` (baseline, selected)."""
    if not ids:
        return parts
    return "+".join(_drawn(index, {"baseline": {"id": ids[0]}, "selected": {"id": ids[1]},
                                   "parts": parts.split("+") if parts else []}))


def _hist_inputs(index: ZooIndex, r: ExploreResult) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The baseline's and the selected entry's weights over the parts the histogram draws (None: no view)."""
    st = r.stats
    if "baseline" not in st or "selected" not in st:
        return None
    parts = _drawn(index, st)
    return _weights(index, st["baseline"]["id"], parts), _weights(index, st["selected"]["id"], parts)


def _legend(r: ExploreResult) -> tuple[str, str]:
    return (sparsity_words("baseline (λ = 0)", r.stats["baseline"]["weights"]),
            sparsity_words("selected", r.stats["selected"]["weights"]))


def hist_svg(index: ZooIndex, r: ExploreResult, axes: HistAxes | None) -> str:
    """The view's weight histogram on `axes` (the slice's; None: axes of this pair alone), or a short note."""
    ws = _hist_inputs(index, r)
    if ws is None:
        return ""
    axes = axes or slice_axes(ws)
    parts = " + ".join(_drawn(index, r.stats))
    return weight_histogram_svg(axes, counts(ws[0], axes.lim), counts(ws[1], axes.lim), _legend(r),
                                title=f"Weights of the {parts}", alt=r.alt.get("weights", "Weight histogram"))


def _image(r: ExploreResult, name: str) -> dict[str, Any] | None:
    """A picture of the view as the page's js gets it: its file, URL path and alt text."""
    path = png_path(r, name)
    return {"path": path, "url": file_url(path), "alt": r.alt.get(name, "")} if path else None


def stop_view(r: ExploreResult, state: dict[str, Any], readouts: tuple[str, str]) -> dict[str, Any]:
    """One stop: every value a λ step changes on the page (`step_js` sets them), without its histogram."""
    has = "selected" in r.draw
    return {"l1": state["l1"], "l2": state["l2"], "readouts": list(readouts),
            "headline": r.headline, "baseline": _image(r, "baseline"), "selected": _image(r, "selected"),
            "diff": _image(r, "diff"), "baseline_caption": f"**{r.baseline_label}**" if has else "",
            "selected_caption": f"**{r.selected_label}**" if has else ""}


def _kept(key: tuple) -> list[dict[str, Any]] | None:
    """The stops of an axis sent before (service.explore_images.SLICES), unless a sweep removed a picture file."""
    got = SLICES.get(key)
    files = [s[k]["path"] for s in got or () for k in ("baseline", "selected", "diff") if s.get(k)]
    return got if got is not None and all(Path(f).exists() for f in files) else None


def build_slice(index: ZooIndex, key: tuple, values: dict[str, list[float]], state: dict[str, Any],
                stop: Callable[[str, float], dict[str, Any]]) -> tuple[str, HistAxes | None]:
    """The slice (JSON) for the view `state`: per axis ("l1" / "l2"), one stop per value of `values[axis]`,
    the other λ as in `state`; `stop(axis, λ)` gives a stop's view (`stop_view` | `stop_extras`).
    `key`: the view's settings without λ (the cache's key, with the axis and the other λ). Returns the
    JSON and the histogram axes shared by every stop of both axes."""
    axes_stops: dict[str, list[dict[str, Any]]] = {}
    for axis in SLIDERS:
        other = "l2" if axis == "l1" else "l1"
        k = (*key, axis, float(state[other]), tuple(values[axis]))
        got = _kept(k)
        if got is None:
            got = SLICES.put(k, [stop(axis, lam) for lam in values[axis]])
        axes_stops[axis] = got
    # the histograms: fixed axes over every weight vector of the slice, then one SVG per stop
    pairs = {(axis, i): (s.get("_ids"), _drawn_of(index, s.get("_ids"), s.get("_parts")))
             for axis in SLIDERS for i, s in enumerate(axes_stops[axis])}
    vectors: dict[str, torch.Tensor] = {}
    for ids, parts in pairs.values():
        for eid in ids or ():
            vectors.setdefault(f"{eid}|{parts}", _weights(index, eid, parts.split("+") if parts else []))
    axes = slice_axes(list(vectors.values())) if vectors else None
    out: dict[str, list[dict[str, Any]]] = {}
    for axis in SLIDERS:
        out[axis] = []
        for i, s in enumerate(axes_stops[axis]):
            view = {k: v for k, v in s.items() if not k.startswith("_")} | {"hist": ""}
            ids, parts = pairs[(axis, i)]
            if ids and axes is not None:
                wb, ws = (vectors[f"{eid}|{parts}"] for eid in ids)
                legend = (s["_legend"][0], s["_legend"][1])
                view["hist"] = weight_histogram_svg(axes, counts(wb, axes.lim), counts(ws, axes.lim), legend,
                                                    title=f"Weights of the {(parts or '').replace('+', ' + ')}",
                                                    alt=s["_alt"])
            out[axis].append(view)
    return json.dumps({"axes": out, "hist_axes": axes.key() if axes else ""}, separators=(",", ":")), axes


def stop_extras(r: ExploreResult) -> dict[str, Any]:
    """What `build_slice` needs of a stop's result to draw its histogram (dropped before it is sent)."""
    st = r.stats
    if "baseline" not in st or "selected" not in st:
        return {}
    return {"_ids": (st["baseline"]["id"], st["selected"]["id"]), "_parts": "+".join(st.get("parts") or []),
            "_legend": list(_legend(r)), "_alt": r.alt.get("weights", "Weight histogram")}


def step_js(axis: str) -> str:
    """The page's handler of the `axis` slider's .input (js=, fn=None; static/scrub-step.js): the slider's
    position picks the stop of its axis in the slice, whose values go straight to ExploreTab.step_outputs()
    (its inputs too, after the sliders and the slice: what it returns when it has no stop to show)."""
    if axis not in SLIDERS:
        raise ValueError(f"axis must be one of {SLIDERS}, got {axis!r}")
    return asset("scrub-step.js").replace("__AXIS__", axis)


def resync_js() -> str:
    """Run in the page once the view at rest has landed: the step of each slider where it stands now. A step
    taken while that view was on its way (no server call, so the server cannot know) would otherwise be
    painted over by the view's older grid, readouts and histogram. The L1 step goes first, then the L2 one:
    each shows its stop only where the other λ is the one held, so the slider that moved wins."""
    return (f"(p1, p2, raw, ...now) => {{ const l1 = {step_js('l1').strip()};\n"
            f"const l2 = {step_js('l2').strip()};\nreturn l2(p1, p2, raw, ...l1(p1, p2, raw, ...now)); }}")


def scrub_js() -> str:
    """The hidden `scrub` HTML's script (static/scrub.js): preloads every picture of the slice, so a step's
    <img> swap finds it in the memory cache, and asks the server for the rest of the view once a slider rests
    (window.normgenSyncMs, when a test sets it, stands for SYNC_MS: a slow driver is not a visitor resting)."""
    return asset("scrub.js").replace("__SYNC_MS__", str(SYNC_MS))


__all__ = ["build_slice", "enabled", "file_url", "hist_svg", "resync_js", "scrub_js", "step_js", "stop_extras",
           "stop_view", "SYNC_MS"]
