"""The weight histogram as SVG (normgen.render.weight_svg): counts against numpy's histogram on the same
edges, one set of axes for a whole slice, and a picture whose axes do not depend on the weights drawn."""

from __future__ import annotations

import re

import numpy as np
import torch

from normgen.render.figures import ZOOM
from normgen.render.weight_svg import BINS, ZOOM_BINS, counts, slice_axes, weight_histogram_svg


def _weights(scale: float, seed: int, n: int = 5000) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, generator=g) * scale


def test_counts_are_numpys_histogram_on_the_slice_edges():
    w = _weights(0.1, 0)
    top, low = counts(w, 0.5)
    assert top == np.histogram(w.numpy(), bins=np.linspace(-0.5, 0.5, BINS + 1))[0].tolist()
    assert low == np.histogram(w.numpy(), bins=np.linspace(-ZOOM, ZOOM, ZOOM_BINS + 1))[0].tolist()


def test_slice_axes_hold_every_vector_of_the_slice():
    ws = [_weights(0.05, 1), _weights(0.3, 2), torch.zeros(4000)]  # the last: an L1 spike at exactly zero
    axes = slice_axes(ws)
    assert axes.lim == max(float(w.abs().max()) for w in ws)
    assert axes.top_max == max(max(counts(w, axes.lim)[0]) for w in ws)
    assert axes.zoom_max == max(max(counts(w, axes.lim)[1]) for w in ws) == 4000


def test_the_drawn_axes_are_the_slices_whatever_the_weights():
    a, b, c = _weights(0.05, 3), _weights(0.2, 4), _weights(0.01, 5)
    axes = slice_axes([a, b, c])
    svgs = [weight_histogram_svg(axes, counts(a, axes.lim), counts(w, axes.lim), ("baseline: x", "selected: y"),
                                 title="Weights of the generator", alt="alt") for w in (b, c)]
    ticks = [re.findall(r'class="tick">([^<]*)<', s) for s in svgs]
    assert ticks[0] == ticks[1] and ticks[0]  # the same tick labels ...
    assert all(f'data-axes="{axes.key()}"' in s for s in svgs)  # ... the same axes ...
    assert svgs[0] != svgs[1]  # ... and different bars
    assert svgs[0].startswith("<svg") and 'role="img" aria-label="alt"' in svgs[0]
