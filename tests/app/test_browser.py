"""The app in a real browser: Debian's Chromium driven by Playwright against build_demo() launched
in this process, on a tiny zoo of real checkpoint files (tests/conftest_browser.py).

Explore: changing the L1 lambda changes the selected grid. Train: a run on shapes streams grids and
stops on Stop. Compare: clicking a grid of the strip shows it large. Learn: the formulas render.
A screenshot of every screen goes to tests/artifacts/ (gitignored; scripts/screenshots.py makes
the ones in docs/ from the real zoo).

Skipped when Playwright or Chromium is missing, except with NORMGEN_REQUIRE_BROWSER=1 (CI), where
a missing browser fails. Never runs `playwright install`: there is no network for it.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from conftest_browser import (
    CHROMIUM_ARGS,
    VIEWPORT,
    chromium_path,
    img_src,
    open_tab,
    pick_option,
    pick_other_option,
    status_text,
    tiny_app,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def app_and_zoo(tmp_path_factory):
    yield from tiny_app(tmp_path_factory, "browser-zoo")


@pytest.fixture(scope="module")
def app_url(app_and_zoo):
    return app_and_zoo[0]


@pytest.fixture(scope="module")
def app_page(app_url):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport=VIEWPORT)
        pg.set_default_timeout(30_000)
        pg.goto(app_url)
        yield pg
        browser.close()


def test_a_missing_browser_is_named(monkeypatch):
    """What the skip (or, with NORMGEN_REQUIRE_BROWSER=1, the failure) says when Chromium is absent."""
    import conftest_browser

    monkeypatch.setattr(conftest_browser, "chromium_path", lambda: None)
    why = conftest_browser.browser_unavailable()
    assert why is not None and "Chromium is not installed" in why and "never `playwright install`" in why


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _no_traceback(page) -> None:
    assert "Traceback" not in page.locator("body").inner_text()


def test_explore_lambda_changes_the_selected_grid(app_page):
    page = app_page
    before = wait_until(lambda: img_src(page, "explore-selected"), 60, "the first Explore grid")
    assert img_src(page, "explore-baseline")
    knob = page.locator("#explore-l1-slider input[type=range]").first
    old = knob.input_value()
    knob.focus()
    knob.press("ArrowRight")
    assert wait_until(lambda: knob.input_value() != old, 10, "the L1 slider to move")
    after = wait_until(lambda: (s := img_src(page, "explore-selected")) != before and s, 30,
                       "the selected grid to change after the L1 lambda changed")
    assert after != before
    _no_traceback(page)
    _shot(page, "explore")


def test_train_streams_and_stops(app_page):
    page = app_page
    open_tab(page, "Train")
    pick_option(page, "train-dataset", "^Shapes")
    steps = page.locator("#train-steps input[type=number]")
    steps.fill(steps.get_attribute("max") or "3000")
    steps.press("Enter")
    page.locator("#train-start-btn").click()
    first = wait_until(lambda: img_src(page, "train-grid"), 60, "the first streamed training grid")
    wait_until(lambda: re.search(r"step \d+ / \d+", status_text(page)), 30, "a step counter in the status")
    wait_until(lambda: (s := img_src(page, "train-grid")) != first and s, 60, "a second streamed grid")
    # Stop at once: on a busy 2-core machine the page renders the streamed plots ever more slowly
    t0 = time.monotonic()
    page.locator("#train-stop-btn").click(timeout=90_000)
    clicked = time.monotonic() - t0
    try:
        wait_until(lambda: "Stopped" in status_text(page), 90, "the stopped state after Stop")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; Stop clicked after {clicked:.1f} s; status: {status_text(page)!r}") from None
    m = re.search(r"stopped at step (\d+)", status_text(page))
    total = int(steps.input_value())
    assert m is None or 0 < int(m.group(1)) < total  # stopped before the end, after some steps
    # each plot's legend is a line of the page naming every series in the colour its line is drawn in, and
    # on a phone it wraps whole (the plot's own legend was one row, "discriminator loss · generator loss · λ cha")
    for k in ("loss", "sparse"):
        items = page.locator(f"#train-{k}-legend .plot-legend span")
        assert items.count() >= 2, k
        strokes = set(page.locator(f"#train-{k}-plot path").evaluate_all(
            "(ps) => ps.map(p => p.getAttribute('stroke'))"))
        swatches = items.locator("i").evaluate_all("(is) => is.map(i => getComputedStyle(i).backgroundColor)")
        hexes = {"#" + "".join(f"{int(v):02x}" for v in re.findall(r"\d+", c)[:3]) for c in swatches}
        assert hexes <= strokes, (k, hexes, strokes)
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.wait_for_timeout(500)
        boxes = page.locator("#train-loss-legend .plot-legend span").evaluate_all(
            "(ss) => ss.map(s => [s.getBoundingClientRect().left, s.getBoundingClientRect().right])")
        assert boxes and all(0 <= lo and hi <= 390 for lo, hi in boxes), boxes
    finally:
        page.set_viewport_size(VIEWPORT)
    _no_traceback(page)
    _shot(page, "train")


def test_compare_click_shows_that_grid(app_page):
    page = app_page
    open_tab(page, "Compare")
    thumbs = page.locator("#compare-strip .thumbnail-item")
    wait_until(lambda: thumbs.count() >= 2, 30, "the strip of grids across lambda")
    before = wait_until(lambda: img_src(page, "compare-grid"), 30, "the large grid")
    thumbs.first.click()  # the baseline; the default point is the middle of the sweep
    wait_until(lambda: (s := img_src(page, "compare-grid")) != before and s, 30,
               "the large grid to change after clicking the strip")
    assert page.locator("#compare-point input:checked").first.get_attribute("value") is not None
    points = page.locator("#compare-point").inner_text()
    pick_other_option(page, "compare-sweep")  # another penalty: the points and the strip follow
    wait_until(lambda: page.locator("#compare-point").inner_text() != points, 30, "the points of the new sweep")
    assert page.locator("#compare-plot-quality img").count() == 1
    _no_traceback(page)
    _shot(page, "compare")


def test_learn_renders_formulas_and_numbers(app_page):
    page = app_page
    open_tab(page, "Learn")
    wait_until(lambda: page.locator("#learn-md .katex").count() > 3, 30, "rendered LaTeX formulas")
    text = page.locator("#learn-md").inner_text()
    # the numbers: the measured section (the lessons ask here and answer on Explore, after the guess)
    assert "What this zoo measured" in text and re.search(r"near[- ]zero", text, flags=re.I)
    assert "Link to this lesson" in text and page.locator(".learn-open").count() >= 2  # the tiny zoo backs two
    # the pictures are files the web server serves, fetched now that Learn shows them
    fig = page.locator("#learn-md .learn-fig img").first
    fig.scroll_into_view_if_needed()
    wait_until(lambda: fig.evaluate("(i) => i.complete && i.naturalWidth > 0"), 30, "Learn's first picture loaded")
    _no_traceback(page)
    _shot(page, "learn")


def test_on_a_phone_learns_tables_scroll_sideways_instead_of_squeezing(app_page):
    page = app_page
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        open_tab(page, "Learn")
        wait_until(lambda: page.locator("#learn-md table").count() > 0, 30, "Learn's formula table")
        table = page.locator("#learn-md table").first
        widths = table.locator("th").evaluate_all("(ths) => ths.map((th) => th.getBoundingClientRect().width)")
        assert widths and min(widths) >= 90  # a column keeps words whole (before: ~12 px, a letter a line)
        # the table scrolls inside the page; the page itself does not get wider than the phone
        assert table.evaluate("(t) => getComputedStyle(t).overflowX") == "auto"
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1
        # a picture is its phone variant (fetched instead of the desktop one), whole on the screen
        img = page.locator("#learn-md .learn-fig-phone img").first
        img.scroll_into_view_if_needed()
        wait_until(lambda: img.evaluate("(i) => i.complete && i.naturalWidth > 0"), 30, "the phone's picture")
        assert img.evaluate("(i) => i.currentSrc !== i.src && i.naturalWidth === 420")
        box = img.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        _shot(page, "learn-phone")
    finally:
        page.set_viewport_size(VIEWPORT)


def test_on_a_phone_compares_strip_shows_every_point_whole(app_page):
    """At 390 px the strip of grids across λ wraps, three a row, each caption whole: it was one row scrolled
    sideways (3 of 7 points seen) under an empty band of the desktop's gallery height, captions cut to 'λ = 0 · …'."""
    page = app_page
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        open_tab(page, "Compare")
        strip = page.locator("#compare-strip")
        thumbs = strip.locator(".thumbnail-item")
        wait_until(lambda: thumbs.count() >= 2, 30, "the strip of grids across lambda")
        box = strip.bounding_box()
        for i in range(thumbs.count()):
            t = thumbs.nth(i).bounding_box()
            assert box["x"] <= t["x"] and t["x"] + t["width"] <= box["x"] + box["width"] + 1, i  # no sideways scroll
            assert t["y"] + t["height"] <= box["y"] + box["height"] + 1, i  # not cut below
        cut = strip.locator(".caption-label").evaluate_all("(ls) => ls.filter((l) => l.scrollWidth > l.clientWidth + 1)"
                                                           ".map((l) => l.textContent)")
        assert not cut, cut
        _shot(page, "compare-phone")
    finally:
        page.set_viewport_size(VIEWPORT)


