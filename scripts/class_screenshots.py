"""Screenshots of the Class tab (issue #29) for docs/: the teacher's chart with a filled grid, and a student's view.

    .venv/bin/python scripts/class_screenshots.py                       # docs/classroom*.png
    .venv/bin/python scripts/class_screenshots.py --students 24 --real 1 --out /tmp/shots

Launches build_demo() in this process with a fresh class store (a temporary file) and
NORMGEN_CLASS_SIMULATE=1, opens a class of --experiment, and seats --students students through /class_join.
--real of them (default 0) train their dealt setting for real through /train (needs the experiment's
dataset under $NORMGEN_DATA; the server posts each result when the run ends); the rest get the zoo-simulated
result (/class_simulate: the zoo's numbers at that λ plus a seeded wobble of its seed spread, drawn hollow
and counted as "simulated" on the chart). Then Debian's Chromium opens the teacher link and a student's
join link: the teacher's at 1280×720, 1366×768 and 390×844, a student's
(just joined) at 390×844, the whole page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

SIZES = {"1280x720": (1280, 720), "1366x768": (1366, 768), "390x844": (390, 844)}


def client(url: str):
    import httpx
    from gradio_client import Client

    return Client(url, verbose=False, httpx_kwargs={"timeout": httpx.Timeout(None, connect=60)})


def seat_students(url: str, code: str, n: int, real: int) -> list[dict]:
    seats = []
    for k in range(n):
        c = client(url)
        seat = c.predict(code, f"student {k + 1}" if k % 3 == 0 else "", "deal", api_name="/class_join")[1]
        if k < real:
            s = seat["setting"]
            out = c.predict(**s, api_name="/train")
            print(f"real run {k + 1}: {out[7].get('status')} ; {out[0].splitlines()[-1][:160]}", file=sys.stderr)
        else:
            c.predict(str(k), api_name="/class_simulate")
        seats.append({"client": c, **seat})
    return seats


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--experiment", default="vae-small-l2")
    p.add_argument("--students", type=int, default=28)
    p.add_argument("--real", type=int, default=0)
    p.add_argument("--out", default=str(REPO / "docs"))
    a = p.parse_args(argv)
    os.environ["NORMGEN_CLASS_SIMULATE"] = "1"
    class_dir = Path(tempfile.mkdtemp(prefix="normgen-class-shots-"))  # removed at the end: this run's own
    os.environ["NORMGEN_CLASS_DB"] = str(class_dir / "c.sqlite")
    tempfile.tempdir = str(class_dir)  # gradio_client leaves an empty folder in the temp dir per download
    from conftest_browser import CHROMIUM_ARGS, chromium_path, launch_app, wait_until
    from playwright.sync_api import sync_playwright

    demo, url = launch_app(None, os.environ.get("NORMGEN_DATA"))
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        code, teacher, _ = client(url).predict(a.experiment, api_name="/class_open")
        seat_students(url, code, a.students, a.real)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for name, (w, h) in SIZES.items():
                page = browser.new_page(viewport={"width": w, "height": h})
                page.goto(f"{url}?tab=class&class_code={code}&class_teacher={teacher}")
                page.locator("#class-teacher").get_by_text("Teacher: open and run a class").click()
                wait_until(lambda pg=page: pg.locator("#class-teacher-chart svg").count(), 60, "the teacher's chart")
                time.sleep(1.0)
                page.locator("#class-teacher-chart").scroll_into_view_if_needed()
                page.screenshot(path=str(out / f"classroom-{name}.png"))
                if name == "1280x720":
                    page.locator("#class-teacher-chart").screenshot(path=str(out / "classroom.png"))
                page.close()
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a student on a phone, just joined
            page.goto(f"{url}?tab=class&class_code={code}")
            page.locator("#class-join").click()
            wait_until(lambda: "You are in" in page.locator("#class-seat").inner_text(), 30, "the seat")
            page.locator("#class-run").wait_for()
            wait_until(lambda: page.locator("#class-student-chart svg").count(), 30, "the student's chart")
            page.screenshot(path=str(out / "classroom-student-390x844.png"), full_page=True)
            browser.close()
        print(f"wrote {out}/classroom*.png (class {code}, {a.students} students, {a.real} real)")
    finally:
        demo.close()
        shutil.rmtree(class_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
