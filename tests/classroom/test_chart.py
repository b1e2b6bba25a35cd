"""The class chart's numbers (means, spread, the pick by the held-out criterion, the zoo band), its SVG and CSV."""

from __future__ import annotations

import csv
import io
import statistics
import xml.etree.ElementTree as ET

from normgen.classroom import experiments as X
from normgen.classroom.chart import NW, chart_data, csv_text, summary, svg, svg_rows, zoo_band
from normgen.classroom.results import zoo_rows
from normgen.classroom.store import Result
from normgen.service.zoo_access import get_index
from normgen.words import fmt_lambda, fmt_num, fmt_pm

EXP = X.get("vae-small-l2")  # ELBO gap shown ×784; pick: highest held-out ELBO
NS = "{http://www.w3.org/2000/svg}"


def res(member, lam, seed, value, pick, simulated=False) -> Result:
    return Result(f"{member}-{lam}-{seed}", member, lam, seed, value, pick, simulated, 0.0)


RESULTS = [res("a", 0.0, 0, 0.09, -0.20), res("b", 0.0, 1, 0.08, -0.19), res("c", 1e-3, 0, 0.01, -0.16),
           res("d", 1e-3, 1, 0.02, -0.17, simulated=True), res("e", 1e-2, 0, -0.01, -0.26)]


def test_columns_means_spread_and_pick():
    d = chart_data(EXP, RESULTS, get_index().entries, me="c")
    c0, c1, c3, c2 = d.columns[0], d.columns[1], d.columns[3], d.columns[2]
    assert c0.values == [0.09 * 784, 0.08 * 784] and c0.mean == statistics.fmean([0.09 * 784, 0.08 * 784])
    assert c0.spread == (0.08 * 784, 0.09 * 784)
    assert c1.values == [] and c1.mean is None
    assert c2.pick_mean == statistics.fmean([-0.16 * 784, -0.17 * 784]) and c3.pick_mean == -0.26 * 784
    assert d.pick == 1e-3  # the highest mean held-out ELBO
    assert [x["mine"] for x in d.dots].count(True) == 1 and c2.mine == [0.01 * 784]
    lower = X.get("gan-small-d-l2")  # smallest mean D gap wins
    d2 = chart_data(lower, [res("a", 0.0, 0, 1.8, 1.8), res("b", 1e-2, 0, 0.6, 0.6)], get_index().entries)
    assert d2.pick == 1e-2
    assert chart_data(X.get("gan-g-l1"), [res("a", 0.0, 0, 5.0, None)], get_index().entries).pick is None


def test_the_class_picks_the_strongest_lambda_within_one_standard_error_of_the_best():
    """ESL 7.10's rule, as Compare picks: λ = 1e-3 has the best mean held-out ELBO, 1e-2 is within one standard
    error of it and 1e-4 is not, so the class picks 1e-2; with one run at the best there is no standard error yet
    and the best is the pick."""
    rs = [res(m, lam, k, 0.0, v) for m, lam, vals in (("a", 0.0, (-0.30, -0.32)), ("b", 1e-4, (-0.20, -0.24)),
                                                      ("c", 1e-3, (-0.10, -0.12, -0.14)), ("d", 1e-2, (-0.13, -0.13)))
          for k, v in enumerate(vals)]
    d = chart_data(EXP, rs, get_index().entries)
    best = d.columns[2]
    assert (d.best, d.pick) == (1e-3, 1e-2)
    assert best.pick_se == statistics.stdev([-0.10 * 784, -0.12 * 784, -0.14 * 784]) / 3 ** 0.5
    text = summary(d)
    score = f"{fmt_pm(best.pick_mean, best.pick_se)}, standard error over 3 runs"
    assert f"the best is L2 λ = 1e-3 ({score})" in text and "so the class picks **L2 λ = 1e-2**" in text
    assert "one-standard-error rule" in text
    alone = chart_data(EXP, [r for r in rs if r.member in "cd"][:1] + rs[-2:], get_index().entries)
    assert (alone.best, alone.pick) == (1e-3, 1e-3) and "no standard error yet" in summary(alone)
    apart = chart_data(EXP, [r for r in rs if r.member != "d"], get_index().entries)
    assert apart.pick == 1e-3 and "no stronger penalty scores within one standard error" in summary(apart)


def test_zoo_band_is_the_zoo_seed_range_in_shown_units():
    entries = get_index().entries
    band, n, steps = zoo_band(entries, EXP, 1e-3)
    vals = [e.metrics["elbo_gap"] * 784 for e in zoo_rows(entries, EXP, 1e-3)]
    assert n == len(vals) >= 3 and band == (min(vals), max(vals)) and steps


def test_svg_has_a_dot_per_result_and_rings_mine():
    d = chart_data(EXP, RESULTS, get_index().entries, me="c")
    root = ET.fromstring(svg(d))
    circles = root.findall(f".//{NS}circle")
    titled = [c for c in circles if c.find(f"{NS}title") is not None]
    assert len(titled) == len(RESULTS)
    assert sum("(simulated)" in c.find(f"{NS}title").text for c in titled) == 1
    assert any(t.text == "you" for t in root.findall(f".//{NS}text"))
    assert any(t.text == "class pick" for t in root.findall(f".//{NS}text"))


def test_the_phone_chart_has_a_row_per_lambda_every_dot_and_mine_inside_its_width():
    d = chart_data(EXP, RESULTS, get_index().entries, me="c")
    root = ET.fromstring(svg_rows(d))
    assert root.get("viewBox").startswith(f"0 0 {NW} ")
    titled = [c for c in root.findall(f".//{NS}circle") if c.find(f"{NS}title") is not None]
    assert len(titled) == len(RESULTS)
    labels = ["".join(t.itertext()) for t in root.findall(f"{NS}text")]
    for c in d.columns:  # one row per λ, its count and mean in its label
        (row,) = [t for t in labels if t.startswith(f"L2 λ = {fmt_lambda(c.lam)} ·")]
        assert f"{len(c.values)} run" in row and (c.mean is None or f"mean {fmt_num(c.mean)}" in row)
    assert "you" in labels and "class pick" in labels
    xs = [float(el.get(a)) for el in root.iter() for a in ("x", "cx", "x1", "x2") if el.get(a) is not None]
    assert 0 <= min(xs) and max(xs) <= NW
    ET.fromstring(svg_rows(chart_data(EXP, [], get_index().entries)))  # an empty class draws too


def test_empty_chart_draws_and_says_so():
    d = chart_data(EXP, [], get_index().entries)
    ET.fromstring(svg(d))
    assert d.pick is None and "0 results" in summary(d) and "once results come in" in summary(d)


def test_csv_has_every_result_and_no_member_token():
    d = chart_data(EXP, RESULTS, get_index().entries)
    text = csv_text(d, RESULTS, {"a": "Ada"})
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(RESULTS) and rows[0]["nickname"] == "Ada"
    assert [r["student"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert float(rows[0]["elbo_gap"]) == round(0.09 * 784, 4)
    assert float(rows[0]["elbo_test"]) == round(-0.20 * 784, 4)  # the pick criterion in the chart's units too
    assert "a-0.0-0" not in text and ",a," not in text  # neither run ids nor tokens
