"""The launched app through gradio_client: the public endpoints /explore and /train, streaming,
cancel, bad input rejected with a message, and nothing else public. One app for the module."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from ui_zoo import build_tiny_zoo

from normgen.eval.structure import has_structure

pytestmark = pytest.mark.slow

EXPLORE = dict(model="gan", dataset="shapes", g_norm="none", l1=0.01, l2=0.0, target="generator", variant="loss")
TRAIN = dict(EXPLORE, seed=0, steps=40, seconds=60, start="finetune")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from gradio_client import Client

    from normgen.app import build_demo

    zoo = build_tiny_zoo(tmp_path_factory.mktemp("zoo")).parent
    demo = build_demo(root=str(zoo))
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True,
                            ssr_mode=False)
    try:
        yield Client(url, verbose=False), zoo
    finally:
        demo.close()


def test_build_demo_without_launching(tmp_path):
    import gradio as gr

    from normgen.app import build_demo

    demo = build_demo(root=str(tmp_path))  # an empty zoo still builds
    assert isinstance(demo, gr.Blocks)
    public = sorted(d.api_name for d in demo.fns.values() if d.api_visibility == "public")
    assert public == ["class_close", "class_export", "class_join", "class_open", "class_reopen", "class_reset",
                      "class_view", "explore", "train", "train_lambda", "train_result"]


def test_only_explore_and_train_are_public_with_named_parameters(app):
    client, _ = app
    eps = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert sorted(eps) == ["/class_close", "/class_export", "/class_join", "/class_open", "/class_reopen",
                           "/class_reset", "/class_view", "/explore", "/train", "/train_lambda", "/train_result"]
    # train_size and dropout came later: last, with defaults (0 = all images, no dropout), so older calls work
    ex, tr = eps["/explore"]["parameters"], eps["/train"]["parameters"]
    assert [p["parameter_name"] for p in ex] == [*EXPLORE, "seed", "train_size", "dropout", "loss"]
    assert [p["parameter_name"] for p in tr] == [*TRAIN, "train_size", "dropout", "loss", "lambda_cyc", "lambda_id",
                                                 "cycle_norm"]
    for p in ex[-3:-1] + tr[-6:-4]:
        assert p["parameter_has_default"] and p["parameter_default"] == 0, p
    for p in (ex[-1], tr[-4]):  # issue 15: the adversarial loss
        assert p["parameter_has_default"] and p["parameter_default"] == "ns", p
    # issue 16: the cycle GAN's λ_cyc, λ_id and cycle norm, the zoo baseline's by default
    assert [(p["parameter_has_default"], p["parameter_default"]) for p in tr[-3:]] == [(True, 10), (True, 0),
                                                                                        (True, "l1")]


def test_explore_returns_two_images_and_stats(app):
    client, _ = app
    out = client.predict(**EXPLORE, seed=3, api_name="/explore")
    # outputs (buttons are not part of the API): headline, baseline caption + image, selected caption +
    # image, diff, details, note, three figures, stats, link
    assert len(out) == 13
    headline, _cb, base, cs, sel, _diff, _details, _note, *_figs, stats, link = out
    assert "L1 λ = 1e-2" in cs
    a, b = Image.open(base), Image.open(sel)  # plain file paths, no update dicts
    assert a.size == b.size and a.size[0] > 500  # upscaled for a projector
    assert not np.array_equal(np.asarray(a), np.asarray(b))
    assert stats["exact"] and stats["noise_seed"] == 3 and "near_zero_pct" in stats["selected"]["weights"]
    assert "near-zero weights" in headline and "model=gan" in link and "l1=1e-2" in link


def test_explores_pictures_are_served_from_normgens_folders_not_copied(app):
    from gradio_client import Client

    from normgen.app import served_folders

    client, _ = app
    raw = Client(client.src, verbose=False, download_files=False)
    out = raw.predict(**EXPLORE, seed=4, api_name="/explore")
    pictures = [o for o in out if isinstance(o, dict) and o.get("path")]
    assert len(pictures) >= 3  # baseline, selected, difference (and the figures)
    folders = [Path(f).resolve() for f in served_folders()]
    for pic in pictures:  # each file where normgen wrote it, not a copy in Gradio's cache
        assert any(Path(pic["path"]).resolve().is_relative_to(f) for f in folders), pic["path"]
        assert pic["url"].endswith(Path(pic["path"]).name)


def test_explore_with_the_eight_old_arguments_and_with_a_small_training_set(app):
    client, _ = app
    old = client.predict(*EXPLORE.values(), 3, api_name="/explore")  # positional, as clients wrote it before
    assert old[-2]["selected"]["train_size"] == 0 and old[-2]["exact"]
    small = client.predict(**{**EXPLORE, "target": "discriminator", "l1": 0.0, "l2": 1e-2}, seed=0, train_size=40,
                           dropout=0.0, api_name="/explore")
    stats, link = small[-2], small[-1]
    assert stats["exact"] and stats["selected"]["train_size"] == 40 and stats["baseline"]["train_size"] == 40
    assert "D gap (logit)" in small[6] and "train_size=40" in link


def test_explore_rejects_bad_input_with_a_message(app):
    from gradio_client.exceptions import AppError

    client, _ = app
    for kw, msg in ((dict(l1="nan"), "l1 must be a finite number"), (dict(l2=-1), "l2 must be a finite number"),
                    (dict(target="encoder"), "target for the GAN must be one of"),
                    (dict(seed=-1), r"seed must be an integer in \[0, 2147483647\], got -1"),
                    (dict(model="diffusion"), "model must be one of: gan, vae, cgan, dcgan; got 'diffusion'")):
        args = {**EXPLORE, "seed": 0, **kw}
        with pytest.raises(AppError, match=msg):
            client.predict(**args, api_name="/explore")


def test_the_load_tests_visitor_reads_a_view_as_a_page_does(app):
    """scripts/load_test.py's visitor: Gradio's REST call in one session, the event's stream, each picture."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("load_test", Path(__file__).parents[2] / "scripts" / "load_test.py")
    lt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lt)
    client, _ = app
    page = lt.Page(client.src)
    out = page.explore(**EXPLORE, seed=0)
    assert "L1" in out[0] and sum(isinstance(o, dict) and "url" in o for o in out) >= 3
    with pytest.raises(RuntimeError, match="/explore answered error"):
        page.explore(**{**EXPLORE, "l1": -1}, seed=0)
    assert lt.explore_call(page, 0) > 0


