"""Lessons: each preset's sentences come from the index and follow the seed spread; each link opens
Explore at the lesson's setting; a lesson the zoo cannot back says so instead of stating anything."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from conftest_browser import L1S, build_small_zoo, build_tiny_zoo

from normgen.service import links
from normgen.zoo import sweeps as S
from normgen.zoo.index import load_index
from normgen.zoo.texts import lessons as L


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("lessons-tiny")
    build_tiny_zoo(root)
    return load_index(root)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("lessons-small")
    build_small_zoo(root)
    return load_index(root)


def _by_key(index) -> dict[str, L.Lesson]:
    return {les.key: les for les in L.lessons(index)}


def test_three_to_five_lessons_each_with_a_link_that_opens_its_setting(small):
    found = L.lessons(small)
    assert 3 <= len(found) <= 5
    for les in found:
        if not les.measured:
            assert les.state == {} and "Not measured yet" in les.text
            continue
        q = links.parse_page_query(dict(parse_qsl(links.explore_link(les.state)[1:])))
        assert q["tab"] == "explore"
        assert links.part(q, "explore") == les.state, les.key
        assert 10 <= len(les.text.split()) <= 130, (les.key, les.text)


def test_the_l1_lesson_quotes_the_index_and_the_seed_spread(tiny):
    les = _by_key(tiny)["l1-sparse"]
    sw = S.get_sweep(tiny, "gan", "shapes", "l1|none|none|generator|loss|10")
    p = next(p for p in sw.points if p.lams["l1"] == L1S[1])  # 1e-4: FD 21 and 23, inside the baseline's 20-22
    nz = sum(e.weights["generator"]["near_zero_pct"] for e in p.entries) / len(p.entries)
    assert les.state["l1"] == L1S[1] and les.state["model"] == "gan"
    assert "L1 λ=1e-4 raised the near-zero weights from" in les.text
    assert f"to {nz:.1f}%" in les.text
    assert "(inside the seed spread of 2 seeds: not an effect)" in les.text
    assert "beyond" not in les.text and "outside" not in les.text  # no effect is claimed


def test_no_collapse_is_claimed_where_the_index_shows_none(tiny):
    les = _by_key(tiny)["l2-collapse"]  # the tiny zoo's L2 points keep every class
    assert les.text.startswith("No L2 point of this sweep collapsed the GAN")
    assert "mode collapse" not in les.text


def test_a_lesson_without_entries_says_what_is_missing(tiny):
    les = _by_key(tiny)["batchnorm"]
    assert not les.measured and les.state == {}
    assert "Not measured yet" in les.text and "batch norm" in les.text
    assert "Not measured yet" in _by_key(tiny)["small-data-vae"].text


def test_the_small_data_lesson_says_where_the_claim_held_and_where_not(small):
    les = _by_key(small)["small-data-vae"]
    assert les.state["train_size"] == 300 and les.state["l2"] == 1e-3 and les.state["target"] == "decoder"
    assert "fits its training images better than new ones in every seed" in les.text
    assert "With decoder L2 λ=1e-3: held-out ELBO" in les.text and "**held**" in les.text
    assert "On all training images: held-out ELBO" in les.text and "**did not hold" in les.text


def test_the_gan_small_data_lesson_reports_no_effect_within_the_spread(small):
    les = _by_key(small)["small-data-gan"]  # D L2 1e-3 moves the gap by 0.005 against a seed spread of 0.2
    assert "within the seed spread" in les.text and "**not shown" in les.text
    assert "**held**" not in les.text


def test_lesson_markdown_has_the_title_text_and_link(small):
    les = _by_key(small)["small-data-vae"]
    md = L.lesson_markdown(les, "http://host/?tab=explore&model=vae")
    assert les.title.endswith("?")  # a question: no full stop after it
    assert md.startswith(f"**{les.title}** ") and "[Open in Explore →](http://host/?tab=explore&model=vae)" in md
    l1 = _by_key(small)["l1-sparse"]
    assert L.lesson_markdown(l1).startswith(f"**{l1.title}.** ") and "Open in Explore" not in L.lesson_markdown(l1)
