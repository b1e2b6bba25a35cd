"""The short list of class experiments a teacher picks from.

Each is one Train setting with one λ axis: the model, dataset, penalized part, which λ varies and its
values, the training-set size, the steps, how a run starts, and what is measured on the finished run
(`metric`: a key of the run's measured numbers, normgen.classroom.results.measured). `pick` is the held-out
criterion by which the class chooses λ (a key and whether higher or lower is better), or None where the
experiment measures a weight statistic with no held-out score to choose by. `scale` turns the stored
number into the unit shown (the VAE's ELBO is stored per pixel, shown per image).

The λ values are ones the zoo trained at the same size and part, so the chart's background is the zoo's own
seed band at each of them (normgen.classroom.chart.zoo_band).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pick:
    key: str  # a measured number of the run
    higher_is_better: bool
    words: str  # the criterion in words, for the chart's caption


@dataclass(frozen=True)
class Experiment:
    id: str
    title: str
    question: str  # what the class finds out, in one sentence
    model: str
    dataset: str
    target: str  # the penalized part
    axis: str  # "l1" | "l2": the λ that varies
    lambdas: tuple[float, ...]
    train_size: int  # 0 = every training image
    steps: int
    start: str  # finetune | scratch (fine-tuning starts from the zoo baseline of the same size)
    metric: str  # the measured number on the chart's y axis
    metric_label: str
    scale: float = 1.0  # shown = stored * scale
    pick: Pick | None = None
    seconds: float = 180.0  # the run's time budget, the server's cap: a run that ends by time does not count
    notes: tuple[str, ...] = field(default_factory=tuple)

    def setting(self, lam: float, seed: int) -> dict:
        """The /train values of this experiment at `lam` and `seed` (Train's parameter names)."""
        lams = {"l1": 0.0, "l2": 0.0, self.axis: float(lam)}
        return dict(model=self.model, dataset=self.dataset, g_norm="none", l1=lams["l1"], l2=lams["l2"],
                    target=self.target, variant="loss", seed=int(seed), steps=self.steps, seconds=self.seconds,
                    start=self.start, train_size=self.train_size, dropout=0.0, loss="ns")


EXPERIMENTS: dict[str, Experiment] = {e.id: e for e in (
    Experiment(
        id="vae-small-l2", title="VAE on 300 MNIST digits: decoder L2",
        question="Does an L2 penalty close the gap between training and held-out ELBO when data is scarce?",
        model="vae", dataset="mnist", target="decoder", axis="l2", lambdas=(0.0, 1e-4, 1e-3, 1e-2),
        train_size=300, steps=100, start="finetune", metric="elbo_gap",
        metric_label="ELBO gap, training − held-out (nats/image)", scale=784.0,
        pick=Pick("elbo_test", True, "the highest mean held-out ELBO")),
    Experiment(
        id="gan-small-d-l2", title="GAN on 300 MNIST digits: discriminator L2",
        question="Does an L2 penalty on the discriminator stop it telling its training images from held-out ones?",
        model="gan", dataset="mnist", target="discriminator", axis="l2", lambdas=(0.0, 1e-3, 1e-2),
        train_size=300, steps=60, start="finetune", metric="d_gap",
        metric_label="D gap: mean logit, training − held-out",
        pick=Pick("d_gap", False, "the smallest mean D gap (training vs held-out images)")),
    Experiment(
        id="gan-g-l1", title="GAN on MNIST: generator L1 and sparsity",
        question="How fast does the share of near-zero generator weights grow with the L1 λ, and do seeds agree?",
        model="gan", dataset="mnist", target="generator", axis="l1", lambdas=(0.0, 1e-5, 1e-4, 1e-3),
        train_size=0, steps=60, start="finetune", metric="near_zero_pct",
        metric_label="generator weights near zero (%)",
        notes=("A weight statistic, not a held-out score: the chart shows no pick.",)),
)}
DEFAULT = "vae-small-l2"


def get(experiment_id: str) -> Experiment:
    """The experiment of `experiment_id` (ValueError listing the ids)."""
    try:
        return EXPERIMENTS[experiment_id]
    except (KeyError, TypeError):
        raise ValueError(f"experiment: one of {', '.join(EXPERIMENTS)}") from None


__all__ = ["Experiment", "Pick", "EXPERIMENTS", "DEFAULT", "get"]
