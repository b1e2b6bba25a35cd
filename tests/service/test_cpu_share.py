"""The server's CPU share while a run trains (service/cpu_share.py), on simulated clocks."""

from __future__ import annotations

import threading

from normgen.service.cpu_share import Governor, explore_cores


class FakeLoad:
    """A server whose CPU runs at `cores` while wall time passes (sleeping advances both)."""

    def __init__(self, cores: float) -> None:
        self.now, self.cpu_s, self.cores = 0.0, 0.0, cores

    def advance(self, s: float) -> None:
        self.now += s
        self.cpu_s += s * self.cores

    def governor(self, cap: float, **kw) -> Governor:
        return Governor(cap, cpu=lambda: self.cpu_s, clock=lambda: self.now, sleep=self.advance, **kw)


def test_no_wait_while_no_run_trains():
    load = FakeLoad(2.0)
    g = load.governor(0.5)
    g.use()
    load.advance(1.0)
    assert g.wait() == 0.0


def test_a_view_waits_while_the_server_is_over_its_share_and_a_run_trains():
    load = FakeLoad(1.5)  # over a 0.8 share
    g = load.governor(0.8, max_wait_s=0.3)
    g.training(True)
    g.use()
    load.advance(1.0)
    waited = g.wait()
    assert 0.29 <= waited <= 0.31  # the bound: the load never drops here


def test_a_view_passes_once_the_server_is_under_its_share():
    load = FakeLoad(1.5)
    g = load.governor(0.8, window_s=1.0, max_wait_s=5.0)
    g.training(True)
    g.use()
    load.advance(1.0)
    load.cores = 0.0  # waiting views use no CPU: the window's average falls
    waited = g.wait()
    assert 0.0 < waited < 1.0


def test_under_its_share_a_view_does_not_wait():
    load = FakeLoad(0.5)
    g = load.governor(0.8)
    g.training(True)
    g.use()
    load.advance(1.0)
    assert g.wait() == 0.0


def test_the_share_ends_with_the_last_run_and_a_cap_of_zero_turns_it_off():
    load = FakeLoad(2.0)
    g = load.governor(0.8, max_wait_s=0.3)
    g.training(True)
    g.training(True)
    g.training(False)
    assert g.active
    g.training(False)
    g.training(False)  # never below zero
    assert not g.active
    g.training(True)
    assert g.active
    off = load.governor(0.0)
    off.training(True)
    assert not off.active and off.wait() == 0.0


def test_concurrent_views_each_wait_within_the_bound():
    g = Governor(0.0001, max_wait_s=0.2)  # real clocks; any CPU use is over this share
    g.training(True)
    g.use()
    waits: list[float] = []
    threads = [threading.Thread(target=lambda: waits.append(g.wait())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(waits) == 4 and max(waits) <= 0.5


def test_explore_cores_reads_the_environment(monkeypatch):
    monkeypatch.setenv("NORMGEN_EXPLORE_CORES", "1.25")
    assert explore_cores() == 1.25
    monkeypatch.setenv("NORMGEN_EXPLORE_CORES", "lots")
    assert explore_cores() == 0.6


def test_an_explore_request_is_counted_in_flight_and_runs_on_one_thread():
    import torch

    load = FakeLoad(0.0)
    g = load.governor(0.6)
    load.advance(10.0)
    before = torch.get_num_threads()
    assert g.idle_for(5.0) and g.run_threads(2) == 2  # nobody has asked: a run keeps both threads
    with g.explore():
        assert torch.get_num_threads() == 1
        assert not g.idle_for(0.0) and g.run_threads(2) == 1  # a request in flight: the run gives one back
    assert torch.get_num_threads() == before
    load.advance(1.0)
    assert not g.idle_for(2.0) and g.run_threads(2) == 1  # ended 1 s ago: still serving
    load.advance(1.5)
    assert g.idle_for(2.0) and g.run_threads(2) == 2  # quiet for EXPLORE_QUIET_S: every thread again
    assert g.run_threads(1) == 1  # one thread is never taken away


def test_a_request_that_raises_still_leaves_the_flight():
    load = FakeLoad(0.0)
    g = load.governor(0.6)
    try:
        with g.explore():
            raise ValueError("bad input")
    except ValueError:
        pass
    load.advance(3.0)
    assert g.idle_for(2.0)
