"""scripts/load_test.py's verdict on a class: what counts as wrong (never tried again) and what as late (a timing
goal missed on a shared machine: a second class is tried)."""

import argparse
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "scripts" / "load_test.py"


@pytest.fixture(scope="module")
def lt():
    spec = importlib.util.spec_from_file_location("load_test", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GOALS = argparse.Namespace(p95_goal=1.0, class_lag_goal=5.0)


def a_class(**change) -> dict:
    """A class of 60 whose every result landed once, kept over the restart, on time."""
    c = {"students": 60, "joined": 60, "results_on_chart": 60, "results_expected": 60, "csv_rows": 60,
         "second_posts_counted": 0, "posts_never_seen": 0, "results_after_restart": 60, "real_posted": 2,
         "real_runs": 2, "chart_lag_s_max": 1.4, "explore_meanwhile": {"errors": 0, "p95_s": 0.45}}
    return c | change


def test_a_class_whose_results_all_landed_on_time_passes(lt):
    assert lt.classroom_checks(a_class(), GOALS) == (True, True)


@pytest.mark.parametrize("late", [{"explore_meanwhile": {"errors": 0, "p95_s": 1.248}}, {"chart_lag_s_max": 6.0}])
def test_a_timing_goal_missed_is_late_not_wrong(lt, late):
    assert lt.classroom_checks(a_class(**late), GOALS) == (True, False)


@pytest.mark.parametrize("wrong", [{"results_on_chart": 59}, {"second_posts_counted": 1}, {"results_after_restart": 0},
                                   {"real_posted": 1}, {"posts_never_seen": 1}, {"csv_rows": 59},
                                   {"explore_meanwhile": {"errors": 1, "p95_s": 0.4}}])
def test_a_lost_doubled_or_unposted_result_or_an_explore_error_is_wrong(lt, wrong):
    correct, timely = lt.classroom_checks(a_class(**wrong), GOALS)
    assert not correct and timely
