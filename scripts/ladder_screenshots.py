"""Screenshots of the Lipschitz ladder (issue 24): Learn's ladder section and Explore's Loss control on the
colour DCGAN, at a laptop, a projector and a phone size.

    .venv/bin/python scripts/ladder_screenshots.py --out /tmp/shots

Launches build_demo() in this process and drives it in Debian's Chromium (tests/conftest_browser.py's helpers);
writes <size>-learn-ladder.png and <size>-explore-ladder.png.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from conftest_browser import CHROMIUM_ARGS, chromium_path, img_src, launch_app, wait_until  # noqa: E402

SIZES = ((1366, 768), (1280, 720), (390, 844))


def _scroll_to(page, selector: str, above: int = 80) -> None:
    y = page.evaluate(f"() => document.querySelector({selector!r}).getBoundingClientRect().top + window.scrollY")
    page.evaluate(f"window.scrollTo(0, {max(0, y - above)})")
    time.sleep(0.8)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="/tmp/ladder-shots")
    p.add_argument("--zoo", default=None)
    p.add_argument("--data-root", default=None)
    a = p.parse_args(argv)
    if chromium_path() is None:
        print("Chromium not found", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    demo, url = launch_app(a.zoo, a.data_root)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for w, h in SIZES:
                page = browser.new_page(viewport={"width": w, "height": h})
                page.set_default_timeout(120_000)
                page.goto(f"{url}?tab=learn")
                wait_until(lambda pg=page: pg.evaluate("() => window.normgenLinkReady === true"), 180, "the page load")
                heading = page.get_by_role("heading", name="The Lipschitz ladder")
                y = heading.evaluate("el => el.getBoundingClientRect().top + window.scrollY")
                page.evaluate(f"window.scrollTo(0, {max(0, y - 60)})")
                time.sleep(1.0)
                page.screenshot(path=str(out / f"{w}x{h}-learn-ladder.png"))
                print(out / f"{w}x{h}-learn-ladder.png", flush=True)
                page.goto(f"{url}?tab=explore&model=dcgan&dataset=cifar10&loss=sn")
                wait_until(lambda pg=page: pg.evaluate("() => window.normgenLinkReady === true"), 180, "the page load")
                wait_until(lambda pg=page: img_src(pg, "explore-selected"), 120, "the Explore grid")
                _scroll_to(page, "#explore-loss")
                page.screenshot(path=str(out / f"{w}x{h}-explore-ladder.png"))
                print(out / f"{w}x{h}-explore-ladder.png", flush=True)
                page.close()
            browser.close()
    finally:
        demo.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
