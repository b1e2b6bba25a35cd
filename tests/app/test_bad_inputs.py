"""Bad input on the public endpoints of the launched app (issue 14), through gradio_client and raw HTTP:
every one answers with a message naming the field and its range (never Gradio's bare "an exception
was raised"), a seed of 1.5 is refused rather than rounded, and a huge seed neither reaches the page
as an integer it cannot hold (New noise, Train this setting) nor ends the caller's event stream."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from test_api import EXPLORE, TRAIN
from ui_zoo import build_tiny_zoo

pytestmark = pytest.mark.slow

SEED = r"seed must be an integer in \[0, 2147483647\]"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from gradio_client import Client

    from normgen.app import build_demo

    zoo = build_tiny_zoo(tmp_path_factory.mktemp("zoo"), steps=2).parent
    demo = build_demo(root=str(zoo))
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True,
                            ssr_mode=False)
    try:
        yield Client(url, verbose=False), url, demo
    finally:
        demo.close()


def test_explore_seed_abc_names_the_seed_and_its_range(app):
    from gradio_client.exceptions import AppError

    client, _, _ = app
    with pytest.raises(AppError, match=rf"^{SEED}, got 'abc'$"):
        client.predict(**EXPLORE, seed="abc", api_name="/explore")


def test_a_refusal_is_told_to_the_caller_and_leaves_the_servers_log_quiet(app, capfd):
    """A refused value (checked before the handler, or by it) reaches the caller; the server prints no traceback
    for it (Gradio prints one per gr.Error: a flood of bad calls would bury a real error)."""
    from gradio_client.exceptions import AppError

    client, _, _ = app
    capfd.readouterr()
    with pytest.raises(AppError, match=SEED):
        client.predict(**EXPLORE, seed="abc", api_name="/explore")  # the event's own check (app.events)
    with pytest.raises(AppError, match="No run in this session"):
        client.predict(api_name="/train_result")  # the handler's
    with pytest.raises(AppError, match="l1 must be a number"):
        client.predict("abc", 0, api_name="/train_lambda")
    err = capfd.readouterr().err
    assert "Traceback" not in err and "gradio.exceptions.Error" not in err, err[-2000:]


@pytest.mark.parametrize(("seed", "message"), [
    (1.5, rf"{SEED}, got 1.5: not a whole number \(it is not rounded\)"),
    (1e308, rf"{SEED}, got 1e\+308"),
    (None, rf"{SEED}, got nothing \(empty\)"),
    (-1, rf"{SEED}, got -1"),
    ("9" * 400, rf"{SEED}, got '9+\.\.\."),
])
def test_explore_bad_seeds(app, seed, message):
    from gradio_client.exceptions import AppError

    client, _, _ = app
    with pytest.raises(AppError, match=f"^{message}$"):
        client.predict(**EXPLORE, seed=seed, api_name="/explore")


def test_explore_bad_choices_name_the_field(app):
    from gradio_client.exceptions import AppError

    client, _, _ = app
    with pytest.raises(AppError, match=r"^model must be one of: gan, vae, cgan, dcgan; got 'diffusion'$"):
        client.predict(**{**EXPLORE, "model": "diffusion"}, seed=0, api_name="/explore")


def _raw_call(url: str, api: str, data: list) -> str:
    """POST a JSON body the client would refuse to write (NaN), then read the event stream."""
    import httpx

    base = url.rstrip("/")
    body = json.dumps({"data": data})  # allow_nan: the token NaN, which the server's JSON parser accepts
    r = httpx.post(f"{base}/gradio_api/call/{api}", content=body, headers={"content-type": "application/json"},
                   timeout=60)
    r.raise_for_status()
    with httpx.stream("GET", f"{base}/gradio_api/call/{api}/{r.json()['event_id']}", timeout=120) as s:
        return s.read().decode()


def _defaults(client, api: str, **values) -> list:
    params = client.view_api(print_info=False, return_format="dict")["named_endpoints"][api]["parameters"]
    return [values.get(p["parameter_name"], p.get("parameter_default")) for p in params]


def test_explore_seed_nan_over_raw_http(app):
    client, url, _ = app
    events = _raw_call(url, "explore", _defaults(client, "/explore", **EXPLORE, seed=float("nan")))
    assert "event: error" in events
    assert "seed must be an integer in [0, 2147483647], got nan" in events


@pytest.mark.parametrize(("kw", "message"), [
    (dict(steps="abc"), r"steps \(this server allows at most \d+ per run\) must be an integer in \[1, \d+\], "
                        r"got 'abc'"),
    (dict(steps=None), r"steps \(this server allows at most \d+ per run\) must be an integer in \[1, \d+\], "
                       r"got nothing \(empty\)"),
    (dict(steps=40.5), r"must be an integer in \[1, \d+\], got 40.5: not a whole number"),
    (dict(seconds="abc"), r"seconds \(time budget; at most [\d.]+ on this server\) must be a number in "
                          r"\[1, [\d.]+\], got 'abc'"),
    (dict(seed="abc"), rf"{SEED}, got 'abc'"),
    (dict(seed=1.5), rf"{SEED}, got 1.5: not a whole number"),
    (dict(start="resume"), r"start must be one of: finetune, scratch; got 'resume'"),
    (dict(model="cyclegan", lambda_cyc=-1), r"^lambda_cyc \(weight of the cycle term\) must be a number in \[0, 100\], "
                                            r"got -1$"),
    (dict(model="cyclegan", lambda_id=1e9), r"^lambda_id \(weight of the identity term\) must be a number in "
                                            r"\[0, 100\], got 1000000000"),
    (dict(model="cyclegan", cycle_norm="l3"), r"^cycle_norm must be one of: l1, l2; got 'l3'$"),
])
def test_train_bad_inputs_name_the_field_and_the_range(app, kw, message):
    from gradio_client.exceptions import AppError

    client, _, _ = app
    with pytest.raises(AppError, match=message):
        client.predict(**{**TRAIN, **kw}, api_name="/train")


def test_the_stream_outlives_bad_calls(app):
    """After every bad call above, the same client still gets answers."""
    client, _, _ = app
    out = client.predict(**EXPLORE, seed=3, api_name="/explore")
    assert out[-2]["noise_seed"] == 3


def _dep(demo, fn_name: str):
    return next(d for d in demo.fns.values() if getattr(d.fn, "__name__", "") == fn_name)


def test_new_noise_never_sends_a_seed_the_page_cannot_hold(app):
    """The private New-noise event, run through Gradio's processing: a huge seed is refused with the
    message (it used to come back as a 309-digit integer that ended the event stream)."""
    import gradio as gr
    import orjson

    _, _, demo = app
    dep = _dep(demo, "new_seed")
    out = asyncio.run(demo.process_api(block_fn=dep, inputs=[41], state=None))
    assert out["data"] == [42]
    assert asyncio.run(demo.process_api(block_fn=dep, inputs=[2**31 - 1], state=None))["data"] == [0]
    orjson.dumps(out["data"])
    for bad in (1e308, "abc", 1.5):
        with pytest.raises(gr.Error, match=SEED):
            asyncio.run(demo.process_api(block_fn=dep, inputs=[bad], state=None))


def test_train_this_setting_copies_only_a_valid_seed(app):
    import gradio as gr

    _, _, demo = app
    dep = _dep(demo, "to_train")
    values = [1e308 if c.elem_id == "explore-seed" else c.value for c in dep.inputs]  # the controls as they are
    with pytest.raises(gr.Error, match=rf"{SEED}, got 1e\+308"):
        asyncio.run(demo.process_api(block_fn=dep, inputs=values, state=None))
    values = [5 if c.elem_id == "explore-seed" else c.value for c in dep.inputs]
    assert 5 in asyncio.run(demo.process_api(block_fn=dep, inputs=values, state=None))["data"]


# ----------------------------------------------------------------------------------------------
# issue 23: too few values, the page's own events, runs nobody asked for

def _events(text: str) -> list[tuple[str, object]]:
    """(event, data) of a /call event stream."""
    out, event = [], None
    for line in text.splitlines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            out.append((event, json.loads(line.removeprefix("data: "))))
    return out


def test_an_old_explore_call_with_eight_values_gets_the_defaults(app):
    """/explore grew from 8 values to 11: an API client written before gets the view, the three new values
    (train_size, dropout, loss) at their documented defaults; Gradio alone answered {"error": null}."""
    _, url, _ = app
    events = _events(_raw_call(url, "explore", [*EXPLORE.values(), 5]))
    assert events[-1][0] == "complete", events
    stats = next(o for o in events[-1][1] if isinstance(o, dict) and "noise_seed" in o)
    assert stats["noise_seed"] == 5 and stats["exact"] and stats.get("train_size", 0) == 0


def test_an_old_train_call_gets_the_defaults_or_a_named_refusal(app, monkeypatch):
    """/train grew to 17 values: a 13-value call (the one before the loss and the cycle GAN's controls) is
    read with the new four at their defaults, so its bad steps are named, never {"error": null}."""
    _, url, _ = app
    old = [*TRAIN.values(), 0, 0.0]
    assert len(old) == 13
    events = _events(_raw_call(url, "train", [*old[:8], 5000, *old[9:]]))
    assert events[-1][0] == "error"
    assert re.fullmatch(r"steps \(this server allows at most \d+ per run\) must be an integer in \[1, \d+\], "
                        r"got 5000", events[-1][1]["error"])


def _started(monkeypatch) -> list:
    """Every run /train starts from now on (normgen.app.tabs.train_handlers.start_run, recorded)."""
    import normgen.app.tabs.train_handlers as train_tab

    runs: list = []
    real = train_tab.start_run
    monkeypatch.setattr(train_tab, "start_run", lambda *a, **kw: runs.append(real(*a, **kw)) or runs[-1])
    return runs


@pytest.mark.parametrize(("kw", "field"), [
    (dict(steps=5000), r"steps \(this server allows at most \d+ per run\) must be an integer in \[1, \d+\]"),
    (dict(seconds=10_000), r"seconds \(time budget; at most [\d.]+ on this server\) must be a number in \[1, [\d.]+\]"),
    (dict(dropout=2), r"dropout \(a rate; 0 = off\) must be a number in \[0, 0.9\]"),
    (dict(model="cyclegan", lambda_cyc=1e9), r"lambda_cyc \(weight of the cycle term\) must be a number in \[0, 100\]"),
])
def test_train_out_of_range_is_refused_and_no_run_starts(app, monkeypatch, kw, field):
    """The server refuses the value as sent (never clamped to the slider's end) and starts nothing."""
    from gradio_client.exceptions import AppError

    client, _, _ = app
    runs = _started(monkeypatch)
    with pytest.raises(AppError, match=f"^{field}, got "):
        client.predict(**{**TRAIN, **kw}, api_name="/train")
    assert runs == []


def _estimate(demo, **values) -> str:
    """Train's time estimate (a private event) for the controls as they are but `values` (by elem_id)."""
    import gradio as gr

    dep = _dep(demo, "on_estimate")
    inputs = [values.get(c.elem_id, None if isinstance(c, gr.State) else c.value) for c in dep.inputs]
    return asyncio.run(demo.process_api(block_fn=dep, inputs=inputs, state=None))["data"][0]


@pytest.mark.parametrize(("values", "message"), [
    ({"train-l1-value": "abc"}, "l1 must be a number in [0, 10] such as 1e-4, got 'abc'"),
    ({"train-steps": 5000}, "must be an integer in [1, 3000], got 5000"),
    ({"train-dropout": 2}, "dropout (a rate; 0 = off) must be a number in [0, 0.9], got 2"),
    ({"train-lambda-cyc": 1e9}, "lambda_cyc (weight of the cycle term) must be a number in [0, 100], got 1000000000.0"),
    ({"train-seed": None}, "seed must be an integer in [0, 2147483647], got nothing (empty)"),
])
def test_trains_estimate_names_a_bad_value_in_its_line_never_a_toast(app, values, message):
    """The estimate follows every change of the controls: a bad value is said in its line (a toast there
    stacked on Start's refusal of the same value: two or three toasts for one λ_cyc of 1e9)."""
    _, _, demo = app
    text = _estimate(demo, **values)
    assert text.startswith("Warning: ") and message in text, text


def test_compares_noise_seed_is_named(app):
    import gradio as gr

    _, _, demo = app
    dep = _dep(demo, "on_point")
    values = ["abc" if c.elem_id == "compare-noise-seed" else c.value for c in dep.inputs]
    with pytest.raises(gr.Error) as exc:
        asyncio.run(demo.process_api(block_fn=dep, inputs=values, state=None))
    assert exc.value.message == "noise_seed must be an integer in [0, 2147483647], got 'abc'"


def test_train_this_setting_names_an_unknown_dataset(app):
    import gradio as gr

    _, _, demo = app
    dep = _dep(demo, "to_train")
    values = ["imagenet" if c.elem_id == "explore-dataset" else c.value for c in dep.inputs]
    with pytest.raises(gr.Error) as exc:
        asyncio.run(demo.process_api(block_fn=dep, inputs=values, state=None))
    assert re.fullmatch(r"dataset must be one of: shapes, mnist, .*; got 'imagenet'", exc.value.message)


def test_explores_follow_up_runs_only_after_a_view_that_succeeded(app):
    """The nearest-images view after each Explore view: chained with .success, so a refused view is one
    message, not two (the follow-up refused the same seed again)."""
    _, _, demo = app
    follow = [d for d in demo.fns.values() if getattr(d.fn, "__name__", "") == "on_nearest"
              and d.trigger_after is not None and demo.fns[d.trigger_after].fn.__name__ != "on_load"]
    assert len(follow) >= 5 and all(d.trigger_only_on_success for d in follow)