def test_train_streams_and_finishes_with_downloads(app):
    client, _ = app
    job = client.submit(**TRAIN, api_name="/train")
    updates = list(job)
    assert len(updates) >= 2
    status, grid, *_rest = updates[-1]
    assert "Finished" in status and "finished 40 steps" in status
    files, command, summary = updates[-1][5], updates[-1][6], updates[-1][7]
    names = sorted(Path(f if isinstance(f, str) else f["value"]).suffix for f in files)
    assert names == [".json", ".png", ".safetensors"]
    assert command.startswith("python -m normgen train --model gan") and "--l1 0.01" in command
    assert summary["status"] == "finished" and summary["step"] == 40
    assert any("Training" in u[0] for u in updates[:-1])
    assert "Generalization of the kept model" in status
    g = summary["generalization"]  # the pixel NN share is shown only for samples with structure (eval.structure)
    assert (0 <= g["memorization_pct"] <= 100 if "memorization_pct" in g
            else not has_structure(g["structure_ratio"]) and "no structure yet" in status)


def test_train_rejects_bad_input(app):
    from gradio_client.exceptions import AppError

    client, _ = app
    with pytest.raises(AppError, match=r"steps .*must be an integer in \[1, 3000\], got 1000000"):
        client.predict(**{**TRAIN, "steps": 10**6}, api_name="/train")
    with pytest.raises(AppError, match="start must be one of: finetune, scratch; got 'resume'"):
        client.predict(**{**TRAIN, "start": "resume"}, api_name="/train")
    with pytest.raises(AppError, match="target for the VAE must be one of"):
        client.predict(**{**TRAIN, "model": "vae"}, api_name="/train")  # target "generator"
    with pytest.raises(AppError, match="l1 must be a finite number"):
        client.predict(**{**TRAIN, "l1": "inf"}, api_name="/train")
    with pytest.raises(AppError, match=r"train_size must be 0 \(all images\) or at least 4"):
        client.predict(**TRAIN, train_size=3, dropout=0.0, api_name="/train")
    with pytest.raises(AppError, match=r"dropout \(a rate; 0 = off\) must be a number in \[0, 0.9\]"):
        client.predict(**TRAIN, train_size=0, dropout=0.95, api_name="/train")


def test_cancel_stops_the_run(app):
    from normgen.service import runs

    client, _ = app
    before = set(runs.RUNS)
    job = client.submit(**{**TRAIN, "steps": 3000, "seconds": 120}, api_name="/train")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (set(runs.RUNS) - before):
        time.sleep(0.1)
    new = [runs.RUNS[k] for k in set(runs.RUNS) - before]
    assert new, "the run did not start"
    run = new[0]
    while run.step < 10 and time.monotonic() < deadline:
        time.sleep(0.1)
    job.cancel()
    assert run.done.wait(20), "a cancelled run must stop"
    assert run.status == "stopped" and run.step < 3000
    assert run.files and Path(run.files["checkpoint"]).exists()  # it kept what it had
