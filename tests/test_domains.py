"""normgen.domains: the dilation ground truth of a known digit, the unpaired split, and bad input."""

from __future__ import annotations

import pytest
import torch

from normgen.data import Dataset, make_shapes
from normgen.domains import DOMAIN_PAIRS, DomainData, dilate, domain_pair, split_domains


def _seven() -> torch.Tensor:
    """A hand-drawn 7 on an 8×8 canvas: a top bar (row 1, cols 1-5) and a diagonal down to (6, 2)."""
    x = -torch.ones(1, 8, 8)
    x[0, 1, 1:6] = 1.0
    for r, c in ((2, 5), (3, 4), (4, 4), (5, 3), (6, 2)):
        x[0, r, c] = 1.0
    return x


def test_dilation_of_a_known_digit_is_every_pixel_within_one_step_of_ink():
    x = _seven()
    ink = (x[0] > 0).nonzero().tolist()
    want = -torch.ones(1, 8, 8)
    for r, c in ink:  # the 3×3 square around every ink pixel, clipped at the border
        want[0, max(0, r - 1):r + 2, max(0, c - 1):c + 2] = 1.0
    assert torch.equal(dilate(x), want)
    assert torch.equal(domain_pair("thin-bold").to_b(x.unsqueeze(0)), want.unsqueeze(0))  # batched
    # the top bar (row 1, cols 1-5) becomes rows 0-2, cols 0-6; a lone corner pixel stays background
    assert bool((dilate(x)[0, 0:3, 0:7] == 1).all()) and dilate(x)[0, 7, 7] == -1


def test_dilation_keeps_grey_values_as_a_max_filter():
    x = -torch.ones(1, 1, 5, 5)
    x[0, 0, 2, 2] = 0.25
    y = dilate(x)
    assert torch.equal(y[0, 0, 1:4, 1:4], torch.full((3, 3), 0.25))
    assert float(y.sum()) == pytest.approx(9 * 0.25 - 16)


def test_split_is_unpaired_disjoint_deterministic_and_b_is_dilated():
    ds = make_shapes(40, seed=3)
    dom = split_domains(ds, "thin-bold", seed=7)
    assert len(dom.a) == len(dom.b) == 20 and len(dom) == 40
    again = split_domains(ds, "thin-bold", seed=7)
    assert torch.equal(dom.a.images, again.a.images) and torch.equal(dom.b.images, again.b.images)
    other = split_domains(ds, "thin-bold", seed=8)
    assert not torch.equal(dom.a.images, other.a.images)
    # every A image is one of the originals; every B image is the dilation of an original not in A
    flat = ds.images.flatten(1)
    a_idx = [int((flat == x.flatten()).all(1).nonzero()[0]) for x in dom.a.images]
    bold = dilate(ds.images).flatten(1)
    b_idx = [int((bold == x.flatten()).all(1).nonzero()[0]) for x in dom.b.images]
    assert not set(a_idx) & set(b_idx) and len(set(a_idx) | set(b_idx)) == 40
    a, b = dom.batch(5, torch.Generator().manual_seed(0))
    assert a.shape == b.shape == (5, 1, 28, 28)
    assert float((b > 0).float().mean()) > float((a > 0).float().mean())  # bold has more ink


def test_bad_input_is_one_line():
    with pytest.raises(ValueError, match="unknown domain pair 'zebra'; choose one of: thin-bold") as e:
        domain_pair("zebra")
    assert "\n" not in str(e.value)
    a = Dataset("shapes", torch.zeros(4, 1, 28, 28), torch.zeros(4, dtype=torch.long))
    b = Dataset("shapes", torch.zeros(4, 1, 32, 32), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"domain A images are \(1, 28, 28\) but domain B images are \(1, 32, 32\)"):
        DomainData("shapes", "thin-bold", a, b)
    with pytest.raises(ValueError, match="odd"):
        dilate(torch.zeros(1, 1, 4, 4), size=2)
    assert set(DOMAIN_PAIRS) == {"thin-bold"}
