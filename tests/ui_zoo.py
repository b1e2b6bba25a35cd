"""A tiny zoo for the UI tests: a few small models trained for a handful of steps on `shapes`,
saved and indexed exactly as the real zoo is (normgen-zoo/1), so Explore and fine-tuning can be
tested on a clean clone without the shipped checkpoints. Not a quality zoo: no judge metrics.
"""

from __future__ import annotations

from pathlib import Path

from normgen.checkpoints import save, sha256
from normgen.config import make_config
from normgen.data import make_shapes
from normgen.engine.train import train
from normgen.eval.metrics import model_weight_stats
from normgen.regularizers import RegConfig
from normgen.zoo.index import Entry, ZooIndex, write_index

# (model, l1, l2, variant, seed); baselines store every part so the app can fine-tune from them
SETTINGS = [
    ("gan", 0.0, 0.0, "loss", 0), ("gan", 0.0, 0.0, "loss", 1),
    ("gan", 1e-2, 0.0, "loss", 0), ("gan", 1e-2, 0.0, "loss", 1), ("gan", 0.0, 1e-1, "loss", 0),
    ("vae", 0.0, 0.0, "loss", 0), ("vae", 1e-2, 0.0, "loss", 0),
    ("cgan", 0.0, 0.0, "loss", 0),
]


def build_tiny_zoo(root: Path, steps: int = 12, ch: int = 8) -> Path:
    data = make_shapes(256, seed=0)
    entries = []
    for model, l1, l2, variant, seed in SETTINGS:
        target = "decoder" if model == "vae" else "generator"
        cfg = make_config(model, "shapes", model_overrides={"ch": ch},
                          reg=RegConfig(l1=l1, l2=l2, target=target, variant=variant),
                          steps=steps, seed=seed, log_every=steps, sample_every=steps, batch_size=32)
        res = train(cfg, data=data, device="cpu")
        baseline = l1 == 0 and l2 == 0
        parts = list(res.model.parts) if baseline or model == "vae" else ["generator"]
        eid = f"{model}-shapes-none-{target}-{variant}-l1={l1:g}-l2={l2:g}-g=0-s{seed}"
        rel = f"{model}/shapes/{eid}.safetensors"
        path = save(root / rel, res.model, cfg, parts=parts)
        weights = {p: s["total"] for p, s in model_weight_stats(res.model.parts).items()}
        entries.append(Entry(id=eid, file=rel, model=model, dataset="shapes", g_norm="none", d_norm="none",
                             target=target, variant=variant, l1=l1, l2=l2, group=0.0, act=0.0, seed=seed,
                             steps=steps, device="cpu", wall_s=round(res.elapsed, 2), sha256=sha256(path),
                             parts=parts, metrics={}, weights=weights))
    return write_index(ZooIndex(root=root, entries=entries), root)
