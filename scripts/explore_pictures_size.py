"""What Explore's pictures would weigh if the zoo build wrote them (issue 26: "the zoo build writes, per
reachable entry and pair, the grids for the page's noise seeds"): every entry's sample grid from one noise seed
at 1x (the page enlarges it), and every entry's difference map against its baseline, as PNG files compressed as
small as PIL writes them (grey grids in one channel, maps in a 64-colour palette).

    .venv/bin/python scripts/explore_pictures_size.py            # the shipped zoo, noise seed 0
    .venv/bin/python scripts/explore_pictures_size.py --seeds 3  # the first 3 noise seeds

Prints one JSON object: bytes of the grids (by dataset) and of the maps, per noise seed and in all, and the room
left in checkpoints/ under its budget (tests/zoo/test_shipped_zoo.py).
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import torch

from normgen.data import dataset_info
from normgen.engine.sampling import sample
from normgen.eval.compare import saturated_change
from normgen.models import SAMPLE_MODELS
from normgen.render.figures import heat_grid
from normgen.render.grids import grid_image, grid_size
from normgen.service.explore_images import DIFF_FULL
from normgen.zoo.files import load_entry
from normgen.zoo.index import load_index

BUDGET = 130e6  # checkpoints/ (tests/zoo/test_shipped_zoo.py::test_the_zoo_fits_its_size_budget)


def png_bytes(img) -> int:
    buf = io.BytesIO()
    img.save(buf, format="png", optimize=True)
    return buf.tell()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default="checkpoints")
    p.add_argument("--seeds", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(1)
    index = load_index(a.root)
    shown = [e for e in index.entries if e.model in SAMPLE_MODELS]  # Explore's families (Translate: its own)
    grids: dict[str, int] = {}
    maps, n_maps = 0, 0
    for seed in range(a.seeds):
        xs = {}
        for e in shown:
            n, nrow = grid_size(e.model, dataset_info(e.dataset).num_classes)
            xs[e.id] = (sample(load_entry(e, index.root).model, n, seed), nrow)
            grids[e.dataset] = grids.get(e.dataset, 0) + png_bytes(grid_image(xs[e.id][0], nrow=nrow))
        for e in shown:
            base = None if e.is_baseline else index.baseline(e.model, e.dataset)
            if base is None or base.id not in xs or xs[base.id][0].shape != xs[e.id][0].shape:
                continue
            heat = saturated_change(xs[base.id][0], xs[e.id][0], DIFF_FULL)
            maps += png_bytes(heat_grid(heat, nrow=xs[e.id][1]).quantize(64))
            n_maps += 1
    zoo = sum(f.stat().st_size for f in Path(a.root).rglob("*") if f.is_file())
    total = sum(grids.values()) + maps
    print(json.dumps({"entries": len(shown), "noise_seeds": a.seeds, "grid_bytes": grids,
                      "map_bytes": maps, "maps": n_maps, "total_bytes": total,
                      "per_seed_bytes": round(total / a.seeds), "zoo_bytes": zoo, "budget_bytes": BUDGET,
                      "room_bytes": BUDGET - zoo}))


if __name__ == "__main__":
    main()
