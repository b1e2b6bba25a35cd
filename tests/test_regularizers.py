"""normgen.regularizers: penalty values and gradients against hand-written torch expressions, which
weights are penalized, lambda validation, and the proximal / decoupled update variants on toy problems."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from normgen.models import build_model, default_model_config
from normgen.models.registry import TARGETS
from normgen.regularizers import (
    DECAY_SCALE,
    LAMBDA_MAX,
    VARIANTS,
    Penalty,
    RegConfig,
    adam_threshold,
    after_step_,
    check_lambda,
    elastic_net_penalty,
    filter_norms,
    group_lasso_penalty,
    l1_penalty,
    l2_penalty,
    loss_terms,
    nonzero_lambdas,
    penalized_weights,
    resolve_target,
    soft_threshold_,
)


def _weights(seed: int = 0) -> list[torch.Tensor]:
    """Float64 leaf tensors shaped like a Linear, a Conv2d and a ConvTranspose2d weight (no zeros)."""
    g = torch.Generator().manual_seed(seed)
    shapes = [(5, 7), (4, 3, 3, 3), (6, 2, 4, 4)]
    ws = [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
    return [w.requires_grad_() for w in ws]


KINDS = [nn.Linear, nn.Conv2d, nn.ConvTranspose2d]


def _grads(value: torch.Tensor, ws: list[torch.Tensor]) -> list[torch.Tensor]:
    return list(torch.autograd.grad(value, ws))


# ---------------------------------------------------------------------------------------------
# values and gradients against hand-written expressions


def _ref_l1(ws):  # |w| written as max(w, -w)
    total = torch.zeros((), dtype=torch.float64)
    for w in ws:
        total = total + torch.maximum(w, -w).sum()
    return total


def _ref_l2(ws):
    total = torch.zeros((), dtype=torch.float64)
    for w in ws:
        total = total + (w * w).sum()
    return total


def _ref_group(ws, kinds):
    """Explicit loop over output filters: rows of Linear/Conv2d, dim-1 slices of ConvTranspose2d."""
    total = torch.zeros((), dtype=torch.float64)
    for w, kind in zip(ws, kinds, strict=True):
        n_out = w.shape[1] if kind is nn.ConvTranspose2d else w.shape[0]
        for f in range(n_out):
            wf = w[:, f] if kind is nn.ConvTranspose2d else w[f]
            total = total + torch.sqrt((wf * wf).sum())
    return total


def test_l1_value_and_gradient():
    ws = _weights(1)
    val = l1_penalty(ws)
    assert val.item() == pytest.approx(_ref_l1(ws).item(), rel=1e-12)
    assert val.item() == pytest.approx(sum(np.abs(w.detach().numpy()).sum() for w in ws), rel=1e-12)
    for g, gr, w in zip(_grads(val, ws), _grads(_ref_l1(ws), ws), ws, strict=True):
        assert torch.allclose(g, gr)
        assert torch.equal(g, torch.sign(w.detach()))  # d|w|/dw = sign(w)


def test_l2_value_and_gradient():
    ws = _weights(2)
    val = l2_penalty(ws)
    assert val.item() == pytest.approx(_ref_l2(ws).item(), rel=1e-12)
    for g, gr, w in zip(_grads(val, ws), _grads(_ref_l2(ws), ws), ws, strict=True):
        assert torch.allclose(g, gr)
        assert torch.allclose(g, 2 * w.detach())  # d(w^2)/dw = 2w


def test_elastic_net_is_l1_plus_l2():
    ws = _weights(3)
    l1, l2 = 0.3, 0.05
    val = elastic_net_penalty(ws, l1, l2)
    ref = l1 * _ref_l1(ws) + l2 * _ref_l2(ws)
    assert val.item() == pytest.approx(ref.item(), rel=1e-12)
    for g, gr, w in zip(_grads(val, ws), _grads(ref, ws), ws, strict=True):
        assert torch.allclose(g, gr)
        assert torch.allclose(g, l1 * torch.sign(w.detach()) + 2 * l2 * w.detach())


def test_group_lasso_value_and_gradient():
    ws = _weights(4)
    val = group_lasso_penalty(zip(ws, KINDS, strict=True))
    ref = _ref_group(ws, KINDS)
    assert val.item() == pytest.approx(ref.item(), rel=1e-12)
    for g, gr, w, kind in zip(_grads(val, ws), _grads(ref, ws), ws, KINDS, strict=True):
        assert torch.allclose(g, gr)
        # closed form: d||W_f|| / dW_f = W_f / ||W_f||
        wd = w.detach()
        if kind is nn.ConvTranspose2d:
            norms = wd.pow(2).sum(dim=(0, 2, 3), keepdim=True).sqrt()
        else:
            norms = wd.flatten(1).norm(dim=1).view(-1, *([1] * (wd.dim() - 1)))
        assert torch.allclose(g, wd / norms)


def test_filter_norms_per_layer_kind():
    w = torch.randn(3, 5, 4, 4, dtype=torch.float64)  # ConvTranspose2d(3 -> 5): 5 output filters
    assert filter_norms(w, nn.ConvTranspose2d).shape == (5,)
    assert torch.allclose(filter_norms(w, nn.ConvTranspose2d),
                          torch.tensor([np.linalg.norm(w[:, f].numpy()) for f in range(5)]))
    assert torch.allclose(filter_norms(w, nn.Conv2d),
                          torch.tensor([np.linalg.norm(w[f].numpy()) for f in range(3)]))


def test_penalties_of_no_weights_are_zero():
    assert l1_penalty([]).item() == 0.0
    assert l2_penalty([]).item() == 0.0
    assert group_lasso_penalty([]).item() == 0.0


def test_loss_terms_of_a_model_equal_the_reference():
    torch.manual_seed(0)
    model = build_model(default_model_config("gan", ch=8, g_norm="batch"))
    reg = RegConfig(l1=0.01, l2=0.2, group=0.03)
    terms = Penalty(reg, model.generator).loss_terms()
    g = model.generator
    ws = [g.fc.weight, g.up1.weight, g.up2.weight]
    ref_l1 = sum(w.detach().double().abs().sum() for w in ws)
    ref_l2 = sum(w.detach().double().pow(2).sum() for w in ws)
    ref_group = _ref_group([w.detach().double() for w in ws], [nn.Linear, nn.ConvTranspose2d, nn.ConvTranspose2d])
    assert set(terms) == {"l1", "l2", "group"}
    assert terms["l1"].item() == pytest.approx(0.01 * ref_l1.item(), rel=1e-5)
    assert terms["l2"].item() == pytest.approx(0.2 * ref_l2.item(), rel=1e-5)
    assert terms["group"].item() == pytest.approx(0.03 * ref_group.item(), rel=1e-5)


@pytest.mark.parametrize("variant,expected", [
    ("loss", {"l1", "l2", "group"}),
    ("proximal", {"l2", "group"}),  # L1 is applied as a soft-threshold step instead
    ("decoupled", {"l1", "group"}),  # L2 is applied as weight decay instead
])
def test_variant_moves_a_penalty_out_of_the_loss(variant, expected):
    lin = nn.Linear(4, 3)
    terms = Penalty(RegConfig(l1=0.1, l2=0.1, group=0.1, variant=variant), lin).loss_terms()
    assert set(terms) == expected


def test_zero_lambda_gives_no_term_and_no_target_gives_nothing():
    lin = nn.Linear(4, 3)
    assert Penalty(RegConfig(l1=0.1), lin).loss_terms().keys() == {"l1"}
    assert Penalty(RegConfig(), lin).loss_terms() == {}
    assert Penalty(RegConfig(l1=0.1), None).loss_terms() == {}
    assert not RegConfig().active and RegConfig(act=0.1).active


# ---------------------------------------------------------------------------------------------
# which weights


def test_only_conv_linear_embedding_weights_are_penalized():
    torch.manual_seed(0)
    gan = build_model(default_model_config("gan", ch=8, g_norm="batch"))
    g = gan.generator
    got = [w for _, w in penalized_weights(g)]
    want = [g.fc.weight, g.up1.weight, g.up2.weight]
    assert len(got) == len(want) and all(a is b for a, b in zip(got, want, strict=True))
    # biases and BatchNorm parameters get no gradient from the penalty
    pen = Penalty(RegConfig(l1=0.1, l2=0.1, group=0.1), g)
    sum(pen.loss_terms().values()).backward()
    for name, p in g.named_parameters():
        penalized = any(p is w for w in want)
        assert (p.grad is not None and p.grad.abs().sum() > 0) == penalized, name


def test_spectral_norm_penalizes_the_raw_weight_and_includes_the_embedding():
    torch.manual_seed(0)
    cgan = build_model(default_model_config("cgan", ch=8, d_norm="spectral", num_classes=4))
    d = cgan.discriminator
    got = dict(penalized_weights(d))
    assert set(got) == {"trunk.conv1", "trunk.conv2", "head", "embed"}
    for name in ("trunk.conv1", "trunk.conv2", "head", "embed"):
        mod = d.get_submodule(name)
        raw = mod.parametrizations.weight.original
        assert got[name] is raw
        assert not torch.allclose(raw, mod.weight), "the normalized weight is not the raw one"
    assert all(not n.endswith("bias") for n, _ in got.items())


def test_penalty_binds_only_the_targeted_part():
    torch.manual_seed(0)
    vae = build_model(default_model_config("vae", ch=8))
    only = Penalty(RegConfig(l1=1.0, target="decoder"), vae.decoder)
    ref = sum(w.detach().abs().sum() for _, w in penalized_weights(vae.decoder))
    assert only.loss_terms()["l1"].item() == pytest.approx(ref.item(), rel=1e-5)
    assert all(any(w is p for p in vae.decoder.parameters()) for w in only.weights)


def test_resolve_target():
    parts = ["generator", "discriminator"]
    assert resolve_target("both", parts) == parts
    assert resolve_target("discriminator", parts) == ["discriminator"]
    assert resolve_target("both", ["encoder", "decoder"]) == ["encoder", "decoder"]
    with pytest.raises(ValueError) as exc:
        resolve_target("encoder", parts)
    for name in ("generator", "discriminator", "both"):
        assert name in str(exc.value)


@pytest.mark.parametrize("field,bad", [("target", "everything"), ("variant", "sgd")])
def test_unknown_target_or_variant_lists_names(field, bad):
    with pytest.raises(ValueError) as exc:
        RegConfig(**{field: bad})
    for name in (TARGETS if field == "target" else VARIANTS):
        assert name in str(exc.value)


# ---------------------------------------------------------------------------------------------
# lambda validation


BAD_LAMBDAS = [-1e-6, -1.0, float("nan"), float("inf"), -float("inf"), LAMBDA_MAX * 1.01, 1e30,
               "abc", None, [0.1], object()]


@pytest.mark.parametrize("field", ["l1", "l2", "group", "act"])
@pytest.mark.parametrize("bad", BAD_LAMBDAS, ids=repr)
def test_bad_lambda_names_the_allowed_range(field, bad):
    with pytest.raises(ValueError) as exc:
        RegConfig(**{field: bad})
    msg = str(exc.value)
    assert field in msg and f"[0, {LAMBDA_MAX:g}]" in msg


@pytest.mark.parametrize("ok", [0, 0.0, 1e-8, 0.5, LAMBDA_MAX, "0.25"])
def test_good_lambda_is_a_float(ok):
    v = check_lambda("l1", ok)
    assert isinstance(v, float) and v == float(ok)
    assert RegConfig(l1=ok).l1 == float(ok)


# ---------------------------------------------------------------------------------------------
# the stacked form (K models along a leading dim, as the batched sweep holds them), twin for twin

LAMS_K = [{"l1": 0.0, "l2": 0.0, "group": 0.0}, {"l1": 0.3, "l2": 0.2, "group": 0.1},
          {"l1": 1e-3, "l2": 0.0, "group": 2.0}]  # model 0 has every lambda off


def _stacked(k: int = len(LAMS_K)) -> tuple[list[list[torch.Tensor]], list[torch.Tensor]]:
    """K models' weights (shaped as `_weights`) and the same weights stacked along a new dim 0."""
    per_model = [[w.detach() for w in _weights(10 + j)] for j in range(k)]
    return per_model, [torch.stack(ws) for ws in zip(*per_model, strict=True)]


