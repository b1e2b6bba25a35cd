"""normgen.zoo.views.translation_view (the Translate tab's content): order and labels of the zoo's cycle GAN
entries, the rows picture of a real checkpoint, the score table and the sentences written from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import tiny_config

from normgen.checkpoints import save, sha256
from normgen.engine.train import train
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.views import translation_view as TV

BASE = {"translation_l1": 0.036, "cycle_l1": 0.034, "class_agreement": 93.3, "fd": 6.4, "grey_pct": 8.0,
        "copy_l1": 0.254, "truth_agreement": 93.0, "truth_grey_pct": 8.75}


def _entry(tmp: Path | None = None, *, seed: int = 0, lam: float = 10.0, norm: str = "l1", l1: float = 0.0,
           metrics: dict | None = None, file: str = "x.safetensors", sha: str = "0") -> Entry:
    return Entry.from_dict({
        "id": f"cyclegan-mnist-{lam:g}-{norm}-{l1:g}-s{seed}", "file": file, "model": "cyclegan", "dataset": "mnist",
        "g_norm": "none", "d_norm": "none", "target": "generator", "variant": "loss", "l1": l1, "l2": 0.0,
        "group": 0.0, "act": 0.0, "seed": seed, "steps": 300, "device": "cpu", "wall_s": 1.0, "sha256": sha,
        "metrics": metrics or dict(BASE), "lambda_cyc": lam, "cycle_norm": norm})


def test_translators_come_baseline_first_with_readable_labels():
    es = [_entry(lam=0.0, metrics={**BASE, "class_agreement": 40.0}), _entry(norm="l2"), _entry(seed=1),
          _entry(l1=1e-3), _entry()]
    gan = Entry.from_dict({**_entry().to_dict(), "id": "gan-x", "model": "gan"})
    index = ZooIndex(root=Path("."), entries=[*es, gan])
    got = TV.translators(index)
    assert [e.model for e in got] == ["cyclegan"] * 5 and got[0].is_baseline and got[1].is_baseline
    assert TV.setting_label(got[0]) == "λ_cyc 10, cycle L1, no penalty, seed 0"
    assert TV.setting_label(_entry(l1=1e-3)) == "λ_cyc 10, cycle L1, L1 0.001 on G and F, seed 0"
    assert not _entry(lam=0.0).is_baseline and not _entry(norm="l2").is_baseline
    table = TV.score_table(got)
    assert len(table) == 5 and len(table[0]) == len(TV.headers()) and table[0][1] == "0.036"
    text = TV.findings(index)
    assert "same digit 93.3% → 40% (beyond the seed spread)" in text and "G(a) = a, scores 0.254" in text
    assert "Cycle norm L1 → squared L2" in text and "within the seed spread: not an effect" in text
    assert TV.findings(ZooIndex(root=Path("."))) == ""


@pytest.mark.parametrize("n", [1, 3])
def test_rows_picture_of_a_saved_translator(tmp_path, shapes_small, n):
    cfg = tiny_config("cyclegan", steps=2)
    res = train(cfg, data=shapes_small, device="cpu")
    path = save(tmp_path / "c.safetensors", res.model, cfg, parts=["generator"])
    e = _entry(file="c.safetensors", sha=sha256(path))
    img = TV.rows_picture(e, tmp_path, n=n, seed=0)
    assert img.size == (TV.SCALE * (4 * 30 + 2), TV.SCALE * (n * 30 + 2))


def test_learns_cycle_sentence_is_written_from_the_index_with_the_verdict_rule():
    base = [_entry(seed=s, metrics={**BASE, "grey_pct": g, "fd": f, "class_agreement": c})
            for s, g, f, c in ((0, 7.7, 3.7, 93.8), (1, 8.0, 5.0, 94.0))]
    l2 = [_entry(seed=s, norm="l2", metrics={**BASE, "grey_pct": g}) for s, g in ((0, 7.7), (1, 8.1))]
    zero = [_entry(seed=s, lam=0.0, metrics={**BASE, "fd": f, "class_agreement": c})
            for s, f, c in ((0, 21.6, 87.7), (1, 28.6, 93.6))]
    text = TV.learn_line(ZooIndex(root=Path("."), entries=[*base, *l2, *zero]))
    assert text.startswith("measured on MNIST digits (300 steps, 2 seeds a setting):")
    assert "grey pixels 7.7–8% → 7.7–8.1% (within the seed spread): no blur measured" in text
    assert "FD 3.7–5 → 21.6–28.6 (beyond the seed spread)" in text
    assert "93.8–94% → 87.7–93.6% (within the seed spread): most digits kept their identity at 300 steps" in text
    # a grey share beyond the spread is named blur; a same-digit share lost beyond it is said so
    blurred = [_entry(seed=s, norm="l2", metrics={**BASE, "grey_pct": g}) for s, g in ((0, 20.0), (1, 21.0))]
    lost = [_entry(seed=s, lam=0.0, metrics={**BASE, "class_agreement": c}) for s, c in ((0, 40.0), (1, 45.0))]
    text = TV.learn_line(ZooIndex(root=Path("."), entries=[*base, *blurred, *lost]))
    assert "more grey: blur measured" in text and "digits were lost at 300 steps" in text
    assert TV.learn_line(ZooIndex(root=Path("."), entries=base)) == ""
