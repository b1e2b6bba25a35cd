"""The Learn tab: the penalties as formulas, the units of lambda, and what the zoo measured.

The formulas and units quote the code's own constants (DECAY_SCALE, NEAR_ZERO, DEAD_FILTER); every
measured number is read from the zoo index when the page is built (normgen.zoo.small_data for the
small training sets, normgen.zoo.findings for the rest), never typed in; the same numbers are on the
Compare tab and in the model card.
Gradio is imported only inside `build_learn_tab`, so the text can be tested without it.
"""

from __future__ import annotations

from pathlib import Path

from normgen.eval.metrics import DEAD_FILTER, NEAR_ZERO
from normgen.regularizers import DECAY_SCALE
from normgen.service.inputs import get_index
from normgen.zoo.build import EVAL_N
from normgen.zoo.findings import measured_markdown, zoo_datasets
from normgen.zoo.index import ZooIndex
from normgen.zoo.small_data import small_data_markdown

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
PIXELS = 28 * 28

FORMULAS = rf"""
## The penalties
Training minimises the data loss plus a penalty on the weights $w$ of the chosen network
(convolution, linear and embedding weights; never biases or normalization scales):

$$\mathcal{{L}}(\theta) = \mathcal{{L}}_{{\text{{data}}}}(\theta) + \lambda_1 \sum_i |w_i| + \lambda_2 \sum_i w_i^2
  + \lambda_g \sum_f \lVert W_f \rVert_2$$

| penalty | term | its gradient | what it does to a weight |
|---|---|---|---|
| **L1** (lasso; Tibshirani 1996) | $\lambda_1 \sum_i \lvert w_i \rvert$ | $\lambda_1 \operatorname{{sign}}(w_i)$ \
| the same pull for every weight, however small: small weights are pushed to (near) zero |
| **L2** (ridge, weight decay) | $\lambda_2 \sum_i w_i^2$ | $2\lambda_2 w_i$ \
| a pull proportional to the weight: all shrink, big ones most, few reach zero |
| **elastic net** (Zou & Hastie 2005) | both | both | sparsity of L1 with the shrinkage of L2 |
| **group lasso** (Yuan & Lin 2006) | $\lambda_g \sum_f \lVert W_f \rVert_2$ over output filters $f$ \
| $\lambda_g W_f / \lVert W_f \rVert_2$ | whole filters go to zero together ("dead filters") |

**Update variants.** *Proximal L1* replaces the L1 gradient by a soft-threshold after every Adam step,
$w \leftarrow \operatorname{{sign}}(w)\max(|w| - \tau, 0)$ with $\tau = \eta\lambda_1/(\sqrt{{\hat v}} + \epsilon)$
(Adam's own step size per weight), which sets weights **exactly** to zero. *Decoupled weight decay*
(AdamW; Loshchilov & Hutter 2019) shrinks after the step, $w \leftarrow w - \eta\,({DECAY_SCALE:g}\,\lambda_2)\,w$,
outside Adam's $1/\sqrt{{\hat v}}$ scaling.

## What one λ means
- **GANs:** the penalty is added to the mean per-sample loss of the network it targets.
- **VAE:** the negative ELBO is divided by the {PIXELS} pixels of an image (nats per pixel), an average like
  the GAN's mean loss. Summed over the pixels instead, the data loss would be {PIXELS}x larger and the same λ
  {PIXELS}x weaker against it.
- **Proximal L1** uses Adam's per-weight step size in its threshold: per step it moves a weight at most as
  far as the loss-form gradient $\lambda_1 \operatorname{{sign}}(w)$ alone would under Adam. Whether the
  two forms then have the same effect at one λ is measured below, not assumed.
- **Decoupled decay** multiplies λ by {DECAY_SCALE:g} because AdamW's decay bypasses Adam's $1/\sqrt{{\hat v}}$
  scaling: the two forms shrink a weight equally fast where Adam's $\sqrt{{\hat v}} = 2/{DECAY_SCALE:g}$.
  Real gradients differ from weight to weight, so compare the measured effects below.
- **How sparsity is counted:** a weight is *near zero* when $|w| < {NEAR_ZERO:g}$; a filter is *dead* when
  its norm is below {DEAD_FILTER:g}. Weight statistics are computed from the float32 weights.
- **Quality** is the judge FD: the Fréchet distance between a small classifier's features of generated and
  real test images (lower is better; "floor" = real training images vs real test images). Every FD here
  uses {EVAL_N:,} generated images, and the floor as many real ones. The floor is mostly sampling noise, so
  it shrinks as that count grows while a model's FD does not: a ratio "FD / floor" means something only
  at a stated sample count.

## What to look for in the grids
All grids of one seed use the **same noise**: cell *k* of every grid starts from the same $z$, so any change
between two grids is the penalty's doing. Look for: digits that survive while the weight histogram piles up
at zero (L1), strokes that get thinner and fainter (large L2), and every cell turning into the same glyph
(collapse; the class histogram shows one tall bar).
""".replace("\\\n", "")  # a trailing backslash continues a long table row in the source


def learn_markdown(index: ZooIndex, dataset: str | None = None) -> str:
    """The whole Learn page: formulas and units (from the code's constants), where regularization
    helps (the small-data block, or how to build it), then the measurements of `dataset`, or of every
    dataset in the zoo (MNIST first) when it is None."""
    datasets = [dataset] if dataset else zoo_datasets(index) or [None]
    measured = "\n\n".join(measured_markdown(index, d) for d in datasets)
    return ("# Regularization, in formulas and in numbers\n" + FORMULAS + "\n" + small_data_markdown(index)
            + "\n\n" + measured)


def build_learn_tab(root: str | Path | None = None) -> None:
    """Open a `Learn` tab (id "learn") in the current Blocks; its text is built from the zoo now."""
    import gradio as gr

    try:
        text = learn_markdown(get_index(root))
    except ValueError as exc:  # a malformed index: explain, don't crash the app
        text = learn_markdown(ZooIndex(root=Path(".")), None) + f"\n\n**The zoo index could not be read:** {exc}"
    with gr.Tab("Learn", id="learn", elem_id="tab-learn"):
        gr.Markdown(text, latex_delimiters=LATEX, elem_id="learn-md")

