"""Train's before / after: the zoo's unregularized baseline of the same model and dataset, sampled from the
same noise as the live grid (the run's seed), shown beside it during and after a run.

`baseline_view` is plain (no gradio); `build_baseline_view` lays out the picture and its caption,
`wire_baseline` draws them when Start is pressed (beside the run's own event, so /train's outputs stay as
they are) and when the model, dataset or seed changes before a run.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from normgen.app.replies import in_order
from normgen.config import TrainConfig
from normgen.data import dataset_info
from normgen.engine.sampling import sample
from normgen.glossary import explain
from normgen.models import family
from normgen.render.grids import GRID_SCALE, grid_image
from normgen.service import inputs as I
from normgen.service.zoo_access import get_index
from normgen.zoo.files import load_entry
from normgen.zoo.readings import images_words

N_SAMPLES = TrainConfig.__dataclass_fields__["n_samples"].default  # the live grid's size (plan_run's too)
SHOWN = ("baseline_caption", "baseline")  # the view's reply, by name (TrainTab's attribute names)
NONE_NOTE = "The zoo has no λ = 0 baseline of this model on this dataset to show beside your run."


def baseline_view(root: Any, model: Any, dataset: Any, g_norm: Any, seed: Any, train_size: Any = 0
                  ) -> tuple[Image.Image | None, str]:
    """(the zoo baseline's grid from the run's noise seed, its caption); (None, why) where there is none to
    show (a translator's rows have their own comparison; a bad value is named by Start, not here)."""
    try:
        model, dataset = I.check_train_model(model), I.check_dataset(dataset)
        seed, size = I.parse_seed(seed if seed is not None else 0), I.parse_train_size(train_size or 0)
    except I.InputError:
        return None, ""
    fam = family(model)
    if fam.translates:
        return None, ""
    index = get_index(root)
    e = index.baseline(model, dataset, g_norm or None, train_size=size) or index.baseline(model, dataset)
    if e is None:
        return None, explain(NONE_NOTE)
    m = load_entry(e, index.root).model
    n = N_SAMPLES
    x = sample(m, n, seed)
    grid = grid_image(x, nrow=fam.grid_columns(n, dataset_info(dataset).num_classes), scale=GRID_SCALE)
    size_words = f", {images_words(e.train_size)}" if e.train_size else ""
    # short: it sits above a grid beside "After: your run", and both grids start at the same height
    return grid, explain(f"**Before:** the zoo's λ = 0 ({e.steps} steps{size_words}), same noise (seed {seed})")


def build_baseline_view(first: tuple[Image.Image | None, str] = (None, "")) -> tuple[Any, Any]:
    """The baseline's caption and picture (in the current layout; `first`: baseline_view of the defaults);
    the picture is hidden while there is none to show."""
    import gradio as gr

    caption = gr.Markdown(first[1], elem_id="train-baseline-caption",
                          elem_classes=["caption", "grid-caption"])
    picture = gr.Image(first[0], show_label=False, type="pil", format="png", interactive=False,
                       elem_id="train-baseline", buttons=["fullscreen"], visible=first[0] is not None)
    return caption, picture


def wire_baseline(tab: Any, root: Any = None) -> None:
    """Draw the baseline when Start is pressed, and when the model, dataset, normalization, size or seed changes."""
    import gradio as gr

    def show(model, dataset, g_norm, seed, train_size):
        grid, caption = baseline_view(root, model, dataset, g_norm, seed, train_size)
        return in_order({"baseline_caption": caption, "baseline": gr.update(value=grid, visible=grid is not None)},
                        SHOWN)

    ins = [tab.model, tab.dataset, tab.g_norm, tab.seed, tab.train_size]
    outs = [getattr(tab, n) for n in SHOWN]
    triggers = [tab.go.click, *(c.change for c in ins)]
    gr.on(triggers, show, ins, outs, api_visibility="private", show_progress="hidden", trigger_mode="always_last",
          concurrency_limit=1, concurrency_id="train-baseline")
