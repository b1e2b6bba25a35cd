"""The Learn tab: the lessons (each its question, opened on Explore in place by its button: the answer waits
there for the learner's guess, normgen.app.tabs.explore_coach), the penalties as formulas, and what the zoo
measured, as pictures. The page's words and blocks are normgen.zoo.texts.learn_page (built from the zoo index
when the page is built); `learn_page(index)` gives them with this server's lesson links, `learn_markdown(index)`
the text alone. The glossary (normgen.glossary) sits under the title, and each term
of it is explained on hover / tap where the page first uses it. Gradio is imported only inside `build_learn_tab`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from normgen.app.picture_tags import picture_html
from normgen.app.static_files import asset
from normgen.glossary import explain, glossary_markdown
from normgen.render.learn_figures import PANEL
from normgen.service import links
from normgen.service.zoo_access import get_index
from normgen.zoo.index import ZooIndex
from normgen.zoo.learn_pictures import Picture
from normgen.zoo.texts import learn_page as LP
from normgen.zoo.texts.learn_page import Block, zoo_digest

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]


def learn_page(index: ZooIndex, dataset: str | None = None, base: str = "") -> list[Block]:
    """The page (normgen.zoo.texts.learn_page), its lessons linked with the shareable link's own builder."""
    return LP.learn_page(index, dataset, base, link=links.explore_link)


def learn_markdown(index: ZooIndex, dataset: str | None = None) -> str:
    """The page's text (normgen.zoo.texts.learn_page.learn_markdown), its lessons linked as on the page."""
    return LP.learn_markdown(index, dataset, link=links.explore_link)


def pictures_html(pictures: list[Picture], digest: str = "") -> str:
    """A wrapping row of <figure>s: each PNG a file the web server serves (normgen.app.picture_tags; `digest`: see
    normgen.service.page_pictures.picture_file), with its alt text. The Learn tab's content enters the page when the
    tab opens, so a first page load fetches none; once open, every picture loads (not lazily: a full-page capture
    or a print shows them all)."""
    figs = []
    for p in pictures:
        wide = " learn-fig-wide" if p.fig.get_figwidth() > 1.5 * PANEL[0] else ""  # two panels: a row of its own
        phone = "" if p.narrow is None else " learn-fig-phone"
        figs.append(f'<figure class="learn-fig{wide}{phone}">{picture_html(p, digest)}</figure>')
    return f'<div class="learn-figs">{"".join(figs)}</div>'




def build_learn_tab(root: str | Path | None = None) -> dict[str, Any]:
    """Open a `Learn` tab (id "learn") in the current Blocks; its text and pictures are built from the zoo now.
    Returns each lesson's "Open here" button by its path key (the app opens the lesson on Explore in place)."""
    import gradio as gr

    try:
        index = get_index(root)
        page, problem, digest = learn_page(index), "", zoo_digest(index)
    except ValueError as exc:  # a malformed index: explain, don't crash the app
        page, problem = learn_page(ZooIndex(root=Path(".")), None), f"**The zoo index could not be read:** {exc}"
        digest = ""
    buttons: dict[str, Any] = {}
    with gr.Tab("Learn", id="learn", elem_id="tab-learn"), gr.Column(elem_id="learn-md"):
        if problem:
            gr.Markdown(problem)
        gr.HTML("", head=f"<style>{asset('learn.css')}</style>", container=False, padding=False)
        for i, b in enumerate(page):
            if b.markdown:  # each word of the glossary explained on hover / tap where it first appears
                gr.Markdown(explain(b.markdown), latex_delimiters=LATEX)
            if b.lesson:
                buttons[b.lesson] = gr.Button("Open this lesson here →", size="sm", variant="secondary",
                                              elem_id=f"learn-open-{b.lesson}", elem_classes=["learn-open"])
            if i == 0:  # under the title, one click away (the page is long: at its end no one finds it)
                with gr.Accordion("Glossary: the words this app uses, one line each", open=False,
                                  elem_id="learn-glossary-box"):
                    gr.Markdown(glossary_markdown(), elem_id="learn-glossary")
            if b.pictures:
                gr.HTML(pictures_html(b.pictures, digest), container=False, padding=False)
                captions = [p.caption for p in b.pictures if p.caption]
                if captions:
                    gr.Markdown(explain("\n\n".join(captions)), elem_classes=["learn-caption"])
    return buttons
