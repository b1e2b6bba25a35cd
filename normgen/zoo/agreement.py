"""Two checks on the zoo's verdicts (issue 25): do two judges rank the zoo alike, and how many training
seeds does each baseline have?

- `judge_agreement`: per family (model, dataset, training-set size), the Spearman rank correlation between
  the FD of every entry under the dataset's judge and under its second judge (another architecture and seed,
  ROOT/judges/DATASET-2.safetensors; normgen.zoo.rescore). 1 = the same order. A verdict on FD is called an
  effect only where both judges call it one (normgen.zoo.verdicts).
- `baseline_seeds`: every baseline setting (no penalty) a verdict is judged against, with its seed count;
  fewer than MIN_SEEDS seeds under-state the spread (two seeds of the Fashion GAN baseline sat 0.1 apart
  under the second judge while another setting differed by 3).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from normgen.checkpoints import CheckpointError
from normgen.data import dataset_info
from normgen.eval.judge import load_judge_file
from normgen.models import family
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.readings import images_words, metric

SECOND_JUDGE = "judges/{dataset}-2.safetensors"  # the second judge of a dataset, beside the first
MIN_SEEDS = 3  # the seeds a baseline needs before its spread is taken as more than a lower bound


def ranks(vals: list[float]) -> list[float]:
    """1-based ranks, ties sharing their mean rank."""
    order = sorted(range(len(vals)), key=lambda i: vals[i])
    out = [0.0] * len(vals)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and vals[order[j + 1]] == vals[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(a: list[float], b: list[float]) -> float:
    """Spearman's rank correlation of two equally long lists (the Pearson correlation of their ranks)."""
    if len(a) != len(b) or len(a) < 3:
        raise ValueError(f"spearman needs two lists of the same length >= 3, got {len(a)} and {len(b)}")
    ra, rb = ranks(a), ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    va, vb = sum((x - ma) ** 2 for x in ra), sum((y - mb) ** 2 for y in rb)
    return cov / (va * vb) ** 0.5 if va > 0 and vb > 0 else float("nan")


@dataclass(frozen=True)
class Agreement:
    model: str
    dataset: str
    train_size: int
    entries: int  # scored by both judges
    rho: float  # Spearman rank correlation of FD under the two judges

    def label(self) -> str:
        size = f", {images_words(self.train_size)}" if self.train_size else ""
        return f"{family(self.model).label} on {dataset_info(self.dataset).label}{size}"


def judge_agreement(index: ZooIndex) -> list[Agreement]:
    """One row per family with at least 3 entries scored by both judges, in index order."""
    groups: dict[tuple[str, str, int], list[Entry]] = defaultdict(list)
    for e in index.entries:
        if metric(e, "fd") is not None and metric(e, "fd2") is not None:
            groups[(e.model, e.dataset, e.train_size)].append(e)
    return [Agreement(m, d, n, len(es), spearman([metric(e, "fd") for e in es], [metric(e, "fd2") for e in es]))
            for (m, d, n), es in groups.items() if len(es) >= 3]  # type: ignore[misc]


@dataclass(frozen=True)
class BaselineSeeds:
    model: str
    dataset: str
    train_size: int
    g_norm: str
    setting: tuple[str, str, str]
    seeds: tuple[int, ...]
    leaned_on: bool = True  # a verdict is judged against it (an entry of its recipe with a penalty exists)

    def label(self) -> str:
        size = f", {images_words(self.train_size)}" if self.train_size else ""
        norm = f", {self.g_norm} norm" if self.g_norm != "none" else ""
        loss, lip, layers = self.setting
        loss = (("" if loss == "ns" else f", loss {loss}") + ("" if lip == "none" else f", Lipschitz {lip}")
                + ("" if layers == "all" else f", layers {layers}"))
        return f"{family(self.model).label} on {dataset_info(self.dataset).label}{size}{norm}{loss}"


