"""A finished live run's generalization, measured as the zoo measures its entries (Train's report): VAE train /
test ELBO and its gap, memorization (only for samples with structure), the discriminator's gap; and those
numbers as sentences. Stateless.
"""

from __future__ import annotations

from normgen.data import Dataset
from normgen.eval.generalization import generalization
from normgen.eval.quality import generate_many, vae_scores
from normgen.eval.structure import BLOCK, MIN_RATIO, has_structure, structure_ratio
from normgen.models import GenerativeModel, family
from normgen.words import fmt_gap
from normgen.zoo.readings import pixels
from normgen.zoo.texts.heldout import MEMO_WORDS

# a live run is scored as the zoo scores its entries (normgen.zoo.judges' EVAL_N samples from noise
# EVAL_SEED; a test keeps them equal), so a run and a zoo entry of one recipe read the same. Named here:
# the app does not load the zoo builder.
EVAL_N, EVAL_SEED = 2_000, 0
STRUCTURE_N = 512  # samples (and real test images) the structure statistic compares


def measure_run(model: GenerativeModel, seen: Dataset, test: Dataset, data_seed: int) -> dict[str, float]:
    """The zoo's generalization metrics of a finished run, with the zoo's sample count and noise:
    VAE train / test ELBO (per pixel) and its gap; memorization; for an adversarial family the D gap.
    `seen` are the images the run trained on."""
    out: dict[str, float] = {"train_size": float(len(seen))}
    if family(model.cfg.name).has_elbo:
        out.update(vae_scores(model, seen, test, n=EVAL_N, seed=EVAL_SEED))
    out.update(generalization(model, seen, test, n=EVAL_N, seed=EVAL_SEED, data_seed=data_seed))
    # memorization only means something for samples with structure: grey tiles' nearest image is an accident
    samples, _ = generate_many(model, STRUCTURE_N, EVAL_SEED)
    out["structure_ratio"] = structure_ratio(samples, test.images[:STRUCTURE_N])
    if not has_structure(out["structure_ratio"]):
        out.pop("memorization_pct", None)
    return out


def run_markdown(g: dict[str, float], dataset: str) -> str:
    """The numbers of `measure_run`, as sentences (ELBO in nats per image)."""
    m = int(g["gen_m"])
    s = (f"**Generalization of the kept model** ({int(g['train_size']):,} training images; held-out: the test "
         "split):")
    if "elbo_gap" in g:
        px = pixels(dataset)
        train, test, gap = fmt_gap(g["elbo_train"] * px, g["elbo_test"] * px, g["elbo_gap"] * px)
        s += (f" ELBO {train} nats/image on its training images and {test} on held-out test images: a train–test "
              f"gap of {gap} nats/image.")
    if "d_gap" in g:
        train, held, gap = fmt_gap(g["d_train"], g["d_held"], g["d_gap"])
        s += (f" The discriminator's mean logit is {train} on training images and {held} on held-out ones: a gap "
              f"of {gap}.")
    if "memorization_pct" in g:
        s += (f" Pixel nearest-neighbour share {g['memorization_pct']:.1f}% ({MEMO_WORDS}; {EVAL_N:,} samples "
              f"against {m:,} training and {m:,} held-out images).")
    elif "structure_ratio" in g:
        s += (f" The pixel nearest-neighbour share is not shown: the samples have no structure yet (their contrast "
              f"between {BLOCK}×{BLOCK}-pixel blocks is {100 * g['structure_ratio']:.0f}% of real images', below "
              f"{100 * MIN_RATIO:.0f}%), and the nearest training image of a flat or noisy tile means nothing.")
    return s


__all__ = ["EVAL_N", "EVAL_SEED", "STRUCTURE_N", "measure_run", "run_markdown"]
