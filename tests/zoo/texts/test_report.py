"""The plain-language verdict of a comparison: collapse named, confidence never read as quality, the
samples judged against the seed and the sampling spread."""

from __future__ import annotations

from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.texts.report import plain_verdict

EVEN = [200] * 10
W = {"near_zero_pct": 1.0, "zero_pct": 0.0, "dead_filter_pct": 0.0, "l1": 1000.0, "l2": 80.0}


def _e(seed: int = 0, l2: float = 0.0, **metrics) -> Entry:
    m = {"class_hist": EVEN, "class_entropy": 2.30, "confident_pct": 60.0}
    m.update(metrics)
    return Entry(id=f"gan-l2={l2}-s{seed}", file="x", model="gan", dataset="mnist", g_norm="none", d_norm="none",
                 target="generator", variant="loss", l1=0.0, l2=l2, group=0.0, act=0.0, seed=seed, steps=1,
                 device="cpu", wall_s=1.0, sha256="0" * 64, metrics=m)


def _index(*entries: Entry) -> ZooIndex:
    return ZooIndex(root=None, entries=list(entries))


def test_collapse_is_named_and_confidence_is_not_quality():
    b0, b1 = _e(0, fd=57.0, fd_sampling=5.0), _e(1, fd=60.0, fd_sampling=6.0)
    glyph = _e(0, l2=1.0, fd=1054.0, class_hist=[2000] + [0] * 9, class_entropy=0.0, confident_pct=100.0)
    v = plain_verdict(_index(b0, b1, glyph), b0, glyph, W, {**W, "l2": 3.0})
    assert v.startswith("Mode collapse: the samples cover 1.0 of 10 classes") and "confident on 100%" in v


def test_sparser_and_within_noise_vs_beyond_both_spreads():
    b0, b1 = _e(0, fd=57.0, fd_sampling=5.0), _e(1, fd=60.0, fd_sampling=6.0)
    near = _e(0, l2=1e-4, fd=62.0, fd_sampling=5.0)  # 3.5 above the mean: inside the noise-draw range
    sparse = {**W, "near_zero_pct": 40.0}
    v = plain_verdict(_index(b0, b1, near), b0, near, W, sparse)
    assert v.startswith("Sparser (near-zero weights 1.0% → 40.0%)") and "within seed noise" in v
    assert "still as varied as 10.0 of 10 classes" in v
    far = _e(0, l2=1e-2, fd=150.0, fd_sampling=5.0)
    v = plain_verdict(_index(b0, b1, far), b0, far, W, {**W, "l2": 40.0})
    assert v.startswith("Smaller weights") and "less like real images" in v
    # one baseline seed: no spread, and the verdict says so instead of guessing
    v = plain_verdict(_index(b0, far), b0, far, W, W)
    assert "no spread to judge by" in v
