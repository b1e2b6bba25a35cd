"""The class experiment in a real browser (Debian's Chromium + Playwright, tests/conftest_browser.py): a student
opens the join link, joins, presses "Run my setting on Train" (one click: the setting is copied into Train and
Start is pressed), the tiny run finishes, and their own dot appears, ringed, on the Class tab's chart; the
teacher's link shows the same result on the teacher's chart."""

from __future__ import annotations

import pytest
from conftest_browser import CHROMIUM_ARGS, browser_unavailable, build_tiny_zoo, chromium_path, launch_app, wait_until

from normgen.classroom import experiments as X
from normgen.classroom import store as S

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TINY = X.Experiment(id="tiny-vae-browser", title="Tiny VAE on shapes: decoder L2", question="Does the dot appear?",
                    model="vae", dataset="shapes", target="decoder", axis="l2", lambdas=(0.0, 1e-3), train_size=0,
                    steps=20, start="scratch", metric="elbo_gap", metric_label="ELBO gap",
                    pick=X.Pick("elbo_test", True, "the highest held-out ELBO"), seconds=60.0)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    import os

    why = browser_unavailable()
    if why:
        if os.environ.get("NORMGEN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"NORMGEN_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("class-browser-zoo")
    build_tiny_zoo(root)
    mp.setenv(S.ENV, str(root / "classes.sqlite"))
    mp.setattr(S, "_shared", None)
    mp.setitem(X.EXPERIMENTS, TINY.id, TINY)
    demo, url = launch_app(root)
    yield url
    demo.close()
    mp.undo()


def test_join_run_and_the_dot_appears(app):
    from playwright.sync_api import sync_playwright

    store = S.shared()[0]
    code, teacher = store.open_class(TINY.id)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.set_default_timeout(30_000)
        page.goto(f"{app}?tab=class&class_code={code}")
        wait_until(lambda: page.locator("#class-code textarea, #class-code input").first.input_value() == code, 60,
                   "the join link's code in the box")
        page.locator("#class-nickname textarea, #class-nickname input").first.fill("Ada")
        page.locator("#class-join").click()
        wait_until(lambda: "You are in" in page.locator("#class-seat").inner_text(), 30, "the dealt setting")
        seat = page.locator("#class-seat").inner_text()
        assert "λ = 0, seed 0" in seat  # the first student: the first λ of the axis, seed 0
        page.locator("#class-run").click()  # one click: Train gets the setting and starts
        wait_until(lambda: "on the class chart" in page.locator("#train-status").inner_text(), 240,
                   "the finished run's result on the class chart")
        page.get_by_role("tab", name="Class").click()
        wait_until(lambda: page.locator("#class-student-chart svg.class-chart circle title").count() == 1, 30,
                   "the student's dot on the chart")
        assert page.locator('#class-student-chart svg.class-chart circle[r="10"]').count() == 1  # ringed: their own
        assert "1 result" in page.locator("#class-student-chart").inner_text()
        (r,) = store.results(code)
        assert (r.lam, r.seed, r.simulated) == (0.0, 0, False)
        # the teacher's link: the same dot, not ringed (the teacher is no member); the token leaves the address bar
        teacher_page = browser.new_page(viewport={"width": 1280, "height": 720})
        teacher_page.goto(f"{app}?tab=class&class_code={code}&class_teacher={teacher}")
        teacher_page.get_by_text("Teacher: open and run a class").click()
        wait_until(lambda: teacher_page.locator("#class-teacher-chart svg.class-chart circle title").count() == 1, 30,
                   "the teacher's chart")
        assert teacher_page.locator('#class-teacher-chart svg.class-chart circle[r="10"]').count() == 0
        wait_until(lambda: teacher_page.evaluate("() => window.normgenLinkReady === true"), 60, "the page load")
        wait_until(lambda: "class_teacher" not in teacher_page.evaluate("() => location.href"), 10,
                   "the token gone from the address bar")
        # on a phone the chart turns to one row per λ and fits the screen (the columns would need 640 px)
        teacher_page.set_viewport_size({"width": 390, "height": 844})
        rows, cols = (teacher_page.locator(f"#class-teacher-chart svg.{c}") for c in ("class-chart-rows",
                                                                                      "class-chart"))
        wait_until(lambda: rows.is_visible() and not cols.is_visible(), 10, "the phone's chart")
        assert rows.locator("circle title").count() == 1
        box = rows.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert teacher_page.evaluate("() => document.documentElement.scrollWidth") <= 390
        browser.close()