def test_filter_norms_and_penalties_of_stacked_weights_are_per_model_rows():
    per_model, stacked = _stacked()
    for i, kind in enumerate(KINDS):
        rows = filter_norms(stacked[i], kind, lead=1)
        for j, ws in enumerate(per_model):
            assert torch.equal(rows[j], filter_norms(ws[i], kind))
    groups = list(zip(stacked, KINDS, strict=True))
    for j, ws in enumerate(per_model):
        assert l1_penalty(stacked, lead=1)[j].item() == pytest.approx(l1_penalty(ws).item(), rel=1e-12)
        assert l2_penalty(stacked, lead=1)[j].item() == pytest.approx(l2_penalty(ws).item(), rel=1e-12)
        assert group_lasso_penalty(groups, lead=1)[j].item() == pytest.approx(
            group_lasso_penalty(zip(ws, KINDS, strict=True)).item(), rel=1e-12)


@pytest.mark.parametrize("variant", VARIANTS)
def test_stacked_loss_terms_equal_each_models_penalty_terms(variant):
    """loss_terms on stacked weights with (K,) lambdas (BatchedTrainer.penalty) gives, row by row,
    what Penalty.loss_terms gives one model; a model whose lambda is 0 gets a 0 row."""
    per_model, stacked = _stacked()
    lam = {n: torch.tensor([lk[n] for lk in LAMS_K], dtype=torch.float64) for n in LAMS_K[0]}
    rows = loss_terms(list(zip(stacked, KINDS, strict=True)), lam, variant, lead=1)
    for j, ws in enumerate(per_model):
        reg = RegConfig(**LAMS_K[j], variant=variant)
        one = loss_terms(list(zip(ws, KINDS, strict=True)), nonzero_lambdas(reg), variant)
        lin = nn.Linear(7, 5)  # Penalty (the sequential trainer's) is loss_terms on its module's weights
        own = Penalty(reg, lin).loss_terms()
        assert own.keys() == one.keys()
        for name, v in loss_terms([(lin.weight, nn.Linear)], nonzero_lambdas(reg), variant).items():
            assert torch.equal(own[name], v)
        for name, v in rows.items():
            assert v.shape == (len(LAMS_K),)
            assert v[j].item() == pytest.approx(one[name].item() if name in one else 0.0, rel=1e-12, abs=0)
        assert set(one) <= set(rows)


