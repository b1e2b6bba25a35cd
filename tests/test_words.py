"""normgen.words: how numbers are written on screen."""

from __future__ import annotations

from normgen.words import fmt_gap, fmt_lambda, fmt_num, fmt_pm, pct, pct_fine, sparsity_words


def test_fmt_lambda():
    got = [fmt_lambda(v) for v in (0, 1e-5, 3e-5, 1e-4, 1e-2, 0.1, 0.25, 1.0)]
    assert got == ["0", "1e-5", "3e-5", "1e-4", "1e-2", "0.1", "0.25", "1"]


def test_fmt_num():
    got = [fmt_num(v) for v in (1473.2, 797.04, 20.13, 1.848, 0.01234, 0.0, 2.5e-5, 3e7)]
    assert got == ["1473", "797", "20.1", "1.85", "0.0123", "0", "2.5e-05", "3e+07"]


def test_a_small_share_of_exact_zeros_stays_visible():
    """The table said 0.006% exactly-zero weights while the histogram's legend beside it said 0.0% (Explore,
    GAN on MNIST at L1 1e-4): both now ask `pct_fine`."""
    assert [pct(v) for v in (0.0, 19.43, 99.96)] == ["0.0%", "19.4%", "100%"]
    assert [pct_fine(v) for v in (0.0, 0.006, 0.0015, 0.05, 3.21)] == ["0.0%", "0.006%", "0.0015%", "0.1%", "3.2%"]
    stats = {"near_zero_pct": 19.43, "zero_pct": 0.006}
    assert sparsity_words("selected", stats) == "selected: 19.4% near 0, 0.006% exactly 0"
    assert sparsity_words("a", stats, sep="\n") == "a: 19.4% near 0\n0.006% exactly 0"


def test_a_gap_reads_as_the_difference_of_the_two_numbers_beside_it():
    """Train said 'mean logit 4.06 on training images and 3.93 on held-out ones: a gap of 0.124' (each to 3
    significant digits): a reader subtracts 0.13. At the gap's decimals the two numbers subtract to it."""
    a, b = 4.0553, 3.9313
    train, held, gap = fmt_gap(a, b, a - b)
    assert (train, held, gap) == ("4.055", "3.931", "0.124")
    assert abs(float(train) - float(held) - float(gap)) < 1.5e-3
    assert fmt_gap(-94.41, -97.62, 3.21) == ("-94.41", "-97.62", "3.21")
    assert fmt_gap(1200.4, 1180.1, 20.3) == ("1,200.4", "1,180.1", "20.3")
    assert fmt_gap(5.0, 5.0, 0.0) == ("5", "5", "0")


def test_fmt_pm_gives_the_mean_at_its_errors_decimals():
    assert fmt_pm(-130.2874, 0.0744) == "-130.287 ± 0.074"
    assert fmt_pm(-94.08, 9.052) == "-94.1 ± 9.1"
    assert fmt_pm(1234.4, 56.0) == "1,234 ± 56"
    assert fmt_pm(0.598, 0.023) == "0.598 ± 0.023"
    assert fmt_pm(5.0, 0.0) == "5 ± 0"