def test_on_a_phone_compares_plots_are_their_phone_variants_with_text_of_12_px(app_page, app_and_zoo):
    """At 390 x 844 each of Compare's plots is its phone variant (NARROW wide, legend below), fetched at once (not
    lazily: a full-page screenshot shows it), its smallest text at least 12 px as shown. They were the desktop's
    700-px figures shown 326 px wide, their smallest text 7 px."""
    from urllib.parse import quote

    from normgen.app.tabs import compare
    from normgen.render.figures import NARROW
    from normgen.render.learn_figures import min_text_px
    from normgen.service.page_pictures import picture_file
    from normgen.service.requests import CompareQuery
    from normgen.zoo.index import load_index
    from normgen.zoo.texts.learn_page import zoo_digest

    page, (url, root) = app_page, app_and_zoo
    q = CompareQuery("gan", "shapes", "l1|none|none|generator|loss|10", 2)
    pics = compare.compute_view(root, q)  # the view the link below opens, drawn here as the app draws it
    digest = zoo_digest(load_index(root))
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto(f"{url}?tab=compare&{compare.query_fragment(q)}")
        wait_until(lambda: page.evaluate("() => window.normgenLinkReady === true"), 120, "the page load")
        shown = {}
        for k in compare.PLOTS:
            img = page.locator(f"#compare-plot-{k} picture img")
            wait_until(lambda img=img: img.count() == 1 and img.evaluate("(i) => i.complete && i.naturalWidth > 0"),
                       30, f"the {k} plot, loaded without scrolling to it")
            got = img.evaluate("(i) => ({src: i.src, now: i.currentSrc, natural: i.naturalWidth, lazy: i.loading,"
                               " width: i.getBoundingClientRect().width, alt: i.alt})")
            phone = picture_file(pics[k], digest, narrow=True)
            assert got["now"] != got["src"] and got["now"].endswith(quote(str(phone))), (k, got)  # the phone's file
            assert got["natural"] == round(NARROW * 100) and got["lazy"] != "lazy", (k, got)
            assert "GAN on Shapes" in got["alt"] and "L1" in got["alt"], got["alt"]  # the alt text names the setting
            shown[k] = round(min_text_px(pics[k].narrow()) * got["width"] / got["natural"], 1)
        assert min(shown.values()) >= 12, shown
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1
        # the large grid too, below the fold on a phone: Gradio's viewer marks it lazy, which a full-page capture
        # showed blank; the page fetches it at once
        grid = page.locator("#compare-grid img")
        wait_until(lambda: grid.count() == 1 and grid.evaluate("(i) => i.complete && i.naturalWidth > 0"), 30,
                   "the large grid, loaded without scrolling to it")
        assert grid.evaluate("(i) => i.loading") == "eager"
        box = page.locator("#compare-grid").bounding_box()  # as tall as the grid, no empty band above and below
        assert box is not None and box["height"] <= box["width"] + 40, box
        rights = page.locator("#compare-table table tr").first.locator("th, td").evaluate_all(
            "(cs) => cs.map(c => c.getBoundingClientRect().right)")  # the point's and the baseline's numbers
        assert len(rights) == 3 and max(rights) <= 390, rights
        _shot(page, "compare-phone-plots")
        # another point picked on the phone: its reply has the wide plots, and their phone variants follow
        alts = {k: page.locator(f"#compare-plot-{k} picture img").get_attribute("alt") for k in compare.PLOTS}
        page.locator("#compare-point label").nth(3).click()
        for k in compare.PLOTS:
            img = page.locator(f"#compare-plot-{k} picture img")
            wait_until(lambda img=img, k=k: img.get_attribute("alt") != alts[k] and img.evaluate(
                "(i) => i.complete && i.currentSrc !== i.src && i.naturalWidth > 0"), 30,
                f"the {k} plot of the new point as its phone variant")
    finally:
        page.set_viewport_size(VIEWPORT)