@pytest.mark.parametrize("variant", ["proximal", "decoupled"])
def test_stacked_after_step_equals_each_models_own(variant):
    """One Adam over stacked weights plus after_step_(lead=1), as the batched sweep steps, equals K
    Adams each followed by after_step_ with that model's own lambdas (what Penalty.after_step does)."""
    per_model, stacked = _stacked()
    lam = {n: torch.tensor([lk[n] for lk in LAMS_K], dtype=torch.float64) for n in LAMS_K[0]}
    runs = {"variant": [nn.Parameter(w.clone()) for w in stacked],
            "adam only": [nn.Parameter(w.clone()) for w in stacked]}
    opts = {name: torch.optim.Adam(ps, lr=1e-3) for name, ps in runs.items()}
    singles = [[nn.Parameter(w.clone()) for w in ws] for ws in per_model]
    single_opts = [torch.optim.Adam(ps, lr=1e-3) for ps in singles]
    for step in range(3):
        grads = [torch.randn(w.shape, generator=torch.Generator().manual_seed(10 * step + i), dtype=torch.float64)
                 for i, w in enumerate(stacked)]
        for name, ps in runs.items():
            for p, g in zip(ps, grads, strict=True):
                p.grad = g.clone()
            opts[name].step()
        after_step_(opts["variant"], runs["variant"], lam, variant, lead=1)
        for j, (ps, o) in enumerate(zip(singles, single_opts, strict=True)):
            for p, g in zip(ps, grads, strict=True):
                p.grad = g[j].clone()
            o.step()
            after_step_(o, ps, nonzero_lambdas(RegConfig(**LAMS_K[j], variant=variant)), variant)
    for j, ps in enumerate(singles):
        for p, b in zip(ps, runs["variant"], strict=True):
            torch.testing.assert_close(b.detach()[j], p.detach(), rtol=1e-12, atol=1e-15)
    moved = [not torch.equal(a[1], b[1]) for a, b in zip(runs["variant"], runs["adam only"], strict=True)]
    assert any(moved)  # the variant acted on model 1, and left model 0 (every lambda off) alone:
    assert all(torch.equal(a[0], b[0]) for a, b in zip(runs["variant"], runs["adam only"], strict=True))


