"""Train cycle GANs on MNIST thin ↔ bold with a few recipes and score each on 1,000 held-out digits: how the
zoo's cycle GAN recipe (CYCLE_STEPS, lr, batch) was picked.

    .venv/bin/python scripts/cycle_probe.py --data-root ../shared/data '{"steps": 300, "lr": 1e-3}' \
        '{"steps": 300, "lr": 2e-4}' '{"steps": 300, "model_overrides": {"cycle_norm": "l2"}}'

Each argument is a JSON object of make_config keywords; prints steps/s and the translation scores per recipe
and writes OUT/recipe-K.png (rows a | G(a) | F(G(a)) | truth for 8 held-out digits).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from normgen.config import make_config  # noqa: E402
from normgen.data import load_dataset  # noqa: E402
from normgen.engine.train import train  # noqa: E402
from normgen.eval.judge import load_judge_file  # noqa: E402
from normgen.eval.translation import held_out_pairs, translation_scores  # noqa: E402
from normgen.render.grids import grid_image  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("recipes", nargs="+", help="JSON objects of make_config keywords")
    p.add_argument("--data-root", default=None)
    p.add_argument("--out", default="runs/cycle_probe")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_dataset("mnist", root=a.data_root)
    test = load_dataset("mnist", root=a.data_root, train=False)
    judge = load_judge_file(REPO / "checkpoints" / "judges" / "mnist.safetensors")
    for k, spec in enumerate(a.recipes):
        kw = json.loads(spec)
        cfg = make_config("cyclegan", "mnist", **kw)
        t = time.perf_counter()
        res = train(cfg, data=data, device="cpu")
        dt = time.perf_counter() - t
        s = translation_scores(res.model, test, judge, n=1000)
        print(json.dumps({"recipe": kw, "steps_per_s": round(res.steps / dt, 2), "status": res.status,
                          **{m: round(v, 4) for m, v in s.items()}}), flush=True)
        a_img, _, _ = held_out_pairs(res.model, test, 8, 0)
        rows = res.model.rows(a_img).transpose(0, 1).reshape(-1, *a_img.shape[1:])
        grid_image(rows, nrow=4, scale=3).save(out / f"recipe-{k}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
