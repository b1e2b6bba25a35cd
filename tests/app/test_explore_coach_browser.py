"""Explore's coach in a real browser (Debian's Chromium + Playwright, tests/conftest_browser.py) on the small
zoo (the tiny full-data sweeps plus the small-data blocks): a first visit opens "Start here", whose L1 step
ticks itself off when the slider moves; a lesson hides its result until the learner predicts, then shows the
index's answer and keeps the guess in the link (a reload brings it back); a lesson opened from Learn opens on
Explore in the same page, at its setting, with its pictures; on a 390 x 844 phone the Model box, a λ slider
and both grids are inside the first screen. Screenshots go to tests/artifacts/ (gitignored)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest_browser import (
    CHROMIUM_ARGS,
    L1S,
    browser_unavailable,
    build_small_zoo,
    chromium_path,
    launch_app,
    wait_until,
)

from normgen.zoo.index import load_index
from normgen.zoo.texts import coach as C

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    import os

    why = browser_unavailable()
    if why:
        if os.environ.get("NORMGEN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"NORMGEN_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    root = tmp_path_factory.mktemp("coach-zoo")
    build_small_zoo(root)
    return root


@pytest.fixture(scope="module")
def app_url(zoo):
    demo, url = launch_app(zoo)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def browser(app_url):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, url: str, width: int = 1280, height: int = 720):
    pg = browser.new_page(viewport={"width": width, "height": height})
    pg.set_default_timeout(30_000)
    pg.goto(url)
    wait_until(lambda: pg.evaluate("() => window.normgenLinkReady === true"), 90, "the page load's chain to end")
    return pg


def _guide(pg) -> str:
    return pg.evaluate("() => document.querySelector('#explore-coach .coach-box')?.innerText || ''")


def _query(pg) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlparse

    return dict(parse_qsl(urlparse(pg.evaluate("() => location.href")).query))


def test_a_first_visit_opens_start_here_and_its_step_ticks_when_the_slider_moves(browser, app_url, zoo):
    start = C.paths(load_index(zoo))[0]
    pg = _open(browser, app_url)
    wait_until(lambda: "step 1 of" in _guide(pg), 30, "the guide's first step")
    assert _query(pg).get("coach") == "start" and _query(pg).get("l1") == "0"
    guide = _guide(pg)
    assert "Drag the L1 slider" in guide and start.steps[0].watch in guide  # the index's numbers, as computed
    assert pg.evaluate("() => document.getElementById('explore-l1-slider').classList.contains('coach-target')")
    ring = pg.evaluate("() => getComputedStyle(document.getElementById('explore-l1-slider')).boxShadow")
    assert "inset" in ring and "rgb(180, 83, 9)" in ring  # the ring is drawn, not only the class set
    assert "coach_step" not in _query(pg)
    knob = pg.locator("#explore-l1-slider input[type=range]").first
    knob.focus()
    knob.press("ArrowRight")  # L1 1e-5: not yet the step's λ (1e-4)
    pg.wait_for_timeout(1200)
    assert start.steps[0].tick["l1_min"] == L1S[1] and "coach_step" not in _query(pg)
    knob.press("ArrowRight")  # 1e-4: the step is done
    wait_until(lambda: _query(pg).get("coach_step") == "1", 30, "the first step to tick off (coach_step=1)")
    guide = _guide(pg)
    assert "✓ Drag the L1 slider" in guide and "step 2 of" in guide
    pg.screenshot(path=str(ARTIFACTS / "coach-ticked-1280x720.png"))
    pg.locator("#explore-coach .coach-close").click()  # dismissed: out of the link; "Start here" opens it again
    wait_until(lambda: "coach" not in _query(pg), 10, "the guide to leave the link")
    assert _guide(pg) == ""
    pg.locator("#coach-start").click()  # L1 is still at 1e-4 until the reply sets the path's 0: no tick from that
    wait_until(lambda: _query(pg).get("coach") == "start" and "step 1 of" in _guide(pg), 30, "Start here again")
    pg.wait_for_timeout(1500)
    assert "step 1 of" in _guide(pg) and "coach_step" not in _query(pg)
    pg.close()


def test_predict_then_reveal_records_the_guess_and_shows_the_measured_answer(browser, app_url, zoo):
    les = {p.key: p for p in C.paths(load_index(zoo))}["l1-sparse"]
    wrong = next(k for k, _ in les.question.choices if k != les.question.answer)
    pg = _open(browser, app_url + "?model=gan&dataset=shapes")
    pg.locator("#coach-pick input").first.click()
    pg.get_by_role("option", name=re.compile(re.escape(les.title))).click()
    wait_until(lambda: _query(pg).get("coach") == "l1-sparse", 60, "the lesson to open")
    wait_until(lambda: _query(pg).get("l1") == "1e-4", 30, "Explore at the lesson's λ")
    assert "Predict first" in _guide(pg) and "hidden until you choose" in _guide(pg)
    assert pg.evaluate("() => document.body.classList.contains('coach-guessing')")
    assert "blur" in pg.evaluate("() => getComputedStyle(document.querySelector('#explore-selected img')).filter")
    assert les.question.verdict not in _guide(pg)  # the answer waits for the guess
    pg.locator(f"#explore-coach .coach-choice[data-choice={wrong}]").click()
    wait_until(lambda: _query(pg).get("coach_guess") == wrong, 10, "the guess in the link")
    guide = _guide(pg)
    right = dict(les.question.choices)[les.question.answer]
    assert "Not this time" in guide and f"measured: {right}" in guide and les.question.verdict in guide
    assert pg.evaluate("() => getComputedStyle(document.querySelector('#explore-selected img')).filter") == "none"
    pg.screenshot(path=str(ARTIFACTS / "coach-reveal-1280x720.png"))
    pg.reload()  # the guess is the link's: a reload shows the same answer
    wait_until(lambda: pg.evaluate("() => window.normgenLinkReady === true"), 90, "the reload")
    wait_until(lambda: "Not this time" in _guide(pg), 30, "the answer after the reload")
    assert _query(pg).get("coach_guess") == wrong and _query(pg).get("l1") == "1e-4"
    pg.close()


def test_a_lesson_from_learn_opens_on_explore_in_place_with_its_setting_and_pictures(browser, app_url, zoo):
    les = {p.key: p for p in C.paths(load_index(zoo))}["small-data-vae"]
    pg = _open(browser, app_url + "?tab=learn")
    pages = len(pg.context.pages)
    pg.locator("#learn-open-small-data-vae").click()
    wait_until(lambda: _query(pg).get("coach") == "small-data-vae", 60, "the lesson in the link")
    assert len(pg.context.pages) == pages  # the same page, not a new browser tab
    sel = pg.evaluate("() => document.querySelector('button[role=tab][aria-selected=true]').innerText")
    assert sel.strip() == "Explore"
    q = _query(pg)
    assert (q["model"], q["train_size"], q["target"], q["l2"]) == ("vae", "300", "decoder", "1e-3")
    assert les.state["train_size"] == 300 and pg.locator("#explore-model input").first.input_value() == "VAE"
    wait_until(lambda: pg.locator("#coach-pics img").count() == 2, 60, "the lesson's two pictures")
    assert "Does it copy its 300 training images?" in pg.locator("#coach-pics-note").inner_text()
    assert pg.locator("#coach-cap-a").inner_text().strip() == ""  # the captions' counts wait for the guess too
    pg.locator(f"#explore-coach .coach-choice[data-choice={les.question.answer}]").click()
    wait_until(lambda: "✓ Right" in _guide(pg), 10, "the right answer's verdict")
    caps = wait_until(lambda: (t := pg.locator("#coach-pics").inner_text()) and "No penalty:" in t and t, 10,
                      "the pictures' captions after the guess")
    assert "L2 λ = 1e-3 on the decoder" in caps
    assert len(re.findall(r"\d+ of \d+ samples are closer to a training image", caps)) == 2
    pg.screenshot(path=str(ARTIFACTS / "coach-learn-lesson-1280x720.png"))
    pg.close()


def _box(pg, selector: str) -> dict:
    box = pg.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not laid out"
    return box


def test_a_phone_shows_the_model_box_a_slider_and_the_grids_in_its_first_screen(browser, app_url):
    pg = _open(browser, app_url, 390, 844)
    wait_until(lambda: pg.locator("#explore-selected img").count() > 0, 60, "the grids")
    pg.wait_for_timeout(800)
    pg.screenshot(path=str(ARTIFACTS / "coach-phone-390x844.png"))
    assert pg.evaluate("() => window.scrollY") == 0
    for sel in ("#explore-model", "#explore-l1-slider input[type=range]", "#explore-baseline img",
                "#explore-selected img"):
        b = _box(pg, sel)
        assert 0 <= b["y"] and b["y"] + b["height"] <= 844 and b["x"] + b["width"] <= 390, (sel, b)
    guide = _box(pg, "#explore-coach")
    assert guide["y"] < _box(pg, "#explore-model")["y"]  # the guide, then the controls it names, then the grids
    assert _box(pg, "#explore-l1-slider")["y"] < _box(pg, "#explore-selected img")["y"]
    # the header's sentence belongs to the first tab: elsewhere only its title (and no Explore-only text)
    pg.get_by_role("tab", name="Train").click()
    pg.wait_for_timeout(500)
    assert not pg.locator("#header p").first.is_visible()
    assert "Left: the per-pixel difference" not in pg.locator("body").inner_text()
    pg.close()