# ---------------------------------------------------------------------------------------------
# update variants


def test_soft_threshold_matches_the_reference_formula():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(1000, generator=g)
    ref = w.numpy().copy()
    thr = 0.4
    ref = np.sign(ref) * np.maximum(np.abs(ref) - thr, 0.0)
    out = soft_threshold_(w, thr)
    assert out is w  # in place
    assert np.allclose(w.numpy(), ref, atol=1e-7)
    assert (w == 0).sum().item() == int((np.abs(ref) == 0).sum()) > 0  # exact zeros
    # elementwise thresholds (Adam's metric gives one per weight)
    w2 = torch.tensor([0.5, -0.5, 0.1, -2.0, 0.0])
    soft_threshold_(w2, torch.tensor([0.2, 0.6, 0.1, 1.0, 0.3]))
    assert w2.tolist() == pytest.approx([0.3, 0.0, 0.0, -1.0, 0.0])
    w3 = torch.randn(10, generator=g)
    before = w3.clone()
    soft_threshold_(w3, 0.0)
    assert torch.equal(w3, before)


def test_adam_threshold_is_lr_lambda_over_adam_scale_with_lambda_in_v():
    w = nn.Parameter(torch.zeros(4))
    opt = torch.optim.Adam([w], lr=1e-3, eps=1e-8)
    assert adam_threshold(opt, w, 0.5) == pytest.approx(1e-3 * 0.5 / 0.5)  # before the first step: v_hat = 0
    grad = torch.tensor([1e-3, 1e-2, 0.1, 1.0])
    for _ in range(5):  # a constant gradient g gives a bias-corrected v_hat = g^2 exactly
        opt.zero_grad()
        (grad * w).sum().backward()
        opt.step()
    thr = adam_threshold(opt, w, 0.5)
    assert torch.allclose(thr, 1e-3 * 0.5 / ((grad**2 + 0.25).sqrt() + 1e-8), rtol=1e-4)
    assert (thr <= 1e-3 + 1e-12).all()  # never more than ~lr per step, like the loss form under Adam


