"""Screenshots of the coach (Explore's guided paths) for docs/: a first visit, a step ticked off, a lesson
before and after the guess, and Learn's list of lessons, at each viewport asked for.

    .venv/bin/python scripts/coach_shots.py --data-root ../shared/data --out /tmp/coach-shots
    .venv/bin/python scripts/coach_shots.py --viewports 390x844 --lessons batchnorm

Launches build_demo() in this process and drives it in Debian's Chromium (never `playwright install`), with
the browser helpers of tests/conftest_browser.py. Each PNG is named `<viewport>-<screen>.png`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from conftest_browser import CHROMIUM_ARGS, chromium_path, launch_app, wait_until  # noqa: E402


def _ready(page) -> None:
    wait_until(lambda: page.evaluate("() => window.normgenLinkReady === true"), 120, "the page load")
    time.sleep(1.5)  # the follow-ups (nearest pictures, the slice's preload)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(REPO / "docs"), help="folder for the PNGs (default: docs/)")
    p.add_argument("--zoo", default=None, help="zoo folder (default: $NORMGEN_ZOO or checkpoints/)")
    p.add_argument("--data-root", default=None, help="MNIST / Fashion-MNIST folder (default: $NORMGEN_DATA)")
    p.add_argument("--viewports", default="1366x768,1280x720,390x844", help="comma-separated WIDTHxHEIGHT")
    p.add_argument("--lessons", default="batchnorm,small-data-vae", help="lessons to capture, by key")
    a = p.parse_args(argv)
    if chromium_path() is None:
        print("Chromium not found: apt-get install -y chromium (never `playwright install`)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    from normgen.service.zoo_access import get_index
    from normgen.zoo.texts import coach

    found = {q.key: q for q in coach.paths(get_index(a.zoo))}
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    demo, url = launch_app(a.zoo, a.data_root)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for vp in a.viewports.split(","):
                width, height = (int(v) for v in vp.lower().split("x"))
                page = browser.new_page(viewport={"width": width, "height": height})
                page.set_default_timeout(60_000)

                def shot(name: str, page=page, vp=vp) -> None:
                    path = out / f"{vp}-{name}.png"
                    page.screenshot(path=str(path))
                    print(path)

                page.goto(url)  # a first visit: no query
                _ready(page)
                shot("coach-start")
                knob = page.locator("#explore-l1-slider input[type=range]").first
                first = found[coach.START].steps[0].tick["l1_min"]
                knob.focus()
                for _ in range(12):
                    if page.evaluate("() => location.search.includes('coach_step=1')"):
                        break
                    knob.press("ArrowRight")
                    time.sleep(0.8)
                print(f"{vp}: first step at L1 {first:g}:",
                      "ticked" if "coach_step=1" in page.evaluate("() => location.search") else "NOT ticked")
                time.sleep(1.5)
                page.evaluate("window.scrollTo(0, 0)")
                shot("coach-ticked")
                for key in a.lessons.split(","):
                    les = found.get(key)
                    if les is None or les.question is None:
                        print(f"no lesson {key!r} in this zoo", file=sys.stderr)
                        continue
                    page.goto(f"{url}?tab=learn")
                    _ready(page)
                    page.locator(f"#learn-open-{key}").click()
                    wait_until(lambda key=key, page=page: f"coach={key}" in page.evaluate("() => location.search"),
                               120, f"the lesson {key}")
                    time.sleep(3)
                    shot(f"lesson-{key}-predict")
                    page.locator(f"#explore-coach .coach-choice[data-choice={les.question.answer}]").click()
                    time.sleep(1.5)
                    page.evaluate("document.getElementById('explore-row').scrollIntoView({block: 'start'})")
                    time.sleep(0.5)
                    shot(f"lesson-{key}-reveal")
                page.goto(f"{url}?tab=learn")
                _ready(page)
                shot("learn")
                page.close()
            browser.close()
    finally:
        demo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
