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
