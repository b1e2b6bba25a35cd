"""Train's λ controls without a server (normgen.app.tabs.train_lambda): the log-scale λ slider (exponent <-> λ, the
'off' notch, exact values kept); Train's link fragment and its restore (make_load_fn), and the λ-change markers on
the curves."""

from __future__ import annotations

import math

import pytest

from normgen.app.tabs import train_lambda as TS
from normgen.app.tabs.train_link import fragment_of
from normgen.service import links
from normgen.service.requests import TRAIN_KEYS


@pytest.mark.parametrize(("lam", "exp"), [(0.0, TS.OFF_EXPONENT), (1e-6, -6.0), (1e-4, -4.0), (1e-2, -2.0),
                                          (1.0, 0.0), (2e-4, -3.75), (1e-9, -6.0), (5.0, 0.0)])
def test_a_lambda_sits_on_its_nearest_notch(lam, exp):
    assert TS.exponent_of(lam) == exp


def test_every_notch_reads_as_a_short_lambda_and_maps_back_to_itself():
    e = TS.OFF_EXPONENT
    assert TS.lambda_of(e) == 0.0 and TS.lambda_label("L1", 0.0) == "L1 λ: off"
    seen = []
    while e <= TS.EXP_MAX + 1e-9:
        lam = TS.lambda_of(e)
        assert TS.exponent_of(lam) == pytest.approx(e)  # no notch drifts to another
        if lam:
            assert lam == float(f"{lam:.2g}") and math.isclose(math.log10(lam), e, abs_tol=0.02)
        seen.append(lam)
        e += TS.EXP_STEP
    assert seen[:3] == [0.0, 1e-6, 1.8e-6] and seen[-1] == 1.0 and len(set(seen)) == len(seen) == 26
    assert TS.lambda_label("L2", 1e-2) == "L2 λ = 1e-2" and TS.lambda_label("L1", 1.8e-4) == "L1 λ = 1.8e-4"


def test_train_query_round_trips_through_the_parser():
    values = {"model": "vae", "dataset": "shapes", "g_norm": "none", "l1": 2e-4, "l2": 0.0, "target": "decoder",
              "variant": "proximal", "seed": 3.0, "steps": 600, "seconds": 90.0, "start": "scratch",
              "train_size": 300, "dropout": 0.2}
    frag = fragment_of(values)
    assert frag.startswith("train_model=vae&train_dataset=shapes") and "train_l1=2e-4" in frag
    assert "train_seed=3&" in frag and "train_train_size=300" in frag and "?" not in frag
    from urllib.parse import parse_qsl

    got, bad = links.check_page_query(dict(parse_qsl(frag)))
    assert bad == [] and links.part(got, "train") == {**values, "seed": 3, "seconds": 90.0}


def test_a_bad_link_value_is_named_and_dropped():
    q = {"train_l1": "abc", "train_steps": "99999", "train_target": "decoder", "train_model": "gan",
         "train_start": "resume", "model": "vae", "train_seed": "1.5"}
    got, bad = links.check_page_query(q)
    assert links.part(got, "train") == {"model": "gan"}
    text = " ".join(bad)
    assert "train_l1: l1 must be" in text and "train_steps: steps (this server allows at most " in text
    assert "train_target: must be one of generator" in text and "train_start: start must be one of: finetune" in text
    assert "train_seed: seed must be an integer" in text


def test_the_load_fn_updates_every_train_control_and_the_link(tmp_path):
    import gradio as gr

    from normgen.app.tabs.train import make_load_fn

    fn = make_load_fn(str(tmp_path))
    out = fn({"train_model": "vae", "train_l1": 1e-3, "train_target": "encoder", "train_steps": 600})
    assert len(out) == len(TRAIN_KEYS) + 1
    by = dict(zip((*TRAIN_KEYS, "query"), out, strict=True))
    assert by["model"] == "vae" and by["l1"] == 1e-3 and by["steps"] == 600
    assert by["target"]["value"] == "encoder" and ("decoder", "decoder") in by["target"]["choices"]
    assert isinstance(by["seed"], type(gr.skip())) and by["query"].startswith("train_model=vae")
    empty = fn({})
    assert all(isinstance(u, type(gr.skip())) for u in empty)


def test_curves_mark_each_lambda_change_with_a_vertical_rule():
    from normgen.app.tabs.train_view import MARKER_SERIES, curves

    hist = [{"step": s, "d_loss": 1.0 + s / 100, "g_loss": 2.0, "generator/near_zero_pct": float(s)}
            for s in (10, 20, 30)]
    changes = [{"step": 20, "name": "l1", "old": 0.0, "new": 1e-2}]
    loss, pen, sparse = curves(hist, changes)
    is_mark = loss.series == MARKER_SERIES
    mark = loss[is_mark & loss.value.notna()]
    assert list(mark.step) == [20, 20]
    assert list(mark.value) == [loss[~is_mark].value.min(), 2.0]
    assert len(pen) == 0  # no penalty rows yet: no marker on an empty plot
    assert list(sparse[(sparse.series == MARKER_SERIES) & sparse.value.notna()].value) == [10.0, 30.0]
    plain = curves(hist)[0]  # the marker series is there from the first frame, without a drawn value
    assert plain[plain.series == MARKER_SERIES].value.isna().all()


def test_each_plot_legend_names_every_series_in_the_colour_the_plot_draws_it():
    from normgen.app.tabs.train_view import MARKER_COLOUR, MARKER_SERIES, colours, curves, legend_html

    hist = [{"step": s, "d_loss": 1.0, "g_loss": 2.0, "generator/near_zero_pct": 1.0, "generator/zero_pct": 0.0}
            for s in (10, 20, 30)]
    loss, _, sparse = curves(hist)
    assert colours(loss) == colours(curves(hist[:1])[0])  # a run's first frame and its later ones agree
    cm = colours(sparse)
    assert cm[MARKER_SERIES] == MARKER_COLOUR and len(set(cm.values())) == len(cm) == 3
    html = legend_html(sparse)
    for name in ("generator: near-zero %", "generator: exactly 0 %"):
        assert f'background:{cm[name]}"></i>{name}</span>' in html
    assert MARKER_SERIES not in html  # no λ changed yet: no marker to name
    changed = curves(hist, [{"step": 20, "name": "l1", "old": 0.0, "new": 1e-2}])[2]
    assert f'background:{MARKER_COLOUR}"></i>{MARKER_SERIES}</span>' in legend_html(changed)
