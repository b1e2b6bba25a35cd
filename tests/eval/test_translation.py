"""normgen.eval.translation: the scores of translators whose answers are known (G = the ground truth's own
dilation, G = identity), with and without a judge."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from normgen.data import make_shapes
from normgen.domains import dilate, split_domains
from normgen.eval.judge import Judge, JudgeConfig
from normgen.eval.translation import held_out_pairs, translation_scores
from normgen.models import build_model, default_model_config


class _Dilate(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dilate(x)


def _translator(g: nn.Module, f: nn.Module):
    m = build_model(default_model_config("cyclegan", ch=4))
    m.generator.g, m.generator.f = g, f
    return m


def test_held_out_pairs_are_disjoint_halves_with_their_truth():
    test = make_shapes(40, seed=9)
    m = _translator(nn.Identity(), nn.Identity())
    a, truth, b = held_out_pairs(m, test, 10, seed=0)
    dom = split_domains(test, "thin-bold", 0)
    assert torch.equal(a, dom.a.images[:10]) and torch.equal(truth, dilate(a)) and torch.equal(b, dom.b.images[:10])


def test_a_perfect_translator_scores_zero_error_and_a_copy_scores_the_copy_bar():
    test = make_shapes(60, seed=9)
    perfect = translation_scores(_translator(_Dilate(), nn.Identity()), test, n=20)
    assert perfect["translation_l1"] == 0 and perfect["translation_mse"] == 0 and perfect["n"] == 20
    assert perfect["copy_l1"] > 0.05
    # F is the identity: F(G(a)) = dilate(a), so the cycle error is the copy bar itself
    assert perfect["cycle_l1"] == pytest.approx(perfect["copy_l1"])
    assert perfect["grey_pct"] == pytest.approx(perfect["truth_grey_pct"])
    copy = translation_scores(_translator(nn.Identity(), nn.Identity()), test, n=20)
    assert copy["translation_l1"] == pytest.approx(copy["copy_l1"]) and copy["cycle_l1"] == 0
    assert copy["cycle_b_l1"] == 0


def test_judge_scores_class_agreement_and_fd():
    torch.manual_seed(0)
    judge = Judge(JudgeConfig(num_classes=4))
    test = make_shapes(80, seed=4)
    same = translation_scores(_translator(nn.Identity(), nn.Identity()), test, judge, n=30)
    assert same["class_agreement"] == 100.0  # G(a) = a: the judge's call cannot change
    assert 0 <= same["truth_agreement"] <= 100 and same["fd"] >= 0 and same["fd_truth"] >= 0
    blank = translation_scores(_translator(_Blank(), nn.Identity()), test, judge, n=30)
    assert blank["fd"] > same["fd_truth"]  # an empty canvas is far from the bold images


class _Blank(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -torch.ones_like(x)
