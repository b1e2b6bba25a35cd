"""The coach's paths (normgen.zoo.texts.coach): every number in a step or an answer is the index's, every
right answer is the verdict the index gives (recomputed here another way, from the entries), and the link's
keys round-trip, a bad one named with what is allowed."""

from __future__ import annotations

import json
import math
from urllib.parse import parse_qsl

import pytest
from conftest_browser import L1S, L2S, build_small_zoo, fake_fd

from normgen.zoo.index import load_index
from normgen.zoo.texts import coach as C


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("coach-small")
    build_small_zoo(root)
    return load_index(root)


@pytest.fixture(scope="module")
def found(small):
    return C.paths(small)


def test_start_comes_first_then_the_lessons_each_with_a_question(found):
    keys = [p.key for p in found]
    assert keys[0] == C.START and len(keys) >= 4
    start = found[0]
    assert 3 <= len(start.steps) <= 4 and start.question is None
    assert start.steps[0].control == "explore-l1-slider" and "L1" in start.steps[0].do
    assert "spike at zero" in start.steps[0].watch and "→" in start.steps[0].watch
    for p in found[1:]:
        assert p.question is not None and p.question.answer in [c[0] for c in p.question.choices], p.key
        assert p.state["model"] in ("gan", "vae") and p.text


def test_the_first_step_quotes_the_near_zero_share_of_the_index(small, found):
    step = found[0].steps[0]
    lam = step.tick["l1_min"]
    assert any(math.isclose(lam, v) for v in L1S)
    got = [float(x) for x in __import__("re").findall(r"([\d.]+)%", step.watch)]

    def share(l1):  # the mean over seeds of the generator's near-zero share, straight from the entries
        es = small.find(model="gan", dataset=small.entries[0].dataset, g_norm="none", target="generator",
                        variant="loss", l1=l1, l2=0.0, train_size=0, dropout=0.0)
        vals = [e.weights["generator"]["near_zero_pct"] for e in es]
        return sum(vals) / len(vals)

    assert got[:2] == [round(share(0.0), 1), round(share(lam), 1)]  # then the seeds' range, where they differ


def test_the_sample_answers_follow_the_fd_against_the_seed_spread(found):
    # the tiny zoo's FD is 20 + 2·seed + 1e4·l1 + 50·l2 (fake_fd): the baseline's seeds give 20 and 22
    by = {p.key: p for p in found}
    les = by["l1-sparse"]
    seeds = [fake_fd(les.state["l1"], 0.0, s) for s in (0, 1)]  # L1 1e-4 was trained with two seeds
    assert 20.0 <= sum(seeds) / 2 <= 22.0 and les.question.answer == "same"  # inside the baseline's range
    l2 = by["l2-collapse"]  # the tiny zoo's largest L2 does not collapse: its answer is the FD's
    assert math.isclose(l2.state["l2"], L2S[-1]) and fake_fd(0.0, L2S[-1], 0) > 24.0  # beyond 22 + the spread 2
    assert l2.question.answer == "worse" and "21 → 25" in l2.question.verdict
    assert l2.steps == ()  # "watch the samples come back apart" is said only after a collapse


def test_the_small_data_answers_are_the_small_data_verdicts(found):
    by = {p.key: p for p in found}
    vae = by["small-data-vae"].question
    assert vae.answer == "better" and vae.verdict.endswith(": held.")  # the fake L2 raises the held-out ELBO
    gan = by["small-data-gan"].question  # the fake D L2 moves the gap by less than the seed spread
    assert gan.answer == "same" and "not shown" in gan.verdict
    assert by["small-data-vae"].pictures == by["small-data-gan"].pictures == "nearest"


def test_the_paths_reach_the_page_as_json(found):
    data = json.loads(C.paths_json(found))
    assert list(data) == [p.key for p in found]
    first = data[C.START]["steps"][0]
    assert set(first) == {"control", "do", "watch", "tick"} and "state" not in data[C.START]
    q = data["l1-sparse"]["question"]
    assert q["choices"][0] == list(C.SAMPLES[0])


def test_the_link_keys_round_trip_and_a_bad_one_is_named(found):
    st = C.CoachState(path="l1-sparse", step=1, guess="same")
    frag = C.fragment(st)
    back = C.parse(dict(parse_qsl(frag)), found)
    assert (back.path, back.step, back.guess, back.bad) == ("l1-sparse", 1, "same", [])
    bad = C.parse({"coach": "nope"}, found)
    assert bad.path == "" and "coach: must be one of start" in bad.bad[0] and "'nope'" in bad.bad[0]
    bad = C.parse({"coach": "start", "coach_step": "99", "coach_guess": "x"}, found)
    assert bad.path == "start" and bad.step == 0 and len(bad.bad) == 2
    assert "coach_step: must be a whole number in [0, " in bad.bad[0]
    assert "coach_guess: must be one of (no question on this path)" in bad.bad[1]
    assert C.fragment(C.CoachState()) == ""
