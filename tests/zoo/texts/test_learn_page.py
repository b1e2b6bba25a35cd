"""normgen.zoo.texts.learn_page: the Learn page's words without Gradio or the server; a lesson's link is made by
the function the caller passes (the server's shareable-link builder on the page)."""

from __future__ import annotations

from conftest_browser import build_small_zoo

from normgen.zoo.index import load_index
from normgen.zoo.texts import learn_page as LP


def test_each_lesson_is_linked_by_the_link_function_it_is_given(tmp_path):
    build_small_zoo(tmp_path)
    index = load_index(tmp_path)
    seen: list[dict] = []

    def link(state):
        seen.append(dict(state))
        return f"?probe={state['model']}"

    page = LP.learn_page(index, link=link)
    lessons = [b for b in page if b.lesson]
    assert lessons and seen  # every lesson that opens on Explore asked for its link
    assert all("(?probe=" in b.markdown for b in lessons)
    assert {s["model"] for s in seen} <= {e.model for e in index.entries}
    text = LP.learn_markdown(index, link=link)
    assert "?tab=explore" not in text and "[Link to this lesson →](?probe=" in text


def test_a_dataset_section_holds_its_own_plots_and_the_colour_ladder_has_a_heading_of_its_own():
    """The shipped page: under "What this zoo measured: MNIST digits" came the CIFAR-10 Lipschitz ladder as a
    ### heading, and the MNIST penalty plots after it, so they read as the ladder's and the ladder as MNIST's."""
    import re
    from pathlib import Path

    import pytest

    from normgen.zoo import ladder
    from normgen.zoo.index import zoo_root

    root = zoo_root(None)
    if not (Path(root) / "index.json").is_file():
        pytest.skip("no shipped zoo index")
    index = load_index(root)
    if not ladder.paragraph(index):
        pytest.skip("the shipped zoo has no Lipschitz ladder")
    page = LP.learn_page(index, "mnist", link=lambda *a, **k: "?")
    sections: list[tuple[str, list]] = []  # each "## " heading with the blocks under it
    for b in page:
        if b.markdown.startswith("## "):
            sections.append((b.markdown.splitlines()[0], []))
        if sections:
            sections[-1][1].append(b)
    by_head = dict(sections)
    mnist = by_head["## What this zoo measured: MNIST digits"]
    pens = [p.key for p in LP.all_pictures(index, "mnist")["penalties"]]
    assert pens and set(pens) <= {p.key for b in mnist for p in b.pictures}  # the MNIST plots sit in their section
    assert all(not re.search(r"CIFAR|Lipschitz ladder", b.markdown) for b in mnist)
    colour = by_head[f"## {ladder.title()}"]
    assert "CIFAR-10" in ladder.title() and [p.key for b in colour for p in b.pictures] == ["ladder"]
