"""64 samples of zoo entries beside 64 real CIFAR-10 test images, as one PNG to look at (issue 24: does the
colour baseline draw varied scenes, or bands and one texture?), with each entry's judge classes covered.

    NORMGEN_DATA=../shared/data .venv/bin/python scripts/colour_grid.py --out docs/colour-baselines.png \\
        dcgan-cifar10-batch-generator-loss-l1=0-l2=0-g=0-s0 dcgan-cifar10-batch-generator-loss-l1=0-l2=0-g=0-s1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from normgen.data import load_dataset  # noqa: E402
from normgen.engine.sampling import sample  # noqa: E402
from normgen.eval.quality import class_entropy, class_histogram  # noqa: E402
from normgen.render.grids import grid_image  # noqa: E402
from normgen.zoo.coverage import effective_classes  # noqa: E402
from normgen.zoo.files import load_entry, load_judge
from normgen.zoo.index import load_index


def labelled(img: Image.Image, text: str) -> Image.Image:
    out = Image.new("RGB", (img.width, img.height + 18), "white")
    out.paste(img, (0, 18))
    ImageDraw.Draw(out).text((4, 3), text, fill="black")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ids", nargs="+", help="zoo entry ids")
    ap.add_argument("--out", default="docs/colour-baselines.png")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--zoo", default=None, help="the zoo folder (default: the shipped zoo, checkpoints/)")
    a = ap.parse_args()
    index = load_index(a.zoo) if a.zoo else load_index()
    judge = load_judge("cifar10")
    test = load_dataset("cifar10", train=False, download=False)
    g = torch.Generator().manual_seed(a.seed)
    real = test.images[torch.randperm(len(test), generator=g)[:64]]
    panels = [labelled(grid_image(real, nrow=8, scale=2), "64 real CIFAR-10 test images")]
    for entry_id in a.ids:
        e = index.get(entry_id)
        model = load_entry(e, index.root).model
        x = sample(model, 64, a.seed)
        many = sample(model, 2000, a.seed + 1)
        h = class_entropy(class_histogram(judge.logits(many).argmax(1), 10))
        fd = e.metrics.get("fd", float("nan"))
        print(f"{entry_id}: FD {fd:.2f}, effective classes {effective_classes(h):.2f} (2,000 samples)")
        panels.append(labelled(grid_image(x, nrow=8, scale=2), f"seed {e.seed}: FD {fd:.1f}, "
                                                                 f"{effective_classes(h):.1f} classes"))
    w = sum(p.width for p in panels) + 8 * (len(panels) - 1)
    sheet = Image.new("RGB", (w, max(p.height for p in panels)), "white")
    x0 = 0
    for p in panels:
        sheet.paste(p, (x0, 0))
        x0 += p.width + 8
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    sheet.save(a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
