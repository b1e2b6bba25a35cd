"""The app's matplotlib figures: every number they print is recomputed here another way."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from normgen.data import class_names
from normgen.eval.metrics import NEAR_ZERO, layer_stats
from normgen.eval.quality import class_entropy, class_histogram
from normgen.render import figures as plots


def _legend(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


def _png(fig) -> Image.Image:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return Image.open(io.BytesIO(buf.getvalue()))


def test_weight_sparsity_matches_metrics():
    w = torch.randn(4, 3, 5, 5, generator=torch.Generator().manual_seed(0)) * 2e-3
    w[0] = 0
    s, ref = plots.weight_sparsity(w), layer_stats(w)
    assert s["near_zero_pct"] == pytest.approx(ref["near_zero_pct"])
    assert s["zero_pct"] == pytest.approx(ref["zero_pct"]) and s["zero_pct"] == pytest.approx(25.0)


def test_weight_histograms_annotate_computed_numbers():
    # a: 1000 weights of 0.1 -> 0% near zero; b: 250 exact zeros, 150 at NEAR_ZERO / 2, 600 at -0.05
    a = torch.full((1000,), 0.1)
    b = torch.cat([torch.zeros(250), torch.full((150,), NEAR_ZERO / 2), torch.full((600,), -0.05)])
    fig = plots.weight_histograms(a, b, labels=("baseline", "selected"))
    text = _legend(fig)
    assert text == ["baseline: 0.0% near 0, 0.0% exactly 0", "selected: 40.0% near 0, 25.0% exactly 0"]
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    # the outline of each histogram holds every weight, on bins shared by both
    outlines = [p for p in ax.patches if p.get_label().startswith(("baseline", "selected"))]
    assert len(outlines) == 2
    for patch, w in zip(outlines, (a, b), strict=True):
        counts = patch.get_data()[0]
        assert counts.sum() == w.numel()
    assert np.array_equal(outlines[0].get_data()[1], outlines[1].get_data()[1])
    assert _png(fig).size == (900, 500)


def test_layer_norms_bars_equal_inputs():
    a, b = {"net.0": 3.0, "net.3": 2.0}, {"net.0": 1.0, "net.3": 0.5}
    fig = plots.layer_norms(a, b)
    heights = sorted(round(p.get_height(), 6) for p in fig.axes[0].patches)
    assert heights == [0.5, 1.0, 2.0, 3.0]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["net.0", "net.3"]


def test_class_counts_and_entropy():
    # the figures draw counts and entropies measured by normgen.eval.quality
    preds = torch.tensor([0, 0, 1, 3, 3, 3])
    assert class_histogram(preds, 4) == torch.bincount(preds, minlength=4).tolist()
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        class_histogram(torch.tensor([0, 4]), 4)
    counts = [2, 1, 0, 3]
    p = np.array([2, 1, 3]) / 6
    assert class_entropy(counts) == pytest.approx(float(-(p * np.log(p)).sum()))
    assert class_entropy([5, 5, 5, 5]) == pytest.approx(math.log(4))


def test_class_histogram_names_and_entropy():
    base, sel = [6] * 10, [50, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    fig = plots.class_histogram(sel, "mnist", baseline=base)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(class_names("mnist"))
    legend = _legend(fig)
    assert f"baseline: entropy {math.log(10):.2f} of max {math.log(10):.2f}" in legend
    assert f"selected: entropy {class_entropy(sel):.2f} of max {math.log(10):.2f}" in legend
    fig = plots.class_histogram([1, 2, 3, 4], "shapes")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == list(class_names("shapes"))
    with pytest.raises(ValueError, match="expected 4 class counts"):
        plots.class_histogram([1, 2, 3], "shapes")
    with pytest.raises(ValueError, match="unknown dataset"):
        plots.class_histogram([1], "cifar")


def test_metric_vs_lambda_positions_and_error_bars():
    lams = [0.0, 1e-5, 1e-4, 1e-3]
    vals = [[20.0, 24.0], [21.0], [25.0, 27.0], [90.0, 120.0]]
    fig = plots.metric_vs_lambda(lams, {"FD": vals}, ylabel="FD", title="quality", selected=2, floor=3.0)
    ax = fig.axes[0]
    xs, ticks = plots.lambda_positions(lams)
    assert list(xs) == [-6.0, -5.0, -4.0, -3.0]  # 0 sits one decade below 1e-5
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1e-5", "1e-4", "1e-3"]
    line = ax.get_lines()[0]
    assert np.allclose(line.get_ydata(), [22.0, 21.0, 26.0, 105.0])  # means over seeds
    # the error bar of the last point spans its two seeds
    segs = [c for c in ax.collections if hasattr(c, "get_segments")][0].get_segments()
    spans = sorted((min(s[:, 1]), max(s[:, 1])) for s in segs)
    assert (90.0, 120.0) in [(round(lo, 6), round(hi, 6)) for lo, hi in spans]
    assert any("3" in t and "floor" in t for t in _legend(fig))
    assert "min-max over seeds" in ax.get_xlabel()
    _png(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="webp")  # gr.Plot's default format
    assert buf.tell() > 0


def test_metric_vs_lambda_categorical_and_empty():
    fig = plots.metric_vs_lambda([0, 1, 2], {"x": [[1.0], [2.0], [3.0]]}, ylabel="y", title="t",
                                 xlabels=["base", "a", "b"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["base", "a", "b"]
    empty = plots.metric_vs_lambda([], {}, ylabel="y", title="t")
    assert any("Nothing to plot" in t.get_text() for t in empty.axes[0].texts)


def test_no_pyplot_figures_leak():
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    plots.weight_histograms(torch.randn(100), torch.randn(100))
    plots.class_histogram([1, 2, 3, 4], "shapes")
    assert set(plt.get_fignums()) == before


def test_metric_vs_lambda_with_equal_seeds():
    """Three seeds with one value: their float mean lies an ulp above them, which must not crash the bars."""
    assert np.mean([0.1, 0.1, 0.1]) > 0.1
    fig = plots.metric_vs_lambda([0.0, 1e-3], {"m": [[0.1, 0.1, 0.1], [0.2, 0.3]]}, ylabel="y", title="t")
    assert np.allclose(fig.axes[0].get_lines()[0].get_ydata(), [0.1, 0.25])


def test_weight_mechanism_legend_is_the_given_statistics_and_the_zoom_shows_the_spike():
    """The legend prints the statistics it is given (the index's float32 figures), not the weights' own;
    the zoom panel's counts are the histogram of the weights within it, and 40% near zero is its peak."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(5000, generator=g) * 0.2
    b = torch.cat([torch.randn(3000, generator=g) * 0.2, torch.randn(2000, generator=g) * 1e-4])  # 40% near 0
    stats = ({"near_zero_pct": 1.25, "zero_pct": 0.0}, {"near_zero_pct": 40.5, "zero_pct": 0.5})
    fig = plots.weight_mechanism(a, b, ("baseline", "selected"), stats=stats)
    legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert legend == ["baseline:\n1.2% near 0\n0.0% exactly 0", "selected:\n40.5% near 0\n0.5% exactly 0"]
    top, low = fig.axes
    assert top.get_yscale() == "log" and low.get_yscale() == "linear"
    assert low.get_xlim() == pytest.approx((-plots.ZOOM, plots.ZOOM))
    data = [p for p in low.patches if hasattr(p, "get_data")][-1].get_data()  # the selected model's outline
    counts, edges = data[0], data[1]
    ref, _ = np.histogram(b.numpy(), bins=edges)
    assert counts.tolist() == ref.tolist()
    assert counts.argmax() in (len(counts) // 2 - 1, len(counts) // 2)  # the spike sits at zero
    mid = len(counts) // 2
    assert counts[mid - 1] + counts[mid] >= 2000 > 10 * (counts.sum() - counts[mid - 1] - counts[mid])
    # without statistics: measured from the weights, as weight_sparsity does
    fig = plots.weight_mechanism(a, b)
    legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    s = plots.weight_sparsity(b)
    assert legend[1] == f"selected:\n{s['near_zero_pct']:.1f}% near 0\n{s['zero_pct']:.1f}% exactly 0"


def test_weight_mechanism_text_is_at_least_12px_where_it_is_shown():
    """Drawn at 100 dpi for a ~300-400 px column (1280 x 720): every text of at least 12.5 pt is
    >= 12 px when the 390 px wide figure is shown 290 px wide."""
    fig = plots.weight_mechanism(torch.randn(100), torch.randn(100))
    width_px = fig.get_figwidth() * fig.dpi
    scale = 290 / width_px
    sizes = [t.get_fontsize() for ax in fig.axes for t in (*ax.get_xticklabels(), *ax.get_yticklabels(),
                                                          ax.title, ax.xaxis.label, ax.yaxis.label) if t.get_text()]
    sizes += [t.get_fontsize() for leg in fig.legends for t in leg.get_texts()]
    assert sizes and min(sizes) * fig.dpi / 72 * scale >= 12, min(sizes)


def test_metric_vs_lambda_draws_the_baselines_noise_draw_spread_around_its_mean():
    fig = plots.metric_vs_lambda([0.0, 1e-3], {"FD": [[50.0, 60.0], [70.0]]}, ylabel="FD", title="t",
                                 sampling=[6.0, 4.0])
    ax = fig.axes[0]
    hatched = [p for p in ax.patches if p.get_hatch() == "//"]
    assert len(hatched) == 1
    ys = hatched[0].get_path().transformed(hatched[0].get_patch_transform()).vertices[:, 1]
    assert np.isclose(min(ys), 52.0) and np.isclose(max(ys), 58.0)  # the mean 55 +- 6 / 2
    assert any("noise-draw spread at λ = 0 (6)" in t for t in _legend(fig))
    none = plots.metric_vs_lambda([0.0, 1e-3], {"FD": [[50.0], [70.0]]}, ylabel="FD", title="t",
                                  sampling=[None, 4.0])
    assert not [p for p in none.axes[0].patches if p.get_hatch() == "//"]


def test_the_heat_map_of_colour_samples_shows_a_change_in_any_channel():
    """A change in blue alone lights its pixel as brightly as the same change in red (issue 15)."""
    heat = torch.zeros(2, 3, 4, 4)
    heat[0, 2, 1, 1] = 1.0  # sample 0: blue changed at (1, 1)
    heat[1, 0, 2, 2] = 1.0  # sample 1: red changed at (2, 2)
    img = np.asarray(plots.heat_grid(heat, nrow=2))  # pad 2: cell i starts at x = 2 + i * 6
    lut = plots.heat_lut()
    assert (img[2 + 1, 2 + 1] == lut[255]).all() and (img[2 + 2, 8 + 2] == lut[255]).all()
    assert (img[2, 2] == lut[0]).all()  # unchanged pixel: black


def test_metric_vs_lambda_phone_variant_is_narrow_with_its_legend_below_and_reads_at_12_px():
    """`narrow`: NARROW wide, the title over the figure, the legend under the axes (a long entry wrapped), the
    ticks upright past four points; nothing cut, its smallest text >= 12 px shown 326 px wide (a 390-px phone).
    The desktop figure, 700 px with an 11-pt legend, read 7 px there."""
    from normgen.render.learn_figures import min_text_px, overflow_px

    lams = [0.0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3]
    vals = [[20.0, 24.0]] + [[21.0 + i] for i in range(6)]
    long = "nearer a training image than 99% of new real images"
    for narrow in (False, True):
        fig = plots.metric_vs_lambda(lams, {long: vals}, ylabel="% of samples (judge features)", title="Near-copies "
                                     "of training images", xlabel="dropout rate in the encoder and decoder",
                                     selected=3, floor=1.0, narrow=narrow)
        shown = min_text_px(fig) * 326 / (fig.get_figwidth() * fig.dpi)
        if not narrow:
            assert shown < 8 and fig.axes[0].get_legend() is not None  # the desktop figure on a phone
            continue
        ax = fig.axes[0]
        assert fig.get_figwidth() == plots.NARROW and ax.get_legend() is None and fig.legends
        assert all(t.get_rotation() == 90 for t in ax.get_xticklabels())
        assert overflow_px(fig) <= 1 and shown >= 12, (overflow_px(fig), shown)
    empty = plots.metric_vs_lambda([], {}, ylabel="y", title="t", narrow=True)
    assert empty.get_figwidth() == plots.NARROW
