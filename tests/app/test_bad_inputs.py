"""Bad input on the public endpoints of the launched app (issue 14), through gradio_client and raw HTTP:
every one answers with a message naming the field and its range (never Gradio's bare "an exception
was raised"), a seed of 1.5 is refused rather than rounded, and a huge seed neither reaches the page
as an integer it cannot hold (New noise, Train this setting) nor ends the caller's event stream."""

from __future__ import annotations

import asyncio
import json

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


@pytest.mark.parametrize(("seed", "message"), [
    (1.5, rf"{SEED}, got 1.5: not a whole number \(it is not rounded\)"),
    (1e308, rf"{SEED}, got 1e\+308"),
    (None, rf"{SEED}, got None"),
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
    (dict(steps=None), r"steps \(this server allows at most \d+ per run\) must be an integer in \[1, \d+\], got None"),
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
