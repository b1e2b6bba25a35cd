"""The Learn page's words, without Gradio: the lessons (each its question and a link that opens it on Explore),
the penalties as formulas, where regularization helps (small data), and what the zoo measured, as blocks of
markdown or rows of pictures. The formulas and units quote the code's own constants (DECAY_SCALE, NEAR_ZERO,
DEAD_FILTER); every measured number is read from the zoo index: the lessons from normgen.zoo.texts.lessons,
the figures with their alt text and captions from normgen.zoo.learn_pictures (the same seed statistics and
verdicts as normgen.zoo.findings and normgen.zoo.small_data, so Compare and the model card show the same
numbers). The prose stays short (`prose_words`, at most about WORDS_MAX words; the full tables are in the model
card). A link to a lesson is the server's to make (normgen.service.links.explore_link): the page takes it as
`link`. The tab that shows it is normgen.app.tabs.learn.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from normgen.data import dataset_info
from normgen.eval.metrics import DEAD_FILTER, NEAR_ZERO
from normgen.models import MODEL_NAMES
from normgen.regularizers import DECAY_SCALE
from normgen.words import fmt_num
from normgen.zoo import agreement, colour, ladder
from normgen.zoo import small_data as SD
from normgen.zoo.findings import pick_dataset
from normgen.zoo.index import INDEX_NAME, SAMPLING_NAME, ZooIndex
from normgen.zoo.judges import EVAL_N
from normgen.zoo.learn_pictures import Picture, all_pictures
from normgen.zoo.texts import coach
from normgen.zoo.texts.lessons import lesson_markdown, lessons
from normgen.zoo.views import translation_view as TV

Link = Callable[[Mapping[str, Any]], str]  # a lesson's Explore state -> its link ("?tab=explore&model=...")
WORDS_MAX = 1000  # the page's prose, formulas and link addresses not counted (`prose_words`)

FORMULAS = rf"""
## The penalties
Training minimises the data loss plus a penalty on one network's weights $w$ (never biases or normalization
scales):

$$\mathcal{{L}}(\theta) = \mathcal{{L}}_{{\text{{data}}}}(\theta) + \lambda_1 \sum_i |w_i| + \lambda_2 \sum_i w_i^2
  + \lambda_g \sum_f \lVert W_f \rVert_2$$

| penalty | term | its gradient | what it does to a weight |
|---|---|---|---|
| **L1** (lasso) | $\lambda_1 \sum_i \lvert w_i \rvert$ | $\lambda_1 \operatorname{{sign}}(w_i)$ \
| the same pull on every weight: small ones go to (near) zero |
| **L2** (ridge, weight decay) | $\lambda_2 \sum_i w_i^2$ | $2\lambda_2 w_i$ \
| a pull proportional to the weight: all shrink, few reach zero |
| **elastic net** | both | both | L1's sparsity with L2's shrinkage |
| **group lasso** | $\lambda_g \sum_f \lVert W_f \rVert_2$ over filters $f$ | $\lambda_g W_f / \lVert W_f \rVert_2$ \
| whole filters go to zero together |
| **clipping** (WGAN critic) | a bound, $\lVert w \rVert_\infty \le c$ | – \
| L∞: each step clamps every D parameter to $[-c, c]$ |
| **cycle term** (cycle GAN) | $\lambda_{{cyc}} \lVert F(G(a)) - a \rVert$, L1 or squared L2 | – \
| a norm of an image's round-trip error, not of weights |

*Proximal L1* soft-thresholds after every Adam step, $w \leftarrow \operatorname{{sign}}(w)\max(|w| - \tau, 0)$ with
$\tau = \eta\lambda_1/(\sqrt{{\hat v}} + \epsilon)$, which sets weights **exactly** to zero. *Decoupled weight decay*
(AdamW) shrinks after the step, $w \leftarrow w - \eta\,({DECAY_SCALE:g}\,\lambda_2)\,w$, outside Adam's scaling.