def _regression_toy(*, group: float = 0.0, l1: float = 0.0, l2: float = 0.0, variant: str = "loss",
                    steps: int = 600, lr: float = 1e-2) -> nn.Conv2d:
    """Fit a 3 -> 6 filter conv to data made by a conv whose filters 3, 4, 5 are zero, plus noise.

    Without a penalty the fitted irrelevant filters stay small but nonzero (they fit the noise).
    """
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, 8, 8, generator=g)
    true = nn.Conv2d(3, 6, 3, padding=1, bias=False)
    with torch.no_grad():
        true.weight.copy_(torch.randn(6, 3, 3, 3, generator=g) * 0.5)
        true.weight[3:] = 0
        y = true(x) + 0.3 * torch.randn(64, 6, 8, 8, generator=g)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = nn.Conv2d(3, 6, 3, padding=1)
    pen = Penalty(RegConfig(group=group, l1=l1, l2=l2, variant=variant), model)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = ((model(x) - y) ** 2).mean() + sum(pen.loss_terms().values(), torch.zeros(()))
        opt.zero_grad()
        loss.backward()
        opt.step()
        pen.after_step(opt)
    return model


@pytest.fixture(scope="module")
def toy_plain() -> nn.Conv2d:
    return _regression_toy()


def test_group_lasso_zeroes_whole_irrelevant_filters(toy_plain):
    plain = filter_norms(toy_plain.weight.detach(), nn.Conv2d)
    grouped = filter_norms(_regression_toy(group=0.03).weight.detach(), nn.Conv2d)
    useful, irrelevant = slice(0, 3), slice(3, 6)
    assert (plain[irrelevant] > 0.01).all(), "the toy must leave noise in the unpenalized filters"
    assert (grouped[irrelevant] < 0.006).all(), grouped
    assert (grouped[irrelevant] < 0.25 * plain[irrelevant]).all()
    # the useful filters keep (almost all of) their size
    assert (grouped[useful] > 0.9 * plain[useful]).all(), (grouped, plain)


def test_proximal_l1_gives_exact_zeros_and_loss_form_does_not(toy_plain):
    prox = _regression_toy(l1=0.03, variant="proximal").weight.detach()
    loss = _regression_toy(l1=0.03, variant="loss").weight.detach()
    assert (toy_plain.weight == 0).sum() == 0
    assert (loss == 0).sum() == 0, "Adam on a loss-form |w| only oscillates around zero"
    # the bounded threshold moves a weight at most ~lr per step, so a rare weight with a persistent
    # noise gradient survives: demand (nearly) all, measured 98.8%
    assert (prox[3:] == 0).float().mean() > 0.95, "the irrelevant filters must be (nearly) all exact zeros"
    assert (prox == 0).float().mean() > 0.5
    # the two forms share one lambda scale: useful filters shrink by a similar amount
    pn, ln = filter_norms(prox, nn.Conv2d)[:3], filter_norms(loss, nn.Conv2d)[:3]
    assert torch.allclose(pn, ln, rtol=0.05)


