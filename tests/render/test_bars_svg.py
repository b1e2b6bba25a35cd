"""Explore's bar charts as SVG: one pair of bars per layer with its norm, class bars with their entropy and
the uniform line, lengths proportional to the numbers on one shared axis."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from normgen.render.bars_svg import class_bars_svg, layer_norms_svg

NS = "{http://www.w3.org/2000/svg}"


def _bars(svg: str) -> list[tuple[float, float, str]]:
    """(width, height, title) of every bar (rect with a title), in document order."""
    root = ET.fromstring(svg)
    return [(float(r.get("width")), float(r.get("height")), r.find(f"{NS}title").text)
            for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]


def test_layer_bars_are_proportional_to_the_norms_on_one_axis():
    svg = layer_norms_svg({"fc": 40.0, "up1": 10.0}, {"fc": 20.0, "up1": 5.0}, ("baseline", "selected"),
                          alt="norms of the GAN")
    bars = _bars(svg)
    assert [t for *_, t in bars] == ["baseline: 40", "selected: 20", "baseline: 10", "selected: 5"]
    widths = [w for w, _, _ in bars]
    assert widths[0] > 0 and [w / widths[0] for w in widths] == pytest.approx([1, 0.5, 0.25, 0.125])
    assert 'aria-label="norms of the GAN"' in svg and 'role="img"' in svg


def test_a_layer_missing_on_one_side_draws_no_bar_and_says_so():
    bars = _bars(layer_norms_svg({"fc": 4.0}, {"fc": 2.0, "extra": 1.0}))
    assert ("baseline: —" in [t for *_, t in bars]) and bars[2][0] == 0.0
    assert "No penalized layers" in layer_norms_svg({}, {})


def test_class_bars_carry_the_counts_the_entropy_and_the_uniform_line():
    names = ["zero", "one", "two"]
    base, sel = [10, 10, 10], [30, 0, 0]
    svg = class_bars_svg(sel, names, baseline=base)
    bars = _bars(svg)
    assert [t for *_, t in bars] == ["baseline, zero: 10", "selected, zero: 30", "baseline, one: 10",
                                     "selected, one: 0", "baseline, two: 10", "selected, two: 0"]
    heights = [h for _, h, _ in bars]
    assert heights[1] == pytest.approx(3 * heights[0]) and heights[3] == 0
    assert f"baseline: entropy {math.log(3):.2f} of {math.log(3):.2f}" in svg
    assert "selected: entropy 0.00 of" in svg
    assert len(re.findall("stroke-dasharray", svg)) == 2  # the uniform line and its legend swatch
    with pytest.raises(ValueError, match="expected 3 class counts"):
        class_bars_svg([1, 2], names)
