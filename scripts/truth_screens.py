"""Screenshots of the screens issue 25 changed: Explore's numbers (the 300-image VAE with decoder L2 1e-3:
ELBO beside IWAE, copying beside the pixel share; a GAN verdict with two judges and its seed count),
Compare's small-data plots and Learn's two-judges paragraph, at 1366x768, 1280x720 and 390x844.

    .venv/bin/python scripts/truth_screens.py --out /tmp/truth-shots [--viewports 1366x768,1280x720,390x844]

Launches build_demo() in this process and drives it in Debian's Chromium, with the helpers of
tests/conftest_browser.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from conftest_browser import CHROMIUM_ARGS, chromium_path, img_src, launch_app, wait_until  # noqa: E402

EXPLORE_VAE = "?model=vae&dataset=mnist&target=decoder&l1=0&l2=1e-3&train_size=300"
EXPLORE_GAN = "?model=gan&dataset=fashion&target=generator&l1=0&l2=1e-4"
COMPARE_VAE = "?tab=compare&compare_model=vae&compare_dataset=mnist&compare_sweep=l2|none|none|decoder|loss|3000|n300"


def ready(page) -> None:
    try:
        wait_until(lambda: page.evaluate("() => window.normgenLinkReady === true"), 180, "the page load")
    except AssertionError as exc:
        print(f"warning: {exc}", file=sys.stderr)


def scroll_to_text(page, selector: str, text: str, offset: int = 20) -> bool:
    js = """([sel, text]) => { const e = [...document.querySelectorAll(sel)]
        .find(n => n.textContent.includes(text));
        return e ? e.getBoundingClientRect().top + window.scrollY : null; }"""
    y = page.evaluate(js, [selector, text])
    if y is None:
        print(f"warning: no {selector} containing {text!r}", file=sys.stderr)
        return False
    page.evaluate(f"window.scrollTo(0, {max(0, y - offset)})")
    time.sleep(0.8)
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="/tmp/truth-shots")
    p.add_argument("--zoo", default=None)
    p.add_argument("--data-root", default=None)
    p.add_argument("--viewports", default="1366x768,1280x720,390x844")
    p.add_argument("--screens", default="explore,gan,compare,learn")
    a = p.parse_args(argv)
    if chromium_path() is None:
        print("Chromium not found: apt-get install -y chromium", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    screens = set(a.screens.split(","))
    demo, url = launch_app(a.zoo, a.data_root)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for vp in a.viewports.split(","):
                w, h = (int(v) for v in vp.split("x"))
                page = browser.new_page(viewport={"width": w, "height": h})
                page.set_default_timeout(120_000)

                def shot(page, name: str, vp: str = vp) -> None:
                    path = out / f"{vp}-{name}.png"
                    page.screenshot(path=str(path))
                    print(path, flush=True)

                if "explore" in screens:
                    page.goto(url + EXPLORE_VAE)
                    ready(page)
                    wait_until(lambda page=page: img_src(page, "explore-selected"), 120, "the Explore grid")
                    wait_until(lambda page=page: "IWAE" in page.locator("#explore-details").inner_text(), 120,
                               "the generalization panel")
                    scroll_to_text(page, "#explore-headline", "")
                    shot(page, "explore-vae-headline")
                    scroll_to_text(page, "#explore-details h4", "Generalization")
                    shot(page, "explore-vae-generalization")
                    page.evaluate("window.scrollBy(0, window.innerHeight - 80)")
                    time.sleep(0.5)
                    shot(page, "explore-vae-generalization-2")
                if "gan" in screens:
                    page.close()
                    page = browser.new_page(viewport={"width": w, "height": h})
                    page.set_default_timeout(120_000)
                    page.goto(url + EXPLORE_GAN)
                    ready(page)
                    wait_until(lambda page=page: img_src(page, "explore-selected"), 120, "the Explore grid")
                    scroll_to_text(page, "#explore-headline", "")
                    shot(page, "explore-gan-headline")
                    scroll_to_text(page, "#explore-details li", "FD", offset=200)
                    shot(page, "explore-gan-verdict")
                if "compare" in screens:
                    page.close()
                    page = browser.new_page(viewport={"width": w, "height": h})
                    page.set_default_timeout(120_000)
                    page.goto(url + COMPARE_VAE)
                    ready(page)
                    wait_until(lambda page=page: page.locator("#compare-plot-copying img, #compare-plot-copying canvas,"
                                                              " #compare-plot-copying svg").count(), 180,
                               "the copying plot")
                    scroll_to_text(page, "#compare-generalization", "")
                    shot(page, "compare-generalization")
                    page.evaluate("window.scrollBy(0, window.innerHeight - 80)")
                    time.sleep(0.5)
                    shot(page, "compare-generalization-2")
                if "learn" in screens:
                    page.close()
                    page = browser.new_page(viewport={"width": w, "height": h})
                    page.set_default_timeout(120_000)
                    page.goto(url + "?tab=learn")
                    ready(page)
                    wait_until(lambda page=page: "Two judges" in page.locator("#learn-md, body").first.inner_text(),
                               120, "the Learn page")
                    scroll_to_text(page, "p", "Two judges, and seeds", offset=200)
                    shot(page, "learn-judges")
                    scroll_to_text(page, "h3", "VAE, 300")
                    shot(page, "learn-small-vae")
                page.close()
            browser.close()
    finally:
        demo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
