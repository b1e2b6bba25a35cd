"""The Train tab's controls of a translating family (the cycle GAN): λ_cyc, λ_id and the norm of the cycle
term, shown only while such a family is picked (asked of the registry: `family(m).translates`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from normgen.data import dataset_info, first_dataset
from normgen.glossary import explain
from normgen.losses import CYCLE_NORMS
from normgen.models import family, model_label
from normgen.models.config import LAMBDA_CYC_MAX, default_model_config
from normgen.service import inputs as I
from normgen.service.train_plan import finetune_source
from normgen.zoo.views import train_translation as TT

CYCLE_HELP = ("The cycle term λ_cyc (‖F(G(a)) − a‖ + ‖G(F(b)) − b‖) is itself a norm; the weight penalties "
              "(the λ sliders) act on the **generator** (G and F) or the **discriminator** (D_A and D_B).")


@dataclass(frozen=True)
class CycleControls:
    group: gr.Group  # visible only for a translator
    lambda_cyc: gr.Number
    lambda_id: gr.Number
    cycle_norm: gr.Radio

    def inputs(self) -> list[Any]:
        """In the /train parameter order (after `loss`)."""
        return [self.lambda_cyc, self.lambda_id, self.cycle_norm]


def translates(model: Any) -> bool:
    return model in I.TRAIN_MODELS and family(model).translates


def build_cycle_controls(model: str) -> CycleControls:
    """λ_cyc, λ_id (numbers in [0, LAMBDA_CYC_MAX]) and the cycle norm (L1 | squared L2), in a group."""
    d = I.CYCLE_DEFAULTS
    with gr.Group(visible=translates(model), elem_id="train-cycle") as group:
        gr.Markdown(explain(CYCLE_HELP), elem_id="train-cycle-help", padding=True)
        with gr.Row():
            lam_cyc = gr.Number(d["lambda_cyc"], minimum=0, maximum=LAMBDA_CYC_MAX, label="λ_cyc (cycle term)",
                                info=f"0 = off; the zoo: 0, 1, 10; at most {LAMBDA_CYC_MAX:g}",
                                elem_id="train-lambda-cyc", min_width=110)
            lam_id = gr.Number(d["lambda_id"], minimum=0, maximum=LAMBDA_CYC_MAX, label="λ_id (identity term)",
                               info="‖F(a) − a‖ + ‖G(b) − b‖; 0 = off", elem_id="train-lambda-id", min_width=110)
        norm = gr.Radio([(v, k) for k, v in CYCLE_NORMS.items()], value=d["cycle_norm"],
                        label="Norm of the cycle (and identity) term", elem_id="train-cycle-norm")
    return CycleControls(group, lam_cyc, lam_id, norm)


def intro_status(model: Any, root: str | None = None) -> str:
    """Train's status before a run: what Start does with this model's defaults, as the plan will do it
    (fine-tuning where the zoo has its baseline on its first dataset, else from scratch); how long is the
    estimate's to say (measured on this server), not a number written here."""
    fam = family(model)
    dataset = first_dataset(fam.image_channels or 1)
    base = finetune_source(model, dataset, default_model_config(model).g_norm, root)
    how = ("fine-tunes the pretrained baseline" if base is not None
           else "trains from scratch (the zoo has no baseline of it to fine-tune)")
    what = ("with the λ_cyc, λ_id and cycle norm you set; as it trains, rows show a → G(a) → F(G(a)) → truth for "
            f"{TT.ROWS} held-out images, and at the end its scores sit beside the zoo's" if translates(model)
            else "with the λ values you set, the grid updating as it trains")
    return (f"Press **Start training**: the {model_label(model)} {how} on {dataset_info(dataset).label}, {what}. "
            "The estimate below says how long it takes on this server. Stop keeps what the run has.")


def cycle_visibility(model: Any) -> Any:
    """Show the group for a translator, hide it for the others."""
    return gr.update(visible=translates(model))
