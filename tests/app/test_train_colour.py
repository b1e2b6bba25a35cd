"""Train switches the dataset with the model where colour demands it (normgen.app.tabs.train_colour): the
colour DCGAN selects CIFAR-10, CIFAR-10 selects the colour DCGAN, grey pairs stay as chosen; in the built
tab, the model control's own event moves the dataset control (and the dataset's moves the model), and a switch
sets the new family's default λ and steps."""

from __future__ import annotations

import gradio as gr
import pytest

from normgen.app.tabs import train as T
from normgen.app.tabs.train_colour import COLOUR_L1, COLOUR_L2, COLOUR_STEPS, dataset_for_model, model_for_dataset
from normgen.app.tabs.train_link import DEFAULT_L1, DEFAULT_L2, DEFAULT_STEPS
from normgen.service.server_datasets import dataset_status
from normgen.service.train_plan import caps

AVAILABLE = ["shapes", "mnist", "fashion", "cifar10"]


def test_the_colour_model_selects_a_colour_dataset_and_back():
    assert dataset_for_model("dcgan", "mnist", AVAILABLE) == "cifar10"
    assert dataset_for_model("dcgan", "cifar10", AVAILABLE) == "cifar10"
    assert dataset_for_model("gan", "mnist", AVAILABLE) == "mnist"  # a grey pair stays
    assert dataset_for_model("dcgan", "mnist", ["shapes", "mnist"]) == "mnist"  # no colour data here: as it was
    assert model_for_dataset("cifar10", "gan") == "dcgan"
    assert model_for_dataset("cifar10", "dcgan") == "dcgan"
    assert model_for_dataset("mnist", "dcgan") == "gan"
    assert model_for_dataset("fashion", "vae") == "vae"


def _handler(demo: gr.Blocks, component, name: str):
    for dep in demo.fns.values():
        if any(t[0] == component._id and t[1] == "input" for t in dep.targets) and dep.fn.__name__ == name:
            return dep
    raise AssertionError(f"no {name} on the component's input event")


@pytest.fixture(scope="module")
def tab_and_demo():
    with gr.Blocks() as demo:
        tab = T.build_train_tab(None)
        T.wire_train(tab)
    return tab, demo


def test_train_switches_the_dataset_with_the_model(tab_and_demo):
    why = dataset_status().get("cifar10")
    if why:  # without colour data the dataset stays as it was (test_the_colour_model_selects_... above)
        pytest.skip(f"{why}: the switch to CIFAR-10 cannot happen here")
    tab, demo = tab_and_demo
    dep = _handler(demo, tab.model, "on_model")
    assert [c._id for c in dep.inputs] == [tab.model._id, tab.dataset._id]
    assert dep.outputs[0] == tab.dataset._id if isinstance(dep.outputs[0], int) else dep.outputs[0]._id
    assert [c._id for c in dep.outputs[2:]] == [tab.l1._id, tab.l2._id, tab.steps._id]
    ds_update, presets, l1, l2, steps = dep.fn("dcgan", "mnist")
    assert ds_update["value"] == "cifar10" and presets["value"] == 0
    # the colour family's own default run (the grey default L1 1e-2 greys every colour cell)
    assert (l1, l2, steps) == (COLOUR_L1, COLOUR_L2, min(COLOUR_STEPS, caps()[0])) and l1 != DEFAULT_L1
    kept = dep.fn("gan", "mnist")
    assert kept[0] == gr.skip() and "value" not in kept[0]  # a grey model on a grey dataset: the dataset stays
    assert all(k == gr.skip() for k in kept[2:])  # ... and the λ and steps a visitor set stay too
    back = _handler(demo, tab.dataset, "on_dataset")
    model_update, target, *run = back.fn("cifar10", "gan", "generator")
    assert model_update["value"] == "dcgan" and target["value"] == "generator" and run[0] == COLOUR_L1
    model_update, _, *run = back.fn("mnist", "dcgan", "generator")  # back to grey: the grey default run
    assert model_update["value"] == "gan" and run == [DEFAULT_L1, DEFAULT_L2, min(DEFAULT_STEPS, caps()[0])]
