"""The colour block's FD-vs-steps curve (`ROOT/colour_steps.json`, written by scripts/colour_steps_curve.py):
how many steps a colour GAN needs from scratch before it draws anything, read against the judge's ruler in the
index (issue 24: a 60-second run from scratch showed grey noise, and the screen did not say why).

"Draws anything" is measured, not guessed: the first step at which the curve's FD falls below the ruler's
"real as 8×8 colour blocks" rung, i.e. scores better than real photos reduced to their colour layout alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from normgen.eval.ruler import rung_label
from normgen.zoo.index import ZooIndex

CURVE_NAME = "colour_steps.json"
RUNG = "blocks8"  # the ruler's rung a sample must beat to count as drawing something (colour layout alone)


@dataclass(frozen=True)
class FirstPicture:
    step: int  # the first measured step below the rung
    fd: float  # the curve's FD there
    rung: str  # the rung's words
    rung_fd: float
    ch: int  # the width measured
    earlier: tuple[tuple[int, float], ...]  # (step, FD) of the measured steps before it
    noise_fd: float | None = None  # the ruler's uniform-noise rung


RECIPE_DROPOUT = 0.3  # the zoo's colour recipe: the sources' dropout 0.3 in D (a row without one is this)


def load_curve(root: str | Path) -> list[dict]:
    """The curve's rows ({"ch", "dropout", "step", "fd"}), [] without the file; a malformed file raises
    ValueError."""
    f = Path(root) / CURVE_NAME
    if not f.is_file():
        return []
    try:
        rows = json.loads(f.read_text())["rows"]
        return [{"ch": int(r["ch"]), "dropout": float(r.get("dropout", RECIPE_DROPOUT)), "step": int(r["step"]),
                 "fd": float(r["fd"])} for r in rows]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{f.name} is malformed: {exc}") from None


def first_picture(index: ZooIndex, dataset: str = "cifar10", ch: int = 16,
                  dropout: float = RECIPE_DROPOUT) -> FirstPicture | None:
    """The first step of the width-`ch`, D-dropout-`dropout` curve whose FD is below the ruler's colour-blocks
    rung, or None (no curve, no ruler, or the curve never gets there)."""
    rung_fd = index.floors.get(dataset, {}).get("ruler", {}).get(RUNG)
    rows = sorted((r for r in load_curve(index.root) if r["ch"] == ch and r["dropout"] == dropout),
                  key=lambda r: r["step"])
    if rung_fd is None or not rows:
        return None
    for i, r in enumerate(rows):
        if r["fd"] < rung_fd:
            noise = index.floors[dataset]["ruler"].get("uniform")
            return FirstPicture(r["step"], r["fd"], rung_label(RUNG), float(rung_fd), ch,
                                tuple((p["step"], p["fd"]) for p in rows[:i]), noise)
    return None


def scratch_words(fp: FirstPicture, steps: int, s_per_step: float | None) -> str:
    """What a from-scratch colour run of `steps` steps can show, from the curve (and the measured speed)."""
    at = f"; about {fp.step * s_per_step / 60:.0f} min at this server's measured speed" if s_per_step else ""
    first = fp.earlier[0] if fp.earlier else None
    noise = f" ({rung_label('uniform')}: {fp.noise_fd:.1f})" if fp.noise_fd is not None else ""
    before = f"; at {first[0]:,} steps it scored {first[1]:.1f}{noise}" if first else ""
    verdict = ("expect colour noise, not pictures" if steps < fp.step else "long enough to start drawing")
    return (f"From scratch, a colour GAN draws nothing for a long time: on the zoo's FD-vs-steps curve (width "
            f"{fp.ch}) its FD first beats the ruler's \"{fp.rung}\" rung ({fp.rung_fd:.1f}) at {fp.step:,} steps "
            f"(FD {fp.fd:.1f}{at}){before}. This run has {steps:,} steps: {verdict}. Fine-tuning the zoo "
            "baseline shows a penalty's effect within seconds.")


def scratch_note(index: ZooIndex, dataset: str, steps: int, s_per_step: float | None) -> str:
    """`scratch_words` as a paragraph to append ("\n\n..."), "" without a curve (or with a malformed one)."""
    try:
        fp = first_picture(index, dataset)
    except ValueError:  # a malformed curve file: no note rather than no estimate
        return ""
    return "\n\n" + scratch_words(fp, steps, s_per_step) if fp is not None else ""
