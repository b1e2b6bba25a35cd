"""A live run of a translating family (the cycle GAN) in Train, without gradio: its progress picture, rows
a | G(a) | F(G(a)) | dilate(a) of fixed held-out inputs, and at the end its own translation scores beside
the zoo baseline's with the baseline's seed spread (normgen.zoo.verdicts decides what is an effect).

The run is scored as the zoo scores a translator (normgen.zoo.build: TRANSLATION_N held-out digits, split
by EVAL_SEED; a test keeps them equal) with the zoo's judge of the dataset, so the two columns read the same.
The metrics, their names and formats are the Translate tab's (normgen.zoo.views.translation_view.COLUMNS).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from normgen.config import TrainConfig
from normgen.data import Dataset, dataset_label
from normgen.domains import split_domains
from normgen.eval.translation import translation_scores
from normgen.models import GenerativeModel
from normgen.words import fmt_num
from normgen.zoo.files import load_judge
from normgen.zoo.index import ZooIndex
from normgen.zoo.verdicts import Effect, Stat
from normgen.zoo.views import translation_view as TV

ROWS = 6  # held-out inputs in the progress picture
TRANSLATION_N, EVAL_SEED = 2_000, 0  # as normgen.zoo.build scores a translator


def held_out_inputs(cfg: TrainConfig, test: Dataset, n: int = ROWS) -> torch.Tensor:
    """The first n held-out domain-A images (the test split cut into its domains by EVAL_SEED, as the
    scores cut it): the same inputs at every step of every run of this dataset. (n, C, H, W), CPU."""
    dom = split_domains(test, cfg.model.domains, EVAL_SEED)
    return dom.a.images[:n].float().cpu()


@torch.no_grad()
def rows_of(model: GenerativeModel, a: torch.Tensor) -> torch.Tensor:
    """a | G(a) | F(G(a)) | truth for each input, row-major: (n * 4, C, H, W) in [-1, 1] on the CPU (a grid
    of 4 columns). Eval mode for the call, the model's mode restored after it."""
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    try:
        r = model.rows(a.to(dev)).float().cpu()  # (4, n, C, H, W)
    finally:
        model.train(was)
    return r.transpose(0, 1).reshape(-1, *r.shape[2:])


def measure(model: GenerativeModel, cfg: TrainConfig, test: Dataset, root: str | Path | None) -> dict[str, float]:
    """The zoo's translation scores of the kept model, with the zoo's judge of the dataset where it has one
    (without it: no same-digit share, no FD)."""
    judge = load_judge(cfg.dataset, root) if root is not None else None
    return translation_scores(model, test, judge, n=TRANSLATION_N, seed=EVAL_SEED)


def zoo_settings(index: ZooIndex | None, cfg: TrainConfig) -> list[tuple[str, list]]:
    """(label, entries) of the zoo's translators to compare a run with: the baseline's seeds, and the run's
    own setting (λ_cyc, cycle norm, penalty) where the zoo has it and it is not the baseline."""
    if index is None:
        return []
    es = TV.translators(index, cfg.dataset)
    out = []
    base = [e for e in es if e.is_baseline and e.model == cfg.model.name]
    if base:
        out.append((f"zoo baseline ({len(base)} seeds)", base))
    r, m = cfg.reg, cfg.model
    same = [e for e in es if e.model == m.name and not e.is_baseline and TV.lam_cyc(e) == m.lambda_cyc
            and TV.norm(e) == m.cycle_norm and e.l1 == r.l1 and e.l2 == r.l2 and (not (r.l1 or r.l2)
                                                                              or e.target == r.target)]
    if same:
        out.append((f"zoo, your setting ({len(same)} seed{'s' if len(same) > 1 else ''})", same))
    return out


def scores_markdown(mine: dict[str, float], cfg: TrainConfig, index: ZooIndex | None, steps: int,
                    init_steps: int = 0) -> str:
    """A table: each score of the run beside the zoo's (seed range), and whether the difference from the
    baseline is beyond its seed spread (normgen.zoo.verdicts.Effect). Every number is measured. `init_steps`:
    the steps of the checkpoint the run fine-tuned (0: from scratch)."""
    cols = zoo_settings(index, cfg)
    head = (f"**Your run, scored as the zoo scores its cycle GANs** ({int(mine.get('n', 0)):,} held-out images "
            f"of {dataset_label(cfg.dataset)}, after {steps} steps)")
    names = ["score", "your run", *(c for c, _ in cols)] + (["yours vs the baseline"] if cols else [])
    lines = [head, "", "| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for key, label, fmt in TV.COLUMNS:
        if key not in mine:
            continue
        row = [label, fmt.format(mine[key])]
        for _, es in cols:
            row.append(TV.spread(es, key))
        if cols:
            verdict = "no zoo baseline"
            if cols[0][1][0].is_baseline:
                eff = Effect(Stat([e.metrics[key] for e in cols[0][1] if key in e.metrics]), Stat([mine[key]]))
                verdict = eff.words(*TV.RISE_WORDS[key]) if eff.ok else "no zoo value"
            row.append(verdict)
        lines.append("| " + " | ".join(row) + " |")
    notes = []
    if "class_agreement" not in mine:
        notes.append(f"The zoo has no judge of {dataset_label(cfg.dataset)}, so the judge's same-class share and FD "
                     "are not measured.")
    if "copy_l1" in mine:
        notes.append(f"Doing nothing (G(a) = a) scores {fmt_num(mine['copy_l1'])} against the truth.")
    zoo_steps = cols[0][1][0].steps if cols else 0
    if cols and cols[0][1][0].is_baseline:
        notes.append(f"The zoo baseline: λ_cyc 10, L1 cycle norm, no penalty, {zoo_steps} steps.")
    if init_steps:
        notes.append(f"Yours fine-tuned a zoo checkpoint of {init_steps} steps for {steps} more ({init_steps + steps} "
                     f"in all); the zoo's trained {zoo_steps} from scratch: not the same recipe.")
    elif cols and steps != zoo_steps:
        notes.append(f"The zoo's entries trained {zoo_steps} steps from scratch, yours {steps}: not the same recipe.")
    if not cols:
        notes.append(f"The zoo has no cycle GAN on {dataset_label(cfg.dataset)} to compare with.")
    return "\n".join(lines) + ("\n\n" + " ".join(notes) if notes else "")


def summary(mine: dict[str, Any]) -> dict[str, float]:
    """The scores for the run's JSON summary (COLUMNS' keys and the floors), rounded."""
    keep = [k for k, _, _ in TV.COLUMNS] + ["copy_l1", "truth_agreement", "fd_truth", "n"]
    return {k: round(float(mine[k]), 4) for k in keep if k in mine}