def test_decoupled_decay_differs_from_l2_in_the_loss_under_adam():
    """Pure penalty, no data: under Adam, L2 in the loss moves every weight by ~lr per step
    (Adam normalizes the gradient 2*lambda*w away), while decoupled decay shrinks every weight by
    the same factor (1 - lr * DECAY_SCALE * lambda) per step."""
    lr, lam, steps = 1e-3, 0.01, 20
    w0 = torch.tensor([[1.0, 0.1]])

    def run(variant: str) -> torch.Tensor:
        lin = nn.Linear(2, 1, bias=False)
        with torch.no_grad():
            lin.weight.copy_(w0)
        pen = Penalty(RegConfig(l2=lam, variant=variant), lin)
        opt = torch.optim.Adam(lin.parameters(), lr=lr)
        for _ in range(steps):
            loss = 0.0 * lin.weight.sum() + sum(pen.loss_terms().values(), torch.zeros(()))
            opt.zero_grad()
            loss.backward()
            opt.step()
            pen.after_step(opt)
        return lin.weight.detach()[0]

    in_loss, decoupled = run("loss"), run("decoupled")
    # decoupled: the same relative shrinkage for both weights, exactly the AdamW factor
    factor = (1 - lr * DECAY_SCALE * lam) ** steps
    assert torch.allclose(decoupled, w0[0] * factor, rtol=1e-5)
    # L2 in the loss under Adam: the same absolute step for both weights, ~lr per step
    moved = w0[0] - in_loss
    assert torch.allclose(moved, torch.full((2,), steps * lr), rtol=0.02)
    rel = in_loss / w0[0]
    assert rel[1] < rel[0] - 0.1, "the small weight loses a much larger fraction than the big one"
    assert not torch.allclose(in_loss, decoupled, rtol=0.01)


def test_decoupled_and_loss_l2_reach_different_solutions_with_data():
    in_loss = _regression_toy(l2=0.05, steps=300).weight.detach()
    decoupled = _regression_toy(l2=0.05, variant="decoupled", steps=300).weight.detach()
    assert not torch.allclose(in_loss, decoupled, atol=1e-3)
    # both shrink the fit relative to no penalty
    plain = _regression_toy(steps=300).weight.detach()
    assert in_loss.norm() < plain.norm() and decoupled.norm() < plain.norm()


def test_proximal_step_before_any_adam_state_moves_at_most_lr():
    lin = nn.Linear(3, 1, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.05, -0.2, 0.001]]))
    opt = torch.optim.Adam(lin.parameters(), lr=0.1)
    Penalty(RegConfig(l1=0.5, variant="proximal"), lin).after_step(opt)  # v_hat = 0: threshold lr = 0.1
    assert lin.weight.detach()[0].tolist() == pytest.approx([0.0, -0.1, 0.0])
    assert lin.weight.detach()[0, 0].item() == 0.0 and lin.weight.detach()[0, 2].item() == 0.0  # exact


# ---- which layers a penalty acts on (issue 15: one source penalizes only trainable_variables[0]) --------


@pytest.mark.parametrize("scope,layer", [("first", "fc"), ("last", "up3")])
def test_first_or_last_layer_targeting_penalizes_only_that_layer(scope, layer):
    from normgen.config import make_config
    from normgen.models import build_model
    from normgen.regularizers import Penalty

    gen = build_model(make_config("dcgan", "cifar10", model_overrides={"ch": 8}).model).generator
    pen = Penalty(RegConfig(l1=0.5, l2=0.25, layers=scope), gen)
    w = getattr(gen, layer).weight
    assert [n for n, _, _ in pen.layers] == [layer]
    terms = pen.loss_terms()
    torch.testing.assert_close(terms["l1"], 0.5 * w.abs().sum())
    torch.testing.assert_close(terms["l2"], 0.25 * w.pow(2).sum())
    sum(terms.values()).backward()
    got = {n for n, p in gen.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    assert got == {f"{layer}.weight"}
    every = Penalty(RegConfig(l1=0.5), gen)
    assert [n for n, _, _ in every.layers] == ["fc", "up1", "up2", "up3"]


def test_an_unknown_layer_scope_lists_the_valid_ones():
    with pytest.raises(ValueError, match="all, first, last"):
        RegConfig(layers="middle")