**Units.** Losses are per-sample means (the VAE's per pixel too). *Near zero*: $|w| < {NEAR_ZERO:g}$;
a *dead* filter: norm below {DEAD_FILTER:g}. **Quality**: the judge FD, between a small classifier's features
of generated and of real test images (lower is better), from {EVAL_N:,} of each (the floor: real vs real).
""".replace("\\\n", "")  # a trailing backslash continues a long table row in the source


@dataclass
class Block:
    """One piece of the page: markdown text, or a row of pictures (with an optional caption)."""

    markdown: str = ""
    pictures: list[Picture] = field(default_factory=list)
    lesson: str = ""  # a lesson's path key (normgen.zoo.texts.coach): the page puts its "open here" button after it


def _small_intro(index: ZooIndex) -> str:
    found = SD.blocks(index)
    if not found:
        return SD.small_data_lines(index, tables=False)[0]  # how to build it
    sizes = " or ".join(f"{n:,}" for n in sorted({b.train_size for b in found}))
    seeds = sorted({len(b.baseline.seeds) for b in found if b.baseline})
    return (f"The sources say a norm penalty prevents overfitting. Here the models train on {sizes} images "
            f"({' or '.join(map(str, seeds))} seeds a setting). Only a difference beyond the seed spread counts.")


def _contrast(index: ZooIndex) -> list[str]:
    """Per family with a small block: its gap on all training images against the small blocks'."""
    found = SD.blocks(index)
    out = []
    for model in MODEL_NAMES:
        for ds in sorted({b.dataset for b in found if b.model == model}):
            small = [b for b in found if b.model == model and b.dataset == ds]
            out.append(SD.full_data_lines(index, model, ds, small)[0])
    return out


LESSONS_INTRO = ("## Lessons\nEach lesson opens on **Explore**, in place: it sets the sliders, asks you to predict "
                 "what happens, then shows what the zoo measured and whether you were right.")


def lesson_blocks(index: ZooIndex, dataset: str | None, link: Link, base: str = "") -> list[Block]:
    """The lessons: one block each with its question (the answer is kept for Explore, after the guess) and a
    link that opens it (`link` makes it from the lesson's Explore state, `base` prefixes it); a lesson the zoo
    cannot back says what it lacks."""
    if dataset is None:
        return [Block(LESSONS_INTRO)]
    asks = {p.key: p for p in coach.lesson_paths(index, dataset)}
    out = [Block(LESSONS_INTRO)]
    for i, les in enumerate(lessons(index, dataset), 1):
        path = asks.get(les.key)
        if path is None or path.question is None:
            out.append(Block(f"{i}. {lesson_markdown(les, base + link(les.state) if les.state else '')}"))
            continue
        url = f"{base}{link(les.state)}&{coach.fragment(coach.CoachState(path=les.key))}"
        title = les.title if les.title.endswith(("?", ".")) else f"{les.title}."
        out.append(Block(f"{i}. **{title}** {path.question.ask} [Link to this lesson →]({url})",
                         lesson=les.key))
    return out


def learn_page(index: ZooIndex, dataset: str | None = None, base: str = "", *, link: Link) -> list[Block]:
    """The Learn page: lessons, formulas, where regularization helps (small data), what the zoo
    measured on `dataset` (default: the grid's first dataset in the zoo); `link` makes a lesson's link from its
    Explore state, `base` prefixes it (an empty base keeps them relative to this page)."""
    blocks = [Block("# Regularization, in pictures and in numbers")]
    dataset = dataset or pick_dataset(index)
    blocks += lesson_blocks(index, dataset, link, base)
    blocks.append(Block(FORMULAS))
    pics = all_pictures(index, dataset) if dataset else {}
    blocks.append(Block(f"## {SD.TITLE}\n{_small_intro(index)}"))
    small = pics.get("small", [])
    for group in dict.fromkeys(p.group for p in small):
        blocks.append(Block(f"### {group}", [p for p in small if p.group == group]))
    contrast = _contrast(index)
    if contrast:
        blocks.append(Block("**Against all training images.** " + " ".join(contrast)))
    if line := agreement.learn_line(index):  # issue 25: two judges, and how many seeds a verdict saw
        blocks.append(Block(f"**Two judges, and seeds.** {line}"))
    missing = SD.missing_blocks(index)
    if missing and SD.blocks(index):
        blocks.append(Block(f"Not built yet: {'; '.join(missing)}. Build them with `{SD.build_command()}`."))
    if dataset is None:
        blocks.append(Block("## What this zoo measured\nThe zoo is empty, so there are no measurements to show yet. "
                            "Build it with `python -m normgen zoo build`."))
        return blocks
    floor = index.floors.get(dataset, {}).get("fd")
    blocks.append(Block(f"## What this zoo measured: {dataset_info(dataset).label}\n"
                        "All training images; a cross marks mode collapse. "
                        + (f"FD floor (real vs real): {fmt_num(floor)}." if isinstance(floor, int | float)
                           else "")))
    pens = pics.get("penalties", [])
    blocks += [Block(pictures=pens[i:i + 2]) for i in range(0, len(pens), 2)]
    rest = pics.get("batchnorm", []) + pics.get("variants", [])
    blocks += [Block(pictures=rest[i:i + 2]) for i in range(0, len(rest), 2)]
    if line := TV.learn_line(index, dataset):  # the cycle term (issue 16): what its norm and λ_cyc did
        blocks.append(Block(f"**The cycle term**, {line} [Translate →](?tab=translate)"))
    # the colour block under a heading of its own, after this dataset's section: under the section's heading it
    # read as that dataset's (a CIFAR-10 ladder under "MNIST digits", the MNIST plots under the ladder's heading)
    if ladder_text := ladder.paragraph(index):  # the colour block's Lipschitz ladder (issue 24): a paragraph, a plot
        pic = ladder.picture(index)
        blocks.append(Block(f"## {ladder.title()}\n{ladder_text} [Explore →]({ladder.EXPLORE})",
                            [pic] if pic else []))
    elif lines := [line for d in sorted({e.dataset for e in index.entries}) if (line := colour.summary(index, d))]:
        blocks.append(Block("## Colour\n" + " ".join(lines)))  # the colour block (issue 15), one sentence each
    return blocks


def learn_markdown(index: ZooIndex, dataset: str | None = None, *, link: Link) -> str:
    """The page's text: every markdown block and every picture's caption, in order."""
    parts = []
    for b in learn_page(index, dataset, link=link):
        if b.markdown:
            parts.append(b.markdown)
        parts += [p.caption for p in b.pictures if p.caption]
    return "\n\n".join(parts)


def prose_words(markdown: str) -> int:
    """Words of prose in `markdown`: math ($...$, $$...$$), link addresses, code and table rules left out."""
    t = re.sub(r"\$\$.*?\$\$", " ", markdown, flags=re.S)
    t = re.sub(r"\$[^$]*\$", " ", t)
    t = re.sub(r"\]\([^)]*\)", "]", t)
    t = re.sub(r"`[^`]*`", " ", t)
    t = re.sub(r"\|?-{3,}\|?", " ", t)
    return len([w for w in re.split(r"[\s|]+", t) if re.search(r"\w", w)])


def zoo_digest(index: ZooIndex) -> str:
    """A digest of the files every measured number on the page comes from (the index and its noise-draw
    records): the same digest, the same pictures. "" when the zoo has no index file."""
    h = hashlib.sha256()
    found = False
    for name in (INDEX_NAME, SAMPLING_NAME):
        f = Path(index.root) / name
        if f.is_file():
            h.update(name.encode() + b"\0" + f.read_bytes())
            found = True
    return h.hexdigest() if found else ""


__all__ = ["Block", "FORMULAS", "WORDS_MAX", "learn_page", "learn_markdown", "lesson_blocks", "prose_words",
           "zoo_digest"]
