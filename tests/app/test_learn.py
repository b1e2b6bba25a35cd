"""The Learn page: lessons, formulas and pictures; prose of about 1,000 words at most (counted), alt
text on every picture, plot text large enough for a projector."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest_browser import build_small_zoo

from normgen.app import picture_tags
from normgen.app.tabs import learn
from normgen.render.learn_figures import min_text_px
from normgen.zoo.index import load_index, zoo_root
from normgen.zoo.texts import learn_page as LP

SHOWN_AT_1280 = 590  # px: a two-up Learn figure's width at 1280 x 720 (measured in Chromium)
WIDE_AT_1280 = 1190  # px: a figure of two panels, in a row of its own (measured in Chromium)
PHONE_SHOWN = 326  # px: a Learn figure's width at 390 x 844 (measured in Chromium)
ABOUT = 1.1  # "about 1,000 words": the shipped zoo's page is measured below


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("learn-small")
    build_small_zoo(root)
    return load_index(root)


def test_prose_words_leaves_out_math_links_code_and_table_rules():
    md = "Two words $x^2 + y$ and $$\\sum_i w_i$$ [a link](?tab=explore&model=gan) `code here` |---|---|"
    assert LP.prose_words(md) == 5  # Two words and a link: math, the address, code and the rule left out


def test_the_page_has_lessons_formulas_and_pictures_in_order(small):
    page = learn.learn_page(small)
    text = learn.learn_markdown(small)
    heads = [h for h in re.findall(r"^##? .*$", text, flags=re.M)]
    assert heads[:3] == ["# Regularization, in pictures and in numbers", "## Lessons", "## The penalties"]
    assert text.index("## Where regularization helps") < text.index("## What this zoo measured")
    assert "$$" in text and r"\lambda_1" in text  # the formulas stay
    # each lesson asks its question and links to itself on Explore; its measured answer waits for the guess there
    assert "[Link to this lesson →](?tab=explore&model=vae" in text and "coach=small-data-vae" in text
    lesson_blocks = [b for b in page if b.lesson]
    assert lesson_blocks and all("Predict" not in b.markdown and "…" in b.markdown for b in lesson_blocks)
    assert not any("**held**" in b.markdown for b in lesson_blocks)
    pics = [p for b in page for p in b.pictures]
    assert len(pics) >= 6
    assert not any("|---" in b.markdown for b in page if b.markdown and "## The penalties" not in b.markdown)


def test_every_picture_has_alt_text_with_its_numbers_and_readable_text(small):
    pics = [p for b in learn.learn_page(small) for p in b.pictures]
    for p in pics:
        assert p.alt.startswith(("Line chart, ", "Dot chart, ")) and re.search(r"\d", p.alt), p.key
        width = p.fig.get_figwidth() * p.fig.dpi
        assert min_text_px(p.fig) * min(1.0, SHOWN_AT_1280 / width) >= 12, p.key
    html = learn.pictures_html(pics[:2])
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', html)
    assert len(alts) == 2 and all(alts)


def test_pictures_are_files_the_page_fetches_when_learn_shows_them(small):
    """Each picture is a PNG file of Learn's own folder, linked by the web server's file route and loaded lazily:
    inline as data URIs they were 0.9 MB of every first page load, on any tab."""
    import hashlib
    from urllib.parse import unquote

    from normgen.service import page_pictures

    pics = [p for b in learn.learn_page(small) for p in b.pictures][:3]
    html = learn.pictures_html(pics)
    assert "base64" not in html
    srcs = re.findall(r'<img src="([^"]*)"', html)
    assert "lazy" not in html  # a full-page capture of Learn shows every picture
    assert len(srcs) == 3 and all(s.startswith(picture_tags.FILE_ROUTE) for s in srcs)
    for src in srcs:
        path = Path(unquote(src[len(picture_tags.FILE_ROUTE):]))
        png = path.read_bytes()
        assert path.parent == page_pictures.folder() and png[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.name == hashlib.sha256(png).hexdigest()[:24] + ".png"  # named by content: written once


def test_the_small_data_pictures_say_where_the_claim_held(small):
    caps = [p.caption for b in learn.learn_page(small) for p in b.pictures if p.caption]
    assert any(c.startswith("*Textbook claim: on a small training set") and "Held for" in c for c in caps)
    text = learn.learn_markdown(small)
    assert "**Against all training images.**" in text and "no overfitting for a penalty to prevent" in text


def test_prose_is_about_1000_words_at_most(small):
    assert LP.prose_words(learn.learn_markdown(small)) <= LP.WORDS_MAX * ABOUT


def test_the_shipped_zoo_page_is_about_1000_words():
    root = zoo_root(None)
    if not (Path(root) / "index.json").is_file():
        pytest.skip("no shipped zoo index")
    n = LP.prose_words(learn.learn_markdown(load_index(root)))
    assert 300 < n <= LP.WORDS_MAX * ABOUT, n


def test_build_learn_tab_renders_each_block(small, tmp_path):
    import gradio as gr

    for root in (small.root, tmp_path / "empty"):
        with gr.Blocks() as demo, gr.Tabs():
            learn.build_learn_tab(root)
        htmls = [b for b in demo.blocks.values() if isinstance(b, gr.HTML) and "<img" in str(b.value)]
        ids = {getattr(b, "elem_id", None) for b in demo.blocks.values()}
        assert {"tab-learn", "learn-md"} <= ids
        assert bool(htmls) == (root == small.root)


def test_pictures_are_drawn_once_per_zoo_and_read_back_the_same(small, tmp_path, monkeypatch):
    from normgen.render.learn_figures import png_bytes
    from normgen.service import page_pictures

    monkeypatch.setattr(page_pictures, "_FILES", {})
    digest = LP.zoo_digest(small)
    assert len(digest) == 64 and LP.zoo_digest(load_index(tmp_path / "no-zoo")) == ""
    pics = [p for b in learn.learn_page(small) for p in b.pictures]
    first = [page_pictures.picture_png(p, digest) for p in pics]
    assert len(page_pictures._FILES) == len(pics)  # one kept file per picture
    drawn = []
    monkeypatch.setattr(page_pictures, "png_bytes", lambda fig: drawn.append(fig) or png_bytes(fig))
    again = [page_pictures.picture_png(p, digest) for p in pics]
    assert again == first and not drawn  # read back, not drawn
    assert first[0][:8] == b"\x89PNG\r\n\x1a\n"
    # another zoo's numbers are other pictures: a new digest misses and draws
    page_pictures.picture_png(pics[0], "0" * 64)
    assert len(drawn) == 1 and len(page_pictures._FILES) == len(pics) + 1


def test_the_penalties_table_names_weight_clipping_as_the_third_norm(small):
    text = learn.learn_markdown(small)
    row = next(line for line in text.splitlines() if line.startswith("| **clipping**"))
    assert r"\lVert w \rVert_\infty \le c" in row and "L∞" in row and "[-c, c]" in row


def test_the_shipped_page_explains_the_cycle_term_with_its_measured_numbers():
    from normgen.zoo.views import translation_view as TV

    root = zoo_root(None)
    if not (Path(root) / "index.json").is_file():
        pytest.skip("no shipped zoo index")
    index = load_index(root)
    text = learn.learn_markdown(index)
    row = next(line for line in text.splitlines() if line.startswith("| **cycle term**"))
    assert "L1 or squared L2" in row and "round-trip error" in row
    line = TV.learn_line(index)
    assert line and f"**The cycle term**, {line} [Translate →](?tab=translate)" in text
    assert line.count("the seed spread)") == 3  # each change judged by the one rule


def test_no_shipped_picture_is_cut_at_its_edges():
    """The shipped zoo's Learn pictures fit their canvas: the near-copies panel's title ('Near-copies (%, judge
    features; real data 1%) (real data: 1)') was wider than the figure, constrained layout gave up, and its title,
    axis label and longest row label were cut 40-49 px on both sides, on every screen."""
    from normgen.render.learn_figures import overflow_px

    root = zoo_root(None)
    if not (Path(root) / "index.json").is_file():
        pytest.skip("no shipped zoo index")
    pics = [p for b in learn.learn_page(load_index(root)) for p in b.pictures]
    assert len(pics) >= 10
    cut = {p.key: round(overflow_px(p.fig), 1) for p in pics if overflow_px(p.fig) > 1}
    assert not cut, cut


def test_every_shipped_picture_is_shown_with_text_of_12_px_at_1280():
    """At 1280 x 720 each shipped Learn picture's smallest text is at least 12 px as the page shows it: the
    Lipschitz ladder (two panels, 1200 px) was shown two-up at 590 px, its text about 7 px; it now takes a row."""
    root = zoo_root(None)
    if not (Path(root) / "index.json").is_file():
        pytest.skip("no shipped zoo index")
    pics = [p for b in learn.learn_page(load_index(root)) for p in b.pictures]
    small = {}
    for p in pics:
        wide = "learn-fig-wide" in learn.pictures_html([p])
        shown = min(1.0, (WIDE_AT_1280 if wide else SHOWN_AT_1280) / (p.fig.get_figwidth() * p.fig.dpi))
        if min_text_px(p.fig) * shown < 12:
            small[p.key] = round(min_text_px(p.fig) * shown, 1)
    assert any(p.key == "ladder" for p in pics) and not small, small


def test_every_shipped_picture_has_a_phone_variant_that_fits_and_reads_at_12_px():
    """On a 390 x 844 phone (a figure ~326 px wide) each Learn picture has its own variant, NARROW wide with the
    legend below, a small-data setting's (or a ladder rung's) name above its row and the ladder's two panels one
    above the other: nothing cut at its edges, its smallest text at least 12 px as shown. The desktop pictures
    (640 px, the ladder 1200) had a 520-px (760-px) minimum there and scrolled sideways."""
    from normgen.render.learn_figures import NARROW, overflow_px

    root = zoo_root(None)
    if not (Path(root) / "index.json").is_file():
        pytest.skip("no shipped zoo index")
    pics = [p for b in learn.learn_page(load_index(root)) for p in b.pictures]
    assert "ladder" in {p.key for p in pics} and all(p.narrow is not None for p in pics)
    bad = {}
    for p in pics:
        f = p.narrow()
        shown = min(1.0, PHONE_SHOWN / (f.get_figwidth() * f.dpi))
        if abs(f.get_figwidth() - NARROW) > 1e-6 or overflow_px(f) > 1 or min_text_px(f) * shown < 12:
            bad[p.key] = (f.get_figwidth(), round(overflow_px(f), 1), round(min_text_px(f) * shown, 1))
    assert not bad, bad
    html = learn.pictures_html(pics[:1])
    assert f'<source media="(max-width: {picture_tags.PHONE_PX}px)" srcset="{picture_tags.FILE_ROUTE}' in html
