"""The Train tab trains a cycle GAN live (normgen.app.tabs.train with train_cycle / train_view): its /train
handler run for a few CPU steps streams rows a | G(a) | F(G(a)) | truth and ends with the run's translation
scores; its λ_cyc, λ_id and cycle-norm controls show only for a translator (the registry says which), a
link carries them, and a bad value is one message that loses nothing (the session's last run stays)."""

from __future__ import annotations

import re

import gradio as gr
import pytest
from ui_zoo import build_tiny_zoo

from normgen.app.tabs.train_cycle import cycle_visibility, intro_status, translates
from normgen.app.tabs.train_handlers import make_train_fn
from normgen.app.tabs.train_link import fragment_of
from normgen.app.tabs.train_view import picture_words
from normgen.models import MODEL_NAMES, family
from normgen.service import admission as A
from normgen.service import links
from normgen.service.train_store import TrainStore
from normgen.zoo.views import train_translation as TT

# /train's parameters in its order, for a short cycle GAN run on shapes (made offline)
CYCLE = dict(model="cyclegan", dataset="shapes", g_norm="none", l1=1e-3, l2=0.0, target="generator",
             variant="loss", seed=0, steps=6, seconds=60, start="finetune", train_size=0, dropout=0.0, loss="ns",
             lambda_cyc=0.0, lambda_id=0.0, cycle_norm="l1")


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """A zoo without a cycle GAN (the shapes run starts from scratch; its scores have nothing beside them)."""
    return str(build_tiny_zoo(tmp_path_factory.mktemp("zoo"), steps=2, small=False).parent)


@pytest.fixture
def fresh_admission():
    old = A.set_admission(A.Admission(slots=1, per_session=1, max_runs=3))
    yield A.admission()
    A.set_admission(old)


def _run(fn, store: TrainStore, **kw):
    return list(fn(*{**CYCLE, **kw}.values(), store))


def test_the_train_handler_trains_a_cycle_gan_and_shows_rows_and_its_scores(zoo, fresh_admission):
    store = TrainStore()
    outs = _run(make_train_fn(zoo), store)
    status, grid, loss, _pen, _sparse, files, command, summary, compare, *_legends = outs[-1]
    status = re.sub(r"<[^>]+>", "", status)  # the text as read (glossary words carry their definition in a tag)
    assert summary["status"] == "finished" and summary["step"] == 6
    assert grid.size == (3 * (4 * 30 + 2), 3 * (TT.ROWS * 30 + 2))  # rows of 4: a, G(a), F(G(a)), truth
    assert "Rows (6 fixed held-out test images): a | G(a) | F(G(a)) | truth" in status
    assert "λ_cyc 0 (L1 cycle norm), λ_id 0; L1 λ 1e-3 on the generator" in status
    assert "| cycle error a→G→F (L1) |" in status and set(summary["translation"]) >= {"translation_l1", "cycle_l1"}
    assert {"cycle term", "generator loss", "discriminator loss"} <= set(loss["value"]["series"])  # the curves
    assert len(files) == 3 and "--lambda-cyc 0" in command and "--l1 0.001" in command
    mid = [o for o in outs if o[7]["status"] == "running" and o[1] is not None]
    assert mid and mid[0][1].size == grid.size  # a picture while it trains


def test_a_bad_cycle_value_is_one_message_and_keeps_the_last_run(zoo, fresh_admission):
    store = TrainStore()
    fn = make_train_fn(zoo)
    _run(fn, store, steps=2)
    kept = store.run
    for bad in ({"lambda_cyc": -1}, {"lambda_cyc": float("nan")}, {"lambda_id": 1e6}, {"cycle_norm": "l0"}):
        with pytest.raises(gr.Error, match=r"(lambda_cyc|lambda_id|cycle_norm) .*must be") as exc:
            _run(fn, store, **bad)
        assert "\n" not in str(exc.value)
        assert store.run is kept and kept.files  # nothing lost: the last run and its downloads stay
    assert fresh_admission.counts() == {"running": 0, "waiting": 0}


def test_the_cycle_controls_follow_the_registry():
    shown = {m: cycle_visibility(m)["visible"] for m in MODEL_NAMES}
    assert shown == {m: family(m).translates for m in MODEL_NAMES} and any(shown.values())
    assert not translates("no-such-model")
    assert picture_words("gan", True) == "Grid: fixed noise"
    # what Start does, as the plan does it: every model of the shipped zoo has its baseline to fine-tune;
    # a zoo without one says "from scratch"; no model is promised a time written by hand
    for m in MODEL_NAMES:
        assert "fine-tunes the pretrained baseline" in intro_status(m), m
        assert " s)" not in intro_status(m) and "estimate below" in intro_status(m)
    assert "trains from scratch" in intro_status("cyclegan", root="/nonexistent-zoo")
    assert "CIFAR-10" in intro_status("dcgan") and "MNIST" in intro_status("gan")


def test_a_link_carries_the_cycle_settings_and_names_a_bad_one():
    q = fragment_of({**CYCLE, "lambda_cyc": 1.0, "cycle_norm": "l2"})
    assert "train_lambda_cyc=1" in q and "train_cycle_norm=l2" in q and "train_model=cyclegan" in q
    from urllib.parse import parse_qsl

    parsed, bad = links.check_page_query(dict(parse_qsl(q)))
    got = links.part(parsed, "train")
    assert (got["model"], got["lambda_cyc"], got["lambda_id"], got["cycle_norm"]) == ("cyclegan", 1.0, 0.0, "l2")
    assert not bad
    parsed, bad = links.check_page_query({"train_lambda_cyc": "-2", "train_cycle_norm": "L9"})
    assert "train_lambda_cyc" not in parsed and "train_cycle_norm" not in parsed
    assert any(b.startswith("train_lambda_cyc: lambda_cyc") for b in bad) and any("'L9'" in b for b in bad)
