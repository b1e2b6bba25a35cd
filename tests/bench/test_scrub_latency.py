"""The in-page λ-step benchmark's instruments (normgen.bench.scrub_latency) on a tiny zoo: the pairs it scrubs
and one short run of both paths in Chromium (the timings themselves are the benchmark's output, never
asserted)."""

from __future__ import annotations

import pytest
from conftest_browser import build_tiny_zoo

from normgen.bench import scrub_latency as SL
from normgen.bench.explore_latency import missing


def test_every_scrubbed_pair_of_the_zoo_and_no_translator(tmp_path):
    build_tiny_zoo(tmp_path, models=("gan", "vae", "cyclegan"))
    assert SL.zoo_pairs(str(tmp_path)) == [("gan", "shapes"), ("vae", "shapes")]


@pytest.mark.slow
def test_both_paths_show_every_step_of_every_pair_and_slider(tmp_path):
    if missing():
        pytest.skip(missing())
    build_tiny_zoo(tmp_path)
    out = SL.run_scrub_latency(str(tmp_path), None, steps=4, pairs=tuple(SL.zoo_pairs(str(tmp_path))),
                               axes=("l1", "l2"), log=lambda _: None)
    for path in ("scrub", "round trip"):
        got = out["paths"][path]
        assert got["failed"] == 0 and got["n"] == 16
        assert {k: v["n"] for k, v in got["by_pair"].items()} == {
            f"{m} on shapes, {a}": 4 for m in ("gan", "vae") for a in ("L1", "L2")}