def baseline_seeds(index: ZooIndex) -> list[BaselineSeeds]:
    """Every baseline setting with its training seeds (a subset's seeds never pooled with the full data's), and
    whether a verdict leans on it: another loss trained without a penalty (a Lipschitz-ladder rung) is a
    "baseline" of its own recipe that no entry is judged against; it is itself judged, as a point, against the
    non-saturating baseline."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    points: set[tuple] = set()
    for e in index.entries:
        if family(e.model).translates:
            continue
        key = (e.model, e.dataset, e.train_size, e.g_norm, e.d_norm, e.steps, e.setting)
        if e.is_baseline:
            groups[key].append(e.seed)
        else:
            points.add(key)
    return [BaselineSeeds(m, d, n, g, s, tuple(sorted(seeds)), (m, d, n, g, dn, st, s) in points)
            for (m, d, n, g, dn, st, s), seeds in groups.items()]


def thin_baselines(index: ZooIndex) -> list[BaselineSeeds]:
    """The baselines a verdict leans on with fewer than MIN_SEEDS seeds."""
    return [b for b in baseline_seeds(index) if b.leaned_on and len(b.seeds) < MIN_SEEDS]


def agreement_markdown(index: ZooIndex) -> str:
    """A table of the two judges' rank agreement and a list of the baselines with fewer than 3 seeds."""
    rows = judge_agreement(index)
    out = []
    if rows:
        out += ["| family | entries scored by both judges | Spearman rank agreement of FD |", "|---|---:|---:|"]
        out += [f"| {a.label()} | {a.entries} | {a.rho:.3f} |" for a in rows]
    else:
        out.append("_No entry has been scored by a second judge yet (`python -m normgen zoo rescore`)._")
    thin = thin_baselines(index)
    out += ["", f"Baselines that verdicts are judged against with fewer than {MIN_SEEDS} training seeds (their "
            "spread is a lower bound; every verdict names the seeds it saw):", ""]
    out += [f"- {b.label()}: {len(b.seeds)} seed{'s' if len(b.seeds) != 1 else ''} ({', '.join(map(str, b.seeds))})"
            for b in thin] or [f"- none: every baseline a verdict leans on has {MIN_SEEDS} seeds or more"]
    points = [b for b in baseline_seeds(index) if not b.leaned_on]
    if points:
        out += ["", "Recipes trained without a penalty that no verdict is judged against (each is itself a point, "
                "judged against its model's non-saturating baseline; the verdict names its seeds):", ""]
        out += [f"- {b.label()}: {len(b.seeds)} seed{'s' if len(b.seeds) != 1 else ''}" for b in points]
    return "\n".join(out)


def learn_line(index: ZooIndex) -> str:
    """A few words for Learn (its prose is kept short): how alike the two judges rank the zoo, and how many
    baselines have fewer than MIN_SEEDS seeds (the card lists them)."""
    rows = judge_agreement(index)
    s = ""
    if rows:
        lo, hi = min(a.rho for a in rows), max(a.rho for a in rows)
        s = f"A second judge ranks FDs alike (Spearman {lo:.2f}–{hi:.2f}); an FD effect needs both. "
    thin = thin_baselines(index)
    if thin:
        s += f"{len(thin)} baselines have under {MIN_SEEDS} seeds (model card)."
    return s.strip()


def second_judges_table(root: Path, datasets: list[str]) -> str:
    """dataset | architecture | seed | test accuracy | size, for each second judge file found ('' if none)."""
    rows = []
    for d in datasets:
        p = root / SECOND_JUDGE.format(dataset=d)
        try:
            meta = load_judge_file(p).meta if p.is_file() else None  # type: ignore[attr-defined]
        except CheckpointError:
            meta = None
        if meta:
            cfg = meta.get("config", {})
            rows.append([dataset_info(d).label, f"{cfg.get('arch', 'plain')}, ch {cfg.get('ch')}",
                         meta.get("seed", "-"), meta.get("test_acc"), f"{p.stat().st_size / 1024:.0f} KiB"])
    return _md_table(["dataset", "architecture", "seed", "test acc %", "size"], rows) if rows else ""


def _md_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join("-" if c is None else str(c) for c in r) + " |" for r in rows])
