"""The measurements behind normgen.eval.structure.MIN_RATIO: the structure ratio (and its two parts) of real test
images, uniform noise, the zoo's baselines and a few colour entries, and the colour DCGAN / MNIST GAN after 95
steps from scratch, each 512 samples against 512 test images.

    NORMGEN_DATA=../shared/data nice -n 10 .venv/bin/python scripts/structure_calibration.py

Prints one line per case and writes runs/structure_calibration.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from normgen.config import make_config  # noqa: E402
from normgen.data import load_dataset  # noqa: E402
from normgen.engine.sampling import sample  # noqa: E402
from normgen.engine.train import train  # noqa: E402
from normgen.eval.structure import coarse_contrast, coarse_variety, structure_ratio  # noqa: E402
from normgen.zoo.files import load_entry
from normgen.zoo.index import load_index


def main() -> None:
    torch.set_num_threads(1)
    ix = load_index("checkpoints")
    out: dict[str, dict[str, float]] = {}

    def rec(name: str, x: torch.Tensor, real: torch.Tensor) -> None:
        out[name] = {"ratio": round(structure_ratio(x, real), 3),
                     "contrast": round(coarse_contrast(x) / coarse_contrast(real), 3),
                     "variety": round(coarse_variety(x) / coarse_variety(real), 3)}
        print(name, out[name], flush=True)

    for ds, model, g_norm in (("cifar10", "dcgan", "batch"), ("mnist", "gan", "none")):
        test = load_dataset(ds, train=False, download=False).images
        real = test[:512].float()
        rec(f"{ds} real (other 512)", test[512:1024].float(), real)
        rec(f"{ds} uniform noise", torch.rand_like(real) * 2 - 1, real)
        for e in ix.find(model=model, dataset=ds, train_size=0, g_norm=g_norm):
            if e.is_baseline and e.seed == 0 and e.setting == ("ns", "none", "all"):
                ck = load_entry(e, ix.root)
                ck.model.eval()
                rec(f"{ds} zoo baseline s0", sample(ck.model, 512, 0), real)
        if ds == "cifar10":
            for e in ix.find(model=model, dataset=ds):
                if e.setting[:2] in (("wgan", "none"), ("wgan", "clip")) or (e.l2 == 0.01 and e.target == "generator"):
                    ck = load_entry(e, ix.root)
                    ck.model.eval()
                    rec(f"{ds} {e.id}", sample(ck.model, 512, 0), real)
        r = train(make_config(model, ds, steps=95, seed=0), data=load_dataset(ds, train=True, download=False),
                  device="cpu")
        r.model.eval()
        rec(f"{ds} scratch 95 steps", sample(r.model, 512, 0), real)
    Path("runs").mkdir(exist_ok=True)
    Path("runs/structure_calibration.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
