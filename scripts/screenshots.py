"""Screenshots of every screen of the app for docs/ (the README shows them).

    .venv/bin/python scripts/screenshots.py --data-root ../shared/data   # docs/*.png from checkpoints/
    .venv/bin/python scripts/screenshots.py --zoo /tmp/zoo --out /tmp/shots --train-steps 300

Launches build_demo() in this process and drives it in Debian's Chromium (never `playwright
install`): Explore with a non-zero L1 lambda, Train with a short fine-tuning run that finishes
(MNIST from the zoo baseline when --data-root holds it, else the offline shapes from scratch),
Compare with a point chosen, Learn (top and the measured section). Each screen is captured at a
1366 x 1000 viewport (a laptop) unless --viewport says otherwise; `--full-page` captures whole pages.
Uses the browser helpers of tests/conftest_browser.py, the same ones the browser test uses.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from conftest_browser import (  # noqa: E402
    CHROMIUM_ARGS,
    chromium_path,
    img_src,
    launch_app,
    pick_option,
    status_text,
    wait_until,
)


def open_tab(page, name: str) -> None:
    """Click the tab `name`, through Gradio's "More tabs" menu where a narrow screen put it there."""
    tab = page.get_by_role("tab", name=name)
    if tab.count():
        tab.click()
        return
    page.locator("button[aria-label='More tabs']").click()
    page.locator(".overflow-dropdown button", has_text=name).first.click()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(REPO / "docs"), help="folder for the PNGs (default: docs/)")
    p.add_argument("--zoo", default=None, help="zoo folder (default: $NORMGEN_ZOO or checkpoints/)")
    p.add_argument("--data-root", default=None, help="MNIST / Fashion-MNIST folder (default: $NORMGEN_DATA)")
    p.add_argument("--l1", default="1e-4", help="the L1 lambda shown on Explore (as its readout writes it)")
    p.add_argument("--query", default="",
                   help="more Explore state for its link, e.g. 'model=dcgan&dataset=cifar10&g_norm=batch'")
    p.add_argument("--screens", default="explore,train,compare,learn",
                   help="comma-separated screens to capture (default: all four; 'overfit' adds Explore's "
                   "small-data VAE pictures)")
    p.add_argument("--train-query", default="",
                   help="Train's link state, e.g. 'train_model=dcgan&train_dataset=cifar10&train_loss=wgan-clip'")
    p.add_argument("--prefix", default="", help="prefix of every PNG's name (e.g. 1280x720-)")
    p.add_argument("--train-steps", type=int, default=200, help="steps of the Train screenshot's run")
    p.add_argument("--full-page", action="store_true", help="capture whole pages, not the first screen")
    p.add_argument("--viewport", default="1366x1000",
                   help="WIDTHxHEIGHT (default 1366x1000; a projector is 1280x720, a phone 390x844)")
    a = p.parse_args(argv)
    if chromium_path() is None:
        print("Chromium not found: apt-get install -y chromium (never `playwright install`)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    try:
        width, height = (int(v) for v in a.viewport.lower().split("x"))
    except ValueError:
        p.error(f"--viewport must be WIDTHxHEIGHT, e.g. 1280x720; got {a.viewport!r}")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    demo, url = launch_app(a.zoo, a.data_root)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(60_000)
            page.goto(url)

            screens = set(a.screens.split(","))

            def shot(name: str) -> None:
                page.evaluate("window.scrollTo(0, 0)")  # the first screen, as a visitor sees it
                time.sleep(0.8)  # let plots and images finish painting
                path = out / f"{a.prefix}{name}.png"
                page.screenshot(path=str(path), full_page=a.full_page)
                print(path)

            # Explore: a regularized setting beside the baseline
            before = wait_until(lambda: img_src(page, "explore-selected"), 60, "the first Explore grid")
            try:  # the page load's chain of events (every tab restored from the link) has finished
                wait_until(lambda: page.evaluate("() => window.normgenLinkReady === true"), 120, "the page load")
            except AssertionError as exc:
                print(f"explore: {exc}", file=sys.stderr)
            before = img_src(page, "explore-selected")
            if "explore" in screens:
                if a.query or not re.search(rf"= {re.escape(a.l1)}\b",
                                            page.locator("#explore-l1-readout").inner_text()):
                    # a shared link to the setting (the slider: the browser tests)
                    page.goto(f"{url}?l1={a.l1}" + (f"&{a.query}" if a.query else ""))
                    wait_until(lambda: page.evaluate("() => window.normgenLinkReady === true"), 120, "the page load")
                    wait_until(lambda: img_src(page, "explore-selected"), 60, "the Explore grid")
                shot("explore")
                y = page.evaluate("() => document.querySelector('#explore-diff').getBoundingClientRect().top"
                                  " + window.scrollY")
                page.evaluate(f"window.scrollTo(0, {max(0, y - 120)})")
                time.sleep(0.5)
                page.screenshot(path=str(out / f"{a.prefix}explore-changed.png"))
                print(out / f"{a.prefix}explore-changed.png")
                # the same screen on Fashion-MNIST, when the zoo has it
                before = img_src(page, "explore-selected")
                try:
                    pick_option(page, "explore-dataset", r"^Fashion-MNIST$")
                    wait_until(lambda: (s := img_src(page, "explore-selected")) != before and s, 30,
                               "the Fashion grid")
                    shot("explore-fashion")
                except AssertionError as exc:
                    print(f"explore: no Fashion-MNIST screenshot ({exc})", file=sys.stderr)

            # Explore's overfitting pictures: the 300-image VAE with decoder L2 beside its baseline
            if "overfit" in screens:
                page.goto(f"{url}?model=vae&dataset=mnist&train_size=300&target=decoder&l1=0&l2=1e-3")
                wait_until(lambda: page.evaluate("() => window.normgenLinkReady === true"), 120, "the page load")
                wait_until(lambda: img_src(page, "explore-recon"), 120, "the reconstruction picture")
                wait_until(lambda: img_src(page, "explore-nn"), 120, "the nearest-images picture")
                for box, name in (("#explore-nn-note", "explore-nearest"), ("#explore-recon-box", "explore-overfit")):
                    y = page.evaluate(f"() => document.querySelector('{box}').getBoundingClientRect().top"
                                      " + window.scrollY")
                    page.evaluate(f"window.scrollTo(0, {max(0, y - 60)})")
                    time.sleep(0.8)
                    page.screenshot(path=str(out / f"{a.prefix}{name}.png"))
                    print(out / f"{a.prefix}{name}.png")

            # Train: a short run that finishes (fine-tuning the baseline when the zoo has one)
            if "train" in screens:
                if a.train_query:
                    page.goto(f"{url}?tab=train&{a.train_query}")
                    try:
                        wait_until(lambda: page.evaluate("() => window.normgenLinkReady === true"), 60, "the page load")
                    except AssertionError as exc:
                        print(f"train: {exc}", file=sys.stderr)
                open_tab(page, "Train")
                steps = page.locator("#train-steps input[type=number]")
                steps.fill(str(a.train_steps))
                steps.press("Enter")
                page.locator("#train-start-btn").click()
                wait_until(lambda: re.search(r"Finished|Stopped|Diverged|Error", status_text(page)), 600,
                           "the training run to end")
                wait_until(lambda: img_src(page, "train-grid"), 30, "the final training grid")
                shot("train")

            # Compare: the strip, the chosen grid and the metric-vs-lambda plots
            if "compare" in screens:
                open_tab(page, "Compare")
                wait_until(lambda: page.locator("#compare-strip img").count()
                           or page.locator("#compare-notes").count(), 60, "the Compare tab")
                shot("compare")

            # Learn: the formulas, then the measured section
            if "translate" in screens:
                open_tab(page, "Translate")
                wait_until(lambda: page.locator("#translate-selected img").count() > 0, 30, "the rows pictures")
                shot("translate")
            if "learn" in screens:
                open_tab(page, "Learn")
                wait_until(lambda: page.locator("#learn-md .katex").count() > 3, 30, "rendered formulas")
                shot("learn")
                y = page.evaluate("""() => { const h = [...document.querySelectorAll('#learn-md h2')]
                    .find(e => e.textContent.includes('What this zoo measured'));
                    return h ? h.getBoundingClientRect().top + window.scrollY : null; }""")
                if y is not None:
                    page.evaluate(f"window.scrollTo(0, {max(0, y - 20)})")
                    time.sleep(0.5)
                    page.screenshot(path=str(out / f"{a.prefix}learn-measured.png"))
                    print(out / f"{a.prefix}learn-measured.png")
            browser.close()
    finally:
        demo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
