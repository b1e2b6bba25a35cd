"""normgen.service.data_views.reconstruction_view: overfitting shown in pictures (issue 27) — the same
training and held-out images through a small-data VAE's baseline and the selected penalty, each row's error
measured; the prompt for every other entry; and on the shipped zoo, the 300-image baseline's train-to-held-out
gap is the larger."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from ui_zoo import SMALL_N, build_tiny_zoo

from normgen.render.grids import side_by_side
from normgen.service import data_views as O
from normgen.service.requests import ExploreQuery
from normgen.zoo.views import reconstruction as R

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def zoo(tmp_path_factory) -> Path:
    return build_tiny_zoo(tmp_path_factory.mktemp("zoo")).parent


def _args(**kw):
    a = dict(model="vae", dataset="shapes", g_norm="none", l1=0.0, l2=1e-3, target="decoder", variant="loss",
             seed=0, train_size=SMALL_N, dropout=0.0)
    return {**a, **kw}


def test_a_small_data_vae_is_shown_beside_its_baseline(zoo):
    v = O.reconstruction_view(ExploreQuery.parse(**_args()), root=str(zoo))
    assert v.image is not None and len(v.stats["ids"]) == 2
    assert v.stats["ids"][0].endswith(f"-n{SMALL_N}-s0") and "l2=0-" in v.stats["ids"][0]  # the baseline first
    cell = 28 + 2  # shapes images and the grid's padding
    k = R.SCALE  # originals + 2 models, training then held-out
    assert v.image.size == ((R.SHOWN * cell + 2) * k, (2 * 3 * cell + 2) * k)
    errs = v.stats["errors"]
    for lab in ("baseline (λ = 0)", "selected penalty"):
        e = errs[lab]
        assert e["train"] > 0 and e["held-out"] > 0
        assert (f"the {lab} {e['train']:.1f} on its training images and {e['held-out']:.1f} on unseen ones "
                f"(a gap of **{e['held-out'] - e['train']:.1f}**)") in v.text
    assert v.stats["measured_train"] == SMALL_N  # fewer training images than MEASURED: all of them
    assert O.reconstruction_view(ExploreQuery.parse(**_args()), root=str(zoo)) is v  # cached


def test_the_baseline_alone_asks_for_a_penalty_and_other_entries_get_the_prompt(zoo):
    v = O.reconstruction_view(ExploreQuery.parse(**_args(l2=0.0)), root=str(zoo))
    assert v.image is not None and len(v.stats["ids"]) == 1 and "Choose a penalty" in v.text
    full = O.reconstruction_view(ExploreQuery.parse(**_args(l2=1e-2, train_size=0)), root=str(zoo))
    assert full.image is None and full.text == R.RECON_PROMPT
    gan = O.reconstruction_view(ExploreQuery.parse(**_args(model="gan", target="generator")), root=str(zoo))
    assert gan.image is None and gan.text == R.RECON_PROMPT


def test_side_by_side_keeps_both_pictures():
    a, b = Image.new("RGB", (10, 20), "red"), Image.new("RGB", (30, 5), "blue")
    c = side_by_side(a, b, gap=4)
    assert c.size == (44, 20) and c.getpixel((0, 0)) == (255, 0, 0) and c.getpixel((14, 0)) == (0, 0, 255)
    assert c.getpixel((12, 0)) == (255, 255, 255) and c.getpixel((20, 10)) == (255, 255, 255)


def test_the_shipped_300_image_vae_shows_the_gap_its_numbers_report(data_root):
    """On the shipped zoo: the baseline reconstructs its 300 training digits much better than unseen ones;
    decoder L2 1e-3 narrows that gap (the ELBO gap the card reports, seen as a picture)."""
    root = REPO / "checkpoints"
    v = O.reconstruction_view(ExploreQuery.parse(**_args(dataset="mnist", l2=1e-3, train_size=300)),
                              root=str(root), data_root=str(data_root))
    if v.image is None:
        pytest.skip(f"no 300-image VAE pair in the shipped zoo: {v.text}")
    base, pen = v.stats["errors"]["baseline (λ = 0)"], v.stats["errors"]["selected penalty"]
    base_gap, pen_gap = base["held-out"] - base["train"], pen["held-out"] - pen["train"]
    assert base_gap > 2 * pen_gap and base_gap > 10  # nats per image
