"""Explore's Loss control (normgen.app.tabs.explore / explore_handlers) on the shipped zoo: shown for the
colour DCGAN on CIFAR-10 (the index has Wasserstein entries there) and hidden where it has one loss;
the colour block's control reads as the Lipschitz ladder (each rung's FD and σ_max from the index); choosing a
loss shows its entry (λ set to 0: the zoo trained those losses without a penalty) in one reply
of the usual view outputs; the slider view keeps the loss and still skips the baseline; the loss travels
in the link and into Train."""

from __future__ import annotations

from urllib.parse import parse_qs

import gradio as gr
import pytest

from normgen.app.tabs import explore as E
from normgen.service import links
from normgen.service.zoo_access import get_index
from normgen.zoo import ladder
from normgen.zoo.select import zoo_choices

ARGS = ("dcgan", "cifar10", "batch", 1e-4, 0.0, "generator", "loss", 0, 0, 0.0)


@pytest.fixture(scope="module")
def tab():
    if "sn" not in zoo_choices(get_index(None), "dcgan", "cifar10")["loss"]:
        pytest.skip("the shipped zoo has no spectral-norm entry on CIFAR-10")
    with gr.Blocks():
        return E.build_explore_tab(None)


def _by(comps, out) -> dict:
    assert len(out) == len(comps)
    return dict(zip(map(id, comps), out, strict=True))


def test_the_control_is_offered_only_where_the_index_has_other_losses(tab):
    index = get_index(None)
    ups = E.control_updates(index, "dcgan", "cifar10", {})
    assert len(ups) == len(tab.controls())
    loss = ups[-1]
    values = [v for _, v in loss["choices"]]
    assert loss["visible"] is True and sorted(values) == sorted(zoo_choices(index, "dcgan", "cifar10")["loss"])
    assert loss["value"] == "ns"
    # the colour block's control reads as the Lipschitz ladder: the baseline, then the rungs bottom to top
    order = ["ns"] + [r.loss for r in ladder.ladder(index, "cifar10") if r.loss]
    assert values == [v for v in order if v in values]
    assert "Lipschitz ladder" in loss["label"] and "L2 on D" in loss["info"]
    labels = dict((v, k) for k, v in loss["choices"])
    for r in ladder.ladder(index, "cifar10"):
        if r.loss in labels:  # each rung's FD and σ_max, as the index has them
            assert f"FD {r.entry.metrics['fd']:.1f}" in labels[r.loss]
            assert "/".join(f"{v:.2f}" for v in r.entry.extra["sigma_max"].values()) in labels[r.loss]
    b = ladder.band(index, "cifar10")
    assert f"{b[0]:.1f}–{b[1]:.1f}" in labels["ns"]
    grey = E.control_updates(index, "gan", "mnist", {})[-1]
    assert grey["label"] == "Loss: how the GAN is trained"
    assert E.control_updates(index, "gan", "mnist", {"loss": "wgan-clip"})[-1]["visible"] is False
    assert E.control_updates(index, "gan", "mnist", {"loss": "wgan-clip"})[-1]["value"] == "ns"


def test_choosing_a_loss_shows_its_entry_with_lambda_off(tab):
    out = _by(tab.view_outputs(), E.make_loss_fn(None)(*ARGS, "sn"))
    assert out[id(tab.l1)] == 0.0 and out[id(tab.l2)] == 0.0
    assert "spectral norm" in out[id(tab.selected_caption)]
    assert "seed-to-seed" in out[id(tab.details)] and "3 seeds" in out[id(tab.details)]
    assert "discriminator" in out[id(tab.headline)]
    assert "discriminator's largest singular value per layer" in out[id(tab.details)]
    assert parse_qs(out[id(tab.query)])["loss"] == ["sn"]
    back = _by(tab.view_outputs(), E.make_loss_fn(None)(*ARGS, "ns"))  # the λ stay on the usual loss
    assert back[id(tab.l1)] == 1e-4 and "loss" not in parse_qs(back[id(tab.query)])
    with pytest.raises(gr.Error, match="loss"):
        E.make_loss_fn(None)(*ARGS, "hinge")


def test_the_slider_view_keeps_the_loss_and_still_skips_the_baseline(tab):
    out = _by(tab.view_outputs(), E.make_slider_fn(None)("dcgan", "cifar10", "batch", 0, 0, "generator", "loss",
                                                         0, 0, 0.0, "sn"))
    assert "spectral norm" in out[id(tab.selected_caption)]
    assert out[id(tab.baseline)] == {"__type__": "update"} and out[id(tab.noise)] == {"__type__": "update"}


def test_a_link_with_a_loss_opens_it(tab):
    q = links.parse_page_query({"model": "dcgan", "dataset": "cifar10", "loss": "sn", "tab": "explore"})
    assert q["loss"] == "sn" and "loss" not in links.parse_page_query({"loss": "hinge"})
    out = _by(tab.load_outputs(), E.make_load_fn(None)(q))
    assert out[id(tab.loss)]["value"] == "sn" and out[id(tab.l1)] == 0.0
    assert "spectral norm" in out[id(tab.selected_caption)]
