"""The end-to-end Explore benchmark's instruments (normgen.bench.explore_latency) on a tiny zoo: its
statistics, the settings it asks for, and the server it launches answering /explore (the timings
themselves are the benchmark's output, never asserted)."""

from __future__ import annotations

import pytest
from conftest_browser import build_tiny_zoo

from normgen.bench import explore_latency as EL
from normgen.service.zoo_access import get_index


def test_stats_median_and_nearest_rank_p95():
    s = EL.stats([float(i) for i in range(1, 21)])
    assert s == {"n": 20, "median": 10.5, "p95": 19.0, "max": 20.0}
    assert EL.stats([])["n"] == 0


def test_api_settings_are_distinct_entries_of_the_dataset(tmp_path):
    index = build_tiny_zoo(tmp_path)
    got = EL.api_settings(index, "shapes", 50)
    keys = [tuple(sorted(s.items())) for s in got]
    assert len(keys) == len(set(keys)) >= 6
    assert {s["model"] for s in got} == {"gan", "vae"} and all(s["dataset"] == "shapes" for s in got)
    assert any(s["l1"] > 0 for s in got) and any(s["l2"] > 0 for s in got)


@pytest.mark.slow
def test_the_launched_server_answers_explore(tmp_path):
    if EL.missing():
        pytest.skip(EL.missing())
    from gradio_client import Client

    build_tiny_zoo(tmp_path)
    server = EL.Server("new", {}, str(tmp_path), None)
    try:
        kw = EL.api_settings(get_index(str(tmp_path)), "shapes", 1)[0]
        out = Client(server.url, verbose=False).predict(**kw, api_name="/explore")
        assert out[-2]["exact"] and out[-2]["selected"]["l1"] == pytest.approx(kw["l1"])
    finally:
        server.close()
    assert server.proc.poll() is not None
