"""Translate's chosen setting and inputs' seed are in the link (Debian's Chromium + Playwright): a visitor picks
a setting and a seed, the address bar carries them (translate_setting, translate_seed), and a reload brings
both back, with the pictures of that setting."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest_browser import (
    CHROMIUM_ARGS,
    browser_unavailable,
    chromium_path,
    launch_app,
    pick_other_option,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2] / "checkpoints"  # the shipped zoo holds the cycle GAN's settings


@pytest.fixture(scope="module")
def app_url():
    why = browser_unavailable()
    if why:
        if os.environ.get("NORMGEN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"NORMGEN_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    from normgen.zoo.index import load_index
    from normgen.zoo.views import translation_view as TV

    if len(TV.translators(load_index(ROOT))) < 2:
        pytest.skip("the shipped zoo has fewer than two cycle GAN settings")
    demo, url = launch_app(ROOT)
    yield url
    demo.close()


def _ready(page) -> None:
    wait_until(lambda: page.evaluate("() => window.normgenLinkReady === true"), 90, "the page load to finish")


def _state(page) -> tuple[str, str, str]:
    """(the setting shown, the seed box, the right picture's src)."""
    return (page.locator("#translate-setting input").first.input_value(),
            page.locator("#translate-seed input[type=number]").first.input_value(),
            page.locator("#translate-selected img").first.get_attribute("src") or "")


def test_translate_state_survives_a_reload(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.set_default_timeout(30_000)
        page.goto(f"{app_url}?tab=translate")
        _ready(page)
        _, label = pick_other_option(page, "translate-setting")
        box = page.locator("#translate-seed input[type=number]").first
        box.fill("3")
        box.press("Enter")
        box.blur()
        def linked() -> str | None:
            h = page.evaluate("() => location.href")
            return h if re.search(r"[?&]translate_seed=3(&|$)", h) and "translate_setting=" in h else None

        href = wait_until(linked, 30, "Translate's state in the link")
        wait_until(lambda: page.locator("#translate-selected img").count(), 30, "the selected setting's rows")
        before = _state(page)
        assert before[0] == label and before[1] == "3"
        page.reload()
        _ready(page)
        assert page.evaluate("() => location.href") == href
        wait_until(lambda: _state(page)[:2] == before[:2], 30, "the setting and seed restored after a reload")
        assert page.locator("#translate-selected img").count() == 1
        browser.close()


def test_on_a_phone_the_score_table_shows_scores_beside_the_settings_names(app_url):
    """At 390 px a setting's name wraps in its own 170 px column and scores show beside it, their headers broken
    between words only: the name column took the table's whole width, every score off to the right."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"{app_url}?tab=translate")
        _ready(page)
        table = page.locator("#translate-scores")
        table.scroll_into_view_if_needed()
        right = table.bounding_box()["x"] + table.bounding_box()["width"]
        heads = page.locator("#translate-scores th").evaluate_all(
            "(ths) => ths.map((th) => [th.getBoundingClientRect().left, th.getBoundingClientRect().right])")
        assert heads[0][1] - heads[0][0] <= 180
        assert heads[1][1] <= right + 1, heads  # a whole score column in view beside the names
        broken = page.locator("#translate-scores th span.header").evaluate_all(  # "(L1/pi xel)" broke mid-word
            """(ss) => ss.filter((s) => s.textContent.split(/\\s+/).some((w) => {
                 const t = document.createElement('span'); t.textContent = w;
                 t.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap;font:'
                   + getComputedStyle(s).font;
                 document.body.appendChild(t); const wide = t.getBoundingClientRect().width; t.remove();
                 return wide > s.getBoundingClientRect().width + 1; })).map((s) => s.textContent)""")
        assert not broken, broken
        browser.close()


def test_on_a_phone_compares_cycle_pictures_sit_two_a_row_with_whole_captions(app_url):
    """Compare's cycle GAN section at 390 px: its rows pictures two a row (four a row drew each digit 24 px wide),
    every caption whole ("λ_cyc 10 (b…" was cut), and the intro read from the zoo, not typed."""
    from playwright.sync_api import sync_playwright

    from normgen.zoo.index import load_index
    from normgen.zoo.views import cycle_sweep as CS

    words = CS.texts(load_index(ROOT), "cyclegan", "mnist", ROOT)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"{app_url}?tab=compare&compare_model=cyclegan&compare_sweep=cycle")
        _ready(page)
        page.locator("#compare-cycle-strip img").first.wait_for(timeout=60_000)
        boxes = page.locator("#compare-cycle-strip img").evaluate_all(
            "(ims) => ims.map((i) => [i.getBoundingClientRect().left, i.getBoundingClientRect().width])")
        assert len(boxes) == 4 and len({round(x) for x, _ in boxes}) == 2 and all(w >= 140 for _, w in boxes), boxes
        cut = page.locator("#compare-cycle-strip .caption-label").evaluate_all(
            "(cs) => cs.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent)")
        assert not cut, cut
        intro = page.locator("#compare-cycle-intro").inner_text()
        steps = words["intro"].split("no weight penalty, ")[1].split(")")[0]
        assert steps.endswith("steps") and steps in intro
        laptop = browser.new_page(viewport={"width": 1280, "height": 720})
        laptop.goto(f"{app_url}?tab=compare&compare_model=cyclegan&compare_sweep=cycle")
        _ready(laptop)
        for pg in (page, laptop):  # a header breaks between words only ("seed / s", "(L1/pixel / )" did)
            pg.locator("#compare-cycle-axis table").wait_for(timeout=60_000)
            broken = pg.locator("#compare-cycle th").evaluate_all(
                """(ths) => ths.filter((th) => th.textContent.split(/\\s+/).some((w) => {
                     const t = document.createElement('span'); t.textContent = w;
                     t.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap;font:'
                       + getComputedStyle(th).font;
                     document.body.appendChild(t); const wide = t.getBoundingClientRect().width; t.remove();
                     const cs = getComputedStyle(th);
                     return wide > th.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) + 1;
                   })).map((th) => th.textContent)""")
            assert not broken, broken
        # on the phone the λ_cyc table scrolls sideways under its first column, which stays: scrolled, the left edge
        # still shows each row's λ_cyc (and nothing of the scrolled cells shows left of it)
        table = page.locator("#compare-cycle-axis table")
        table.scroll_into_view_if_needed()
        seen = table.evaluate("""(t) => { t.scrollLeft = 250; const r = t.getBoundingClientRect();
            return [t.scrollLeft, [...t.querySelectorAll('tr')].map((tr) => {
              const c = tr.cells[0].getBoundingClientRect();
              const hit = document.elementFromPoint(r.left + 3, c.top + c.height / 2);
              return tr.cells[0].contains(hit) || hit === tr.cells[0]; })]; }""")
        assert seen[0] > 0 and all(seen[1]), seen
        browser.close()
