"""How well a translator (the cycle GAN) translates, on held-out images, against the domain pair's
ground truth. Training never saw the pairs; the scores use them.

For n held-out images a (domain A) and n other held-out images b = to_b(·) (domain B):
- `translation_l1` / `translation_mse`: G(a) against the ground truth to_b(a), per pixel; `copy_l1` is
  the same error of a translator that does nothing (G(a) = a), the bar to beat;
- `cycle_l1` / `cycle_b_l1`: F(G(a)) against a, G(F(b)) against b (the cycle reconstruction error);
- `grey_pct`: the share of G(a)'s pixels that are neither ink nor background (|x| < 0.8): blur shows
  here; `truth_grey_pct` is the ground truth's own share;
- with a judge (normgen.eval.judge): `class_agreement` (% of a whose G(a) the judge calls the same digit
  as a), `truth_agreement` (the same for the ground truth: the ceiling), `fd` of G(a)'s judge features
  against the B images' and `fd_truth` (the ground truth against the same B images: the floor).
"""

from __future__ import annotations

import torch

from normgen.data import Dataset
from normgen.domains import split_domains
from normgen.eval.quality import feature_stats, frechet_distance
from normgen.models import GenerativeModel

GREY = 0.8  # |x| below this: a pixel that is neither ink (+1) nor background (−1)


def held_out_pairs(model: GenerativeModel, test: Dataset, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor,
                                                                                       torch.Tensor]:
    """(a, to_b(a), b): n held-out A images, their ground truth, and n other held-out B images (disjoint
    halves of `test`, split by `seed`). On the CPU, float32."""
    dom = split_domains(test, model.cfg.domains, seed)
    n = min(n, len(dom.a), len(dom.b))
    if n < 2:
        raise ValueError(f"scoring a translator needs at least 4 held-out images, got {len(test)}")
    a = dom.a.images[:n].float().cpu()
    return a, model.truth(a), dom.b.images[:n].float().cpu()


@torch.no_grad()
def translate_many(model: GenerativeModel, x: torch.Tensor, to_b: bool = True, batch: int = 500) -> torch.Tensor:
    """G(x) (or F(x) with to_b=False) in eval mode, in chunks, on the model's device; back on the CPU."""
    dev = next(model.parameters()).device
    fn = model.to_b if to_b else model.to_a
    was = model.training
    model.eval()
    try:
        return torch.cat([fn(x[i:i + batch].to(dev)).float().cpu() for i in range(0, x.shape[0], batch)])
    finally:
        model.train(was)


def _l1(x: torch.Tensor, y: torch.Tensor) -> float:
    return float((x - y).abs().mean())


@torch.no_grad()
def translation_scores(model: GenerativeModel, test: Dataset, judge=None, *, n: int = 1000, seed: int = 0) -> dict:
    """The metrics above, on n held-out images of `test` (the test split of the model's dataset)."""
    a, truth, b = held_out_pairs(model, test, n, seed)
    fake_b = translate_many(model, a)
    cyc_a = translate_many(model, fake_b, to_b=False)
    fake_a = translate_many(model, b, to_b=False)
    cyc_b = translate_many(model, fake_a)
    out = {"n": a.shape[0],
           "translation_l1": _l1(fake_b, truth), "translation_mse": float((fake_b - truth).pow(2).mean()),
           "copy_l1": _l1(a, truth), "cycle_l1": _l1(cyc_a, a), "cycle_b_l1": _l1(cyc_b, b),
           "grey_pct": 100.0 * float((fake_b.abs() < GREY).float().mean()),
           "truth_grey_pct": 100.0 * float((truth.abs() < GREY).float().mean())}
    if judge is not None:
        f_a, l_a = judge.features_and_logits(a)
        f_g, l_g = judge.features_and_logits(fake_b)
        f_t, l_t = judge.features_and_logits(truth)
        f_b = judge.features(b)
        cls = l_a.argmax(1)
        out["class_agreement"] = 100.0 * float((l_g.argmax(1) == cls).float().mean())
        out["truth_agreement"] = 100.0 * float((l_t.argmax(1) == cls).float().mean())
        ref = feature_stats(f_b)
        out["fd"] = frechet_distance(*feature_stats(f_g), *ref)
        out["fd_truth"] = frechet_distance(*feature_stats(f_t), *ref)
    return out
