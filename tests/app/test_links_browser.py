"""Shareable state in a real browser (Debian's Chromium + Playwright, tests/conftest_browser.py): the
address bar carries every tab's state, a reload restores it, and "Copy link" copies it.

Each tab keeps its link fragment in a hidden `.query-state` textbox; the test changes one control per
tab (Explore's noise seed, Train's steps, Compare's point), selects Compare, reloads, and checks that
every fragment, the address and the controls come back. A tab without its own fragment box yet is
covered by the same loop as soon as it has one.
"""

from __future__ import annotations

import re

import pytest
from conftest_browser import (
    CHROMIUM_ARGS,
    chromium_path,
    open_tab,
    tiny_app_url,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from tiny_app_url(tmp_path_factory, "links-zoo")


@pytest.fixture(scope="module")
def browser_ctx(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 720})
        ctx.grant_permissions(["clipboard-read", "clipboard-write"])
        yield ctx
        browser.close()


def _ready(page) -> None:
    wait_until(lambda: page.evaluate("() => window.normgenLinkReady === true"), 60, "the page load to finish")


def _fragments(page) -> dict[str, str]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.query-state')]
        .map(e => [e.id, (e.querySelector('textarea, input') || {}).value || '']))""")


def _href(page) -> str:
    return page.evaluate("() => location.href")


def _set_number(page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]").first
    box.fill(str(value))
    box.press("Enter")
    box.blur()


def _has_query(tab_class) -> bool:
    return "query" in getattr(tab_class, "__dataclass_fields__", {})


def test_url_round_trip_restores_every_tab(app_url, browser_ctx):
    from normgen.app.tabs.train import TrainTab

    page = browser_ctx.new_page()
    page.set_default_timeout(30_000)
    page.goto(app_url)
    _ready(page)
    assert "explore-query" in _fragments(page)  # the selected tab's box is in the DOM
    assert not page.locator("#explore-query").is_visible()  # ... but never shown

    _set_number(page, "explore-seed", 5)
    wait_until(lambda: re.search(r"[?&]seed=5(&|$)", _href(page)), 30, "Explore's seed in the address bar")
    train = _has_query(TrainTab)
    if train:
        open_tab(page, "Train")
        _set_number(page, "train-steps", 200)
        wait_until(lambda: "train_steps=200" in _href(page), 30, "Train's steps in the address bar")
    open_tab(page, "Compare")
    labels = page.locator("#compare-point label")
    wait_until(lambda: labels.count() > 2, 30, "the points of the Compare sweep")
    labels.nth(1).click()  # the tab opens at the middle point (2 of 0-3)
    wait_until(lambda: "compare_point=1" in _href(page), 30, "Compare's point in the address bar")
    wait_until(lambda: "tab=compare" in _href(page), 10, "the selected tab in the address bar")
    url, compare_frag = _href(page), _fragments(page)["compare-query"]
    assert compare_frag and compare_frag in url
    assert page.locator("#page-link textarea, #page-link input").first.input_value() == url  # the visible link

    page.reload()
    _ready(page)
    assert _href(page) == url
    assert page.get_by_role("tab", name="Compare").get_attribute("aria-selected") == "true"
    assert page.locator("#compare-point input[type=radio]").nth(1).is_checked()
    assert _fragments(page)["compare-query"] == compare_frag
    open_tab(page, "Explore")
    assert page.locator("#explore-seed input[type=number]").first.input_value() == "5"
    wait_until(lambda: "tab=explore" in _href(page), 10, "the newly selected tab in the address bar")
    assert _href(page) == url.replace("tab=compare", "tab=explore")  # every other key unchanged
    if train:
        open_tab(page, "Train")
        assert page.locator("#train-steps input[type=number]").first.input_value() == "200"
    page.close()


def test_a_shared_link_opens_its_tab_and_copy_link_copies_it(app_url, browser_ctx):
    page = browser_ctx.new_page()
    page.set_default_timeout(30_000)
    page.goto(app_url + "?tab=compare&compare_point=3&seed=3&l1=banana")
    _ready(page)
    assert page.get_by_role("tab", name="Compare").get_attribute("aria-selected") == "true"
    assert page.locator("#compare-point input[type=radio]").nth(3).is_checked()
    open_tab(page, "Explore")
    assert page.locator("#explore-seed input[type=number]").first.input_value() == "3"
    wait_until(lambda: "l1=banana" not in _href(page), 30, "the bad value dropped from the address")
    toast = page.locator(".toast-body, [data-testid='toast-body']")
    wait_until(lambda: "l1:" in " ".join(toast.all_inner_texts()), 20, "a warning naming the bad key")
    wait_until(lambda: "compare_point=3" in _href(page), 30, "Compare's point kept in the address bar")
    page.locator("#copy-link").click()
    wait_until(lambda: "copied" in page.locator("#copy-status").inner_text().lower(), 10, "the 'copied' note")
    assert page.evaluate("() => navigator.clipboard.readText()") == _href(page)
    page.close()
