"""The launched app through gradio_client (loopback, ports 7930-7949): a λ changed while a run trains
reaches the run (its history, the JSON summary), a cancelled run's result goes to the client that
started it and to no one else with no server paths, and a flood of /train submissions is refused at
once while /explore keeps answering (issue #14: Gradio's queue limit counts every event)."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from ui_zoo import build_tiny_zoo

pytestmark = pytest.mark.slow

EXPLORE = dict(model="gan", dataset="shapes", g_norm="none", l1=0.001, l2=0.0, target="generator", variant="loss")
TRAIN = dict(EXPLORE, l1=1e-4, seed=0, steps=3000, seconds=120, start="finetune")


def _free_port(lo: int = 7930, hi: int = 7949) -> int:
    for port in range(lo, hi + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {lo}-{hi}")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from normgen.app import build_demo
    from normgen.service import admission as A

    old = A.set_admission(A.Admission(slots=1, per_session=1, max_runs=3))
    zoo = build_tiny_zoo(tmp_path_factory.mktemp("zoo")).parent
    demo = build_demo(root=str(zoo))
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True,
                            quiet=True, ssr_mode=False)
    try:
        yield url
    finally:
        demo.close()
        A.set_admission(old)


def _client(url: str):
    import httpx
    from gradio_client import Client

    # httpx's default 5 s read timeout: on a busy 2-core machine a cancel or a result can take longer
    return Client(url, verbose=False, httpx_kwargs={"timeout": httpx.Timeout(120, connect=60)})


def _wait_for_step(job, step: int, timeout: float = 90) -> dict:
    """The JSON summary of the first streamed update at or past `step`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        outs = job.outputs()
        if outs and outs[-1][7] and outs[-1][7].get("step", 0) >= step:
            return outs[-1][7]
        time.sleep(0.2)
    raise AssertionError(f"no update at step {step} within {timeout} s")


def test_the_train_endpoints_are_public_with_named_parameters(app):
    eps = _client(app).view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/train", "/train_lambda", "/train_result"} <= set(eps)
    assert [p["parameter_name"] for p in eps["/train_lambda"]["parameters"]] == ["l1", "l2"]
    assert eps["/train_result"]["parameters"] == []


def test_lambda_changed_mid_run_shows_in_its_history_and_the_result_goes_to_its_client(app):
    from gradio_client.exceptions import AppError

    client = _client(app)
    job = client.submit(**TRAIN, api_name="/train")
    before = _wait_for_step(job, 10)
    said = client.predict(l1=1e-2, l2=1e-3, api_name="/train_lambda")
    assert "L1 λ 1e-4 → 1e-2" in said and "from the next step" in said
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        summary = job.outputs()[-1][7]
        if summary["lambda_changes"] and summary["step"] >= summary["lambda_changes"][0]["step"] + 10:
            break
        time.sleep(0.2)
    job.cancel()
    status, _grid, loss, _pen, _sparse, files, command, summary, *_ = client.predict(api_name="/train_result")
    changes = summary["lambda_changes"]
    assert [(c["name"], c["old"], c["new"]) for c in changes] == [("l1", 1e-4, 1e-2), ("l2", 0.0, 1e-3)]
    assert changes[0]["step"] >= before["step"] and summary["lambdas"] == {"l1": 1e-2, "l2": 1e-3}
    assert summary["status"] == "stopped" and "at step" in status and "L1 λ 1e-4 → 1e-2" in status
    # the change is a marker series on the loss curve
    assert f"[{changes[0]['step']}, " in str(loss) and "λ changed" in str(loss)
    # the downloads come back to this client; the JSON holds file names, never server paths
    suffixes = sorted(Path(f if isinstance(f, str) else f["value"]).suffix for f in files)
    assert suffixes == [".json", ".png", ".safetensors"]
    assert all("/" not in v for v in summary["files"].values()) and "/tmp" not in str(summary)
    assert "not the schedule" in command
    with pytest.raises(AppError, match="No run in this session"):  # another client never sees it
        _client(app).predict(api_name="/train_result")


def test_a_flood_of_train_submissions_is_refused_at_once_and_explore_keeps_answering(app):
    from gradio_client.exceptions import AppError

    flood = _client(app)
    first = flood.submit(**TRAIN, api_name="/train")
    _wait_for_step(first, 1)
    jobs = [flood.submit(**TRAIN, api_name="/train") for _ in range(65)]
    others = [_client(app) for _ in range(3)]  # three more visitors: two fit in line, the third is refused
    queued = [c.submit(**TRAIN, api_name="/train") for c in others[:2]]
    t0 = time.monotonic()
    refused = 0
    for j in jobs:
        try:
            j.result(timeout=120)
        except AppError as exc:
            assert "You already have a run training or waiting" in str(exc)
            refused += 1
    assert refused == 65 and time.monotonic() - t0 < 120  # at once: not after a run (minutes)
    time.sleep(1.0)
    with pytest.raises(AppError, match=r"The server is busy: 3 runs are training or waiting.*try again in about"):
        others[2].predict(**TRAIN, api_name="/train")
    # the second visitor waits in line and is told its place and wait
    # (the two reach the server in either order: one is 1st in line and the other 2nd)
    def said(job) -> str:
        return " ".join(o[0] for o in job.outputs() if o and o[0])

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not all("in line, about" in said(q) for q in queued):
        time.sleep(0.2)
    places = sorted(next(p for p in ("1st", "2nd") if f"{p} in line, about" in said(q)) for q in queued)
    assert places == ["1st", "2nd"]
    # Explore answers while the line is full, from several visitors at once
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda c: c.predict(**EXPLORE, seed=0, api_name="/explore"), [*others, flood]))
    assert all(o and o[0] for o in outs)
    for j in (first, *queued):
        j.cancel()
    from normgen.service.admission import admission

    deadline = time.monotonic() + 60
    while admission().counts() != {"running": 0, "waiting": 0} and time.monotonic() < deadline:
        time.sleep(0.2)
    assert admission().counts() == {"running": 0, "waiting": 0}  # cancelled runs leave the line
