"""A tiny zoo for the UI tests: a few small models trained for a handful of steps on `shapes`,
saved and indexed exactly as the real zoo is (normgen-zoo/1), so Explore and fine-tuning can be
tested on a clean clone without the shipped checkpoints. Not a quality zoo: no judge metrics.

It also holds a small-data block like the real zoo's (normgen.zoo.spec): entries trained on a
class-balanced subset of SMALL_N shapes, with the generalization metrics the zoo build stores
(normgen.eval.generalization, eval.quality.vae_scores), measured here on the real models.
"""

from __future__ import annotations

from pathlib import Path

from normgen.checkpoints import save, sha256
from normgen.config import make_config
from normgen.data import load_dataset, make_shapes
from normgen.engine.train import train
from normgen.eval.copying import copying
from normgen.eval.generalization import generalization
from normgen.eval.likelihood import iwae_scores
from normgen.eval.metrics import model_weight_stats
from normgen.eval.quality import generate_many, vae_scores
from normgen.models import family
from normgen.regularizers import RegConfig
from normgen.zoo.index import Entry, ZooIndex, write_index

# (model, l1, l2, variant, seed); baselines store every part so the app can fine-tune from them
SETTINGS = [
    ("gan", 0.0, 0.0, "loss", 0), ("gan", 0.0, 0.0, "loss", 1),
    ("gan", 1e-2, 0.0, "loss", 0), ("gan", 1e-2, 0.0, "loss", 1), ("gan", 0.0, 1e-1, "loss", 0),
    ("vae", 0.0, 0.0, "loss", 0), ("vae", 1e-2, 0.0, "loss", 0),
    ("cgan", 0.0, 0.0, "loss", 0),
]
SMALL_N = 40  # training images of the small-data block (10 of each of the 4 shapes)
# (model, target, l2, dropout, seed) of the small-data block
SMALL = [
    ("vae", "decoder", 0.0, 0.0, 0), ("vae", "decoder", 0.0, 0.0, 1),
    ("vae", "decoder", 1e-3, 0.0, 0), ("vae", "decoder", 1e-3, 0.0, 1),
    ("vae", "decoder", 0.0, 0.2, 0),
    ("gan", "discriminator", 0.0, 0.0, 0), ("gan", "discriminator", 1e-2, 0.0, 0),
]
GEN_N = 64  # samples per generalization metric (the real zoo uses 2,000)


def build_tiny_zoo(root: Path, steps: int = 12, ch: int = 8, small: bool = True) -> Path:
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
    if small:
        entries += small_entries(root, steps, ch)
    return write_index(ZooIndex(root=root, entries=entries), root)


def small_entries(root: Path, steps: int, ch: int) -> list[Entry]:
    """The small-data block, trained (like the zoo build) on seed 0's shapes training split and scored
    against its test split."""
    train_ds, test_ds = load_dataset("shapes", seed=0), load_dataset("shapes", train=False, seed=0)
    out = []
    for model, target, l2, dropout, seed in SMALL:
        cfg = make_config(model, "shapes", model_overrides={"ch": ch, "dropout": dropout},
                          reg=RegConfig(l2=l2, target=target), steps=steps, seed=seed, log_every=steps,
                          sample_every=steps, batch_size=32, train_size=SMALL_N)
        res = train(cfg, data=train_ds, device="cpu")
        seen = cfg.training_images(train_ds)
        metrics = generalization(res.model, seen, test_ds, n=GEN_N, seed=0, data_seed=cfg.data_seed)
        if family(model).has_elbo:
            metrics.update(vae_scores(res.model, seen, test_ds, n=GEN_N, seed=0))
            metrics.update(iwae_scores(res.model, seen, test_ds, n=GEN_N, seed=0, k=8))
        samples, _ = generate_many(res.model, GEN_N, 0)  # copying, in pixels here (this zoo has no judge)
        metrics.update(copying(samples.flatten(1), seen.images.flatten(1), test_ds.images[:200].flatten(1)))
        is_base = not l2 and not dropout
        parts = list(res.model.parts) if is_base or model == "vae" else ["generator"]
        eid = f"{model}-shapes-none-{target}-loss-l1=0-l2={l2:g}-g=0" + (f"-do={dropout:g}" if dropout else "") + \
            f"-n{SMALL_N}-s{seed}"
        rel = f"{model}/shapes/{eid}.safetensors"
        path = save(root / rel, res.model, cfg, parts=parts)
        weights = {p: s["total"] for p, s in model_weight_stats(res.model.parts).items()}
        out.append(Entry(id=eid, file=rel, model=model, dataset="shapes", g_norm="none", d_norm="none",
                         target=target if not is_base else family(model).sampler_part, variant="loss", l1=0.0,
                         l2=l2, group=0.0, act=0.0, seed=seed, steps=steps, device="cpu",
                         wall_s=round(res.elapsed, 2), sha256=sha256(path), train_size=SMALL_N, dropout=dropout,
                         parts=parts, metrics=metrics, weights=weights))
    return out
