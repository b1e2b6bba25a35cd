"""The Learn figures: what is drawn is the data passed in, and the text is large enough to read."""

from __future__ import annotations

import math

from normgen.render import learn_figures as LF

SHOWN_AT_1280 = 590  # px: the width a two-up Learn figure has at 1280 x 720 (measured in Chromium)


def test_lambda_panel_draws_means_ranges_band_and_collapse():
    series = {"L1": LF.Series([0.0, 1e-4, 1e-3], [[1.0, 3.0], [10.0], [50.0]], [False, False, True]),
              "L2": LF.Series([0.0, 1e-2], [[1.0, 3.0], []])}
    fig = LF.lambda_panel(series, title="t", ylabel="y", band=(1.0, 3.0))
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 1]
    means = sorted(tuple(round(float(v), 6) for v in ln.get_ydata()) for ln in lines)
    assert (2.0, 10.0, 50.0) in means  # the L1 means; L2 has one point with values (a line of one)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1e-4", "1e-3", "1e-2"]
    crosses = [c for c in ax.collections if c.get_offsets().shape[0] == 1 and c.get_label() == "mode collapse"]
    assert len(crosses) == 1 and math.isclose(crosses[0].get_offsets()[0][1], 50.0)
    assert any(p.get_label() == "λ = 0: seed spread" for p in ax.patches)
    assert LF.min_text_px(fig) * min(1.0, SHOWN_AT_1280 / (fig.get_figwidth() * fig.dpi)) >= 12


def test_settings_panel_one_row_per_setting_in_order_with_its_range():
    rows = [("baseline", [1.0, 2.0], "baseline"), ("L2 1e-3", [5.0, 6.0, 7.0], "held"), ("empty", [], "not shown")]
    fig = LF.settings_panel(rows, title="t", xlabel="gap", better="← better", band=(1.0, 2.0))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["empty", "L2 1e-3", "baseline"]  # top to bottom
    bars = [ln for ln in ax.get_lines()]
    assert sorted(tuple(ln.get_xdata()) for ln in bars) == [(1.0, 2.0), (5.0, 7.0)]
    dots = {c.get_label(): tuple(c.get_offsets()[0]) for c in ax.collections if c.get_label() in ("held", "baseline")}
    assert dots == {"held": (6.0, 1.0), "baseline": (1.5, 2.0)}
    assert "← better" in ax.get_xlabel()
    assert LF.min_text_px(fig) * min(1.0, SHOWN_AT_1280 / (fig.get_figwidth() * fig.dpi)) >= 12


def test_png_bytes_is_a_png_of_the_figure_size():
    fig = LF.settings_panel([("a", [1.0], "held")], title="t", xlabel="x")
    png = LF.png_bytes(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (w, h) == (round(fig.get_figwidth() * 100), round(fig.get_figheight() * 100))
