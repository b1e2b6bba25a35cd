"""The README's picture sequence of a λ drag: Explore's selected grid at each trained L1 value of a model.

    .venv/bin/python scripts/drag_strip.py --out docs/drag-l1.png

Launches build_demo() on the shipped zoo in this process, opens Explore in Debian's Chromium at each L1
value the zoo trained for the MNIST GAN (read from the index: the values the slider snaps to), captures
the selected grid, and writes one strip with each frame captioned by its λ and the share of near-zero
generator weights the index holds for it, so every label is measured, not typed.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from conftest_browser import CHROMIUM_ARGS, chromium_path, img_src, launch_app, wait_until  # noqa: E402


def frames(model: str, dataset: str) -> list[tuple[float, float]]:
    """(λ, near-zero %) of the seed-0 full-data L1 axis entries (loss form, on the generator) and the baseline."""
    from normgen.zoo.index import load_index

    index = load_index(REPO / "checkpoints")
    rows = index.find(model=model, dataset=dataset, g_norm="none", target="generator", variant="loss", l2=0.0,
                      group=0.0, act=0.0, seed=0, train_size=0, dropout=0.0)
    out = sorted({(e.l1, e.weights["generator"]["near_zero_pct"]) for e in rows if e.setting[0] == "ns"})
    return out


def main(argv: list[str] | None = None) -> int:
    from PIL import Image, ImageDraw, ImageFont
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(REPO / "docs" / "drag-l1.png"))
    p.add_argument("--model", default="gan")
    p.add_argument("--dataset", default="mnist")
    a = p.parse_args(argv)
    points = frames(a.model, a.dataset)
    demo, url = launch_app()
    shots: list[tuple[float, float, Image.Image]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)
            for lam, near in points:
                page.goto(f"{url}?model={a.model}&dataset={a.dataset}&l1={lam:g}&l2=0&seed=0")
                wait_until(lambda: img_src(page, "explore-selected"), 90, "the selected grid")
                page.add_style_tag(content="#explore-selected button, #explore-selected .icon-button-wrapper "
                                           "{display: none !important}")  # the picture alone
                page.wait_for_timeout(2500)
                png = page.locator("#explore-selected img").first.screenshot()
                shots.append((lam, near, Image.open(io.BytesIO(png)).convert("RGB")))
            browser.close()
    finally:
        demo.close()
    side = 240
    cap = 56
    strip = Image.new("RGB", (side * len(shots) + 8 * (len(shots) - 1), side + cap), "white")
    draw = ImageDraw.Draw(strip)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 17)
    except OSError:
        font = ImageFont.load_default()
    for i, (lam, near, img) in enumerate(shots):
        x = i * (side + 8)
        strip.paste(img.resize((side, side)), (x, 0))
        draw.text((x + 4, side + 6), "L1 λ = 0 (baseline)" if lam == 0 else f"L1 λ = {lam:g}", fill="black", font=font)
        draw.text((x + 4, side + 30), f"{near:.1f}% weights near 0", fill="#333333", font=font)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    strip.save(a.out, optimize=True)
    print(f"wrote {a.out}: {len(shots)} frames, λ = {[f'{lam:g}' for lam, _, _ in shots]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
