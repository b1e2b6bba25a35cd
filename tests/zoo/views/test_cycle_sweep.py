"""normgen.zoo.views.cycle_sweep (Compare's λ_cyc sweep of the cycle GAN), on the shipped zoo: the axis is the
L1, unpenalized entries at λ_cyc 0 / 1 / 10 with their seeds, every number is the Translate tab's (same
entries, same formats), verdicts are normgen.zoo.verdicts' rule, and the plots shade the baseline's spread."""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT

from normgen.zoo.index import ZooIndex, load_index
from normgen.zoo.verdicts import Effect, Stat
from normgen.zoo.views import cycle_sweep as CS
from normgen.zoo.views import translation_view as TV

SHIPPED = REPO_ROOT / "checkpoints"
pytestmark = pytest.mark.skipif(not (SHIPPED / "index.json").is_file(), reason="the shipped zoo is not here")


@pytest.fixture(scope="module")
def index() -> ZooIndex:
    return load_index(SHIPPED)


def test_the_axis_is_lambda_cyc_0_1_10_with_the_baseline_last(index):
    points = CS.axis(index, "cyclegan", "mnist")
    assert [lam for lam, _ in points] == [0.0, 1.0, 10.0]
    assert [len(es) for _, es in points] == [2, 1, 2] and CS.baseline_at(points) == 2
    assert all(TV.norm(e) == "l1" and not e.l1 and not e.l2 for _, es in points for e in es)
    assert CS.pairs(index) == [("cyclegan", "mnist")]


def test_the_tables_show_the_translate_tabs_numbers_and_the_verdict_rule(index):
    points = CS.axis(index, "cyclegan", "mnist")
    base, zero = points[2][1], points[0][1]
    text = CS.axis_table(index, "cyclegan", "mnist")
    fd = Effect(Stat([e.metrics["fd"] for e in base]), Stat([e.metrics["fd"] for e in zero]))
    assert fd.beyond  # measured: λ_cyc 0 moves FD beyond the seed spread
    zero_row = next(r for r in text.splitlines() if r.startswith("| 0 |"))
    assert f"{TV.spread(zero, 'fd')} (beyond the seed spread)" in zero_row
    same = Effect(Stat([e.metrics["class_agreement"] for e in base]),
                  Stat([e.metrics["class_agreement"] for e in zero]))
    assert not same.beyond and f"{TV.spread(zero, 'class_agreement')} (within the seed spread)" in zero_row
    assert "**10** (baseline) | 0, 1 |" in text
    norm = CS.norm_table(index, "cyclegan", "mnist")
    l2 = [e for e in TV.translators(index, "mnist") if TV.norm(e) == "l2"]
    grey = next(r for r in norm.splitlines() if r.startswith("| grey pixels"))
    assert f"| {TV.spread(base, 'grey_pct')} | {TV.spread(l2, 'grey_pct')} |" in grey
    assert "within the seed spread" in grey  # measured: no blur beyond the seed spread


def test_the_plots_and_the_strip(index):
    figs = CS.figures(index, "cyclegan", "mnist")
    assert set(figs) == set(CS.PLOTTED)
    ax = figs["fd"].axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert "seed spread at λ_cyc = 10 (baseline)" in labels and any("the truth dilate(a)" in t for t in labels)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "10"]
    strip = CS.strip(index, "cyclegan", "mnist", SHIPPED, seed=0)
    assert [c for _, c in strip] == ["λ_cyc 0", "λ_cyc 1", "λ_cyc 10 (baseline)", "λ_cyc 10, squared L2"]
    assert {img.size for img, _ in strip} == {(TV.SCALE * (4 * 30 + 2), TV.SCALE * (CS.ROWS * 30 + 2))}


def test_a_zoo_without_a_translator_has_no_cycle_sweep():
    empty = ZooIndex(root=SHIPPED, entries=[])
    assert CS.pairs(empty) == [] and CS.axis(empty, "cyclegan", "mnist") == []
    assert CS.axis_table(empty, "cyclegan", "mnist") == ""
    assert "no squared-L2" in CS.norm_table(empty, "cyclegan", "mnist")
