"""Explore's adversarial-loss choice (normgen.service.explorer with `loss`), on the shipped zoo's CIFAR-10
block: each rung of the Lipschitz ladder (Wasserstein with clipping / gradient penalty / nothing, spectral
norm) is shown beside the non-saturating baseline of its seed, on the part its constraint acts on, and its FD
is judged against the baseline's seed spread (three seeds) and the noise-draw spread by the one rule
(verdicts.Effect); the Loss choice is offered only where the index has such entries."""

from __future__ import annotations

import pytest

from normgen.losses import LOSS_SETTING_WORDS, LOSS_SETTINGS
from normgen.service import inputs as I
from normgen.service.explorer import explore
from normgen.service.requests import ExploreQuery
from normgen.service.zoo_access import get_index
from normgen.zoo.readings import of, stat
from normgen.zoo.select import select, zoo_choices
from normgen.zoo.texts.report import seed_entries
from normgen.zoo.verdicts import Effect
from normgen.zoo.views.explore_figures import shown_parts

ARGS = ("dcgan", "cifar10", "batch", 0.0, 0.0, "generator", "loss", 0, 0, 0.0)


@pytest.fixture(scope="module")
def index():
    idx = get_index(None)
    if not any(e.setting[:2] != ("ns", "none") for e in idx.find(model="dcgan", dataset="cifar10")):
        pytest.skip("the shipped zoo has no other loss or constraint on CIFAR-10")
    return idx


def _shipped(index) -> list[str]:
    have = {e.setting[:2] for e in index.find(model="dcgan", dataset="cifar10") if e.setting[2] == "all"}
    return [k for k, v in LOSS_SETTINGS.items() if v in have]


def test_the_loss_choice_is_offered_only_where_the_zoo_has_such_entries(index):
    choices = zoo_choices(index, "dcgan", "cifar10")["loss"]
    assert choices == _shipped(index) and choices[0] == "ns" and len(choices) >= 2
    assert zoo_choices(index, "gan", "mnist")["loss"] == ["ns"]


@pytest.mark.parametrize("loss", [k for k in LOSS_SETTINGS if k != "ns"])
def test_each_loss_is_shown_beside_the_non_saturating_baseline_of_its_seed(index, loss):
    if loss not in _shipped(index):
        pytest.skip(f"the shipped zoo has no {loss} entry")
    s = select(index, ExploreQuery.parse(*ARGS, loss))
    assert s.selected.setting == (*LOSS_SETTINGS[loss], "all") and s.baseline.setting == ("ns", "none", "all")
    assert s.baseline.seed == s.selected.seed and s.exact
    assert shown_parts(s.selected) == ["discriminator"]  # what clipping (or the penalty on D's gradient) acts on
    # the baseline's seeds are its own recipe's three, never the other losses
    assert sorted(e.seed for e in seed_entries(index, s.baseline)) == [0, 1, 2]
    assert seed_entries(index, s.selected) == [s.selected]


def test_fd_is_judged_against_the_baseline_seed_spread_by_the_one_rule(index):
    for loss in _shipped(index)[1:]:
        r = explore(ExploreQuery.parse(*ARGS, loss))
        m = r.stats["metrics"]["fd"]
        assert len(m["baseline_seeds"]) == 3 and m["sampling_spread"] > 0
        s = select(index, ExploreQuery.parse(*ARGS, loss))
        eff = Effect(stat(seed_entries(index, s.baseline), of("fd")), stat(seed_entries(index, s.selected), of("fd")))
        assert m["beyond"] is eff.beyond and m["difference"] == pytest.approx(eff.diff)
        assert LOSS_SETTING_WORDS[loss].split(" ")[0] in r.selected_label and "seed-to-seed spread" in r.details
        assert "On this judge's ruler the selected samples land" in r.details  # between real photos and noise
        assert "discriminator's largest singular value per layer" in r.details


def test_a_penalty_the_loss_was_not_trained_with_is_said_and_a_bad_loss_named(index):
    r = explore(ExploreQuery.parse("dcgan", "cifar10", "batch", 1e-4, 0.0, "generator", "loss", 0, 0, 0.0, "sn"))
    assert not r.exact and "Not in the zoo" in r.note and "no penalty (λ = 0)" in r.note
    with pytest.raises(I.InputError, match="loss"):
        explore(ExploreQuery.parse(*ARGS, "hinge"))
    # a family the zoo trained with one loss only: the other loss falls back to it, with a note
    r = explore(ExploreQuery.parse("gan", "mnist", "none", 0.0, 0.0, "generator", "loss", 0, 0, 0.0, "wgan-clip"))
    assert "trained with the Wasserstein + weight clipping loss; showing the non-saturating loss" in r.note
