"""The Translate tab: the zoo's cycle GAN (MNIST thin ↔ bold), as rows a | G(a) | F(G(a)) | ground truth for
the baseline beside a chosen setting, from the same inputs; the scores of every setting (the λ_cyc sweep,
the cycle norm, the weight penalties on G and F); and what they measured, in sentences written from the
index (normgen.zoo.views.translation_view).

Plain functions first, then `build_translate_tab(root)` (layout with named widgets, then its wiring).

Shareable state: the hidden textbox `TranslateTab.query` holds the tab's link fragment
(`translate_setting=<entry id>&translate_seed=3`, normgen.service.links); on page load
`make_load_fn(root, data_root)(q)` restores the setting and the inputs' seed from the parsed query.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from normgen.app.events import refusing
from normgen.app.replies import in_order
from normgen.engine.sampling import ROW_LABELS
from normgen.service import links
from normgen.service.inputs import SEED_MAX, InputError
from normgen.service.requests import TranslateQuery
from normgen.service.zoo_access import get_index
from normgen.zoo.index import Entry
from normgen.zoo.spec import CYCLE_PRIORITY, CYCLE_STEPS
from normgen.zoo.views import translation_view as TV

INTRO = (
    "### Unpaired translation: the cycle GAN, where the cycle loss is itself a norm\n"
    "Two generators, **G**: thin → bold and **F**: bold → thin, learn from thin digits and *other* bold digits "
    "(never a pair). Each fools its discriminator; the **cycle term** "
    "$\\lambda_{cyc}\\,(\\lVert F(G(a)) - a\\rVert + \\lVert G(F(b)) - b\\rVert)$ asks that translating there "
    "and back returns the input. Its norm is a choice: **L1**, mean $|x̂ - x|$ (the paper's), or "
    "**squared L2**, mean $(x̂ - x)^2$. Each row below: the input a, G(a), F(G(a)) and the ground truth "
    "(a dilated by 3×3), scored on held-out digits."
)
EMPTY = ("This zoo has no cycle GAN. Train one: `python -m normgen train --model cyclegan --dataset mnist "
         f"--steps {CYCLE_STEPS}`, or build the zoo's block: `python -m normgen zoo build --priority {CYCLE_PRIORITY} "
         "--only cyclegan`.")
COLUMNS_NOTE = " | ".join(ROW_LABELS)
ROWS = 4  # inputs per picture
SHOWN = ("left", "right", "caption")  # a view's reply, by name (normgen.app.replies)
LOAD = ("setting", "seed", *SHOWN, "query")  # the page load's reply


def choices(root: str | Path | None) -> list[tuple[str, str]]:
    """(label, entry id) of every translator in the zoo, the baseline first."""
    return [(TV.setting_label(e), e.id) for e in TV.translators(get_index(root))]


def default_setting(entries: list[Entry]) -> str:
    """The setting shown first: λ_cyc = 0 (what the cycle term does, by its absence), else the first non-baseline."""
    zero = [e for e in entries if TV.lam_cyc(e) == 0]
    rest = [e for e in entries if not e.is_baseline]
    return (zero or rest or entries)[0].id


def view(root: str | Path | None, q: TranslateQuery) -> dict[str, Any]:
    """SHOWN by name (baseline rows, selected rows, caption) for the chosen entry and input seed; a setting the zoo
    lacks raises InputError."""
    index = get_index(root)
    es = TV.translators(index)
    if not es:
        return {"left": None, "right": None, "caption": EMPTY}
    s = q.seed
    chosen = next((e for e in es if e.id == q.setting), None)
    if q.setting and chosen is None:
        raise InputError(f"setting must be one of the zoo's cycle GAN entries; got {q.setting!r}")
    chosen = chosen or es[0]
    base = es[0]
    kept = TV.kept_inputs(chosen, index.root)
    caption = (f"Left: **{TV.setting_label(base)}**; right: **{TV.setting_label(chosen)}**; the same {ROWS} "
               f"inputs (seed {s}, from the {kept} thin training digits its checkpoint keeps). Columns: "
               f"{COLUMNS_NOTE}.")
    return {"left": TV.rows_picture(base, index.root, ROWS, s), "right": TV.rows_picture(chosen, index.root, ROWS, s),
            "caption": caption}


def query_fragment(entry_id: str | None, seed: Any) -> str:
    """The tab's link fragment ('translate_setting=...&translate_seed=3'); "" for nothing chosen."""
    try:
        state = TranslateQuery.parse(entry_id, seed).link_state()
    except InputError:
        state = {"setting": entry_id}
    return links.fragment(links.PREFIXES["translate"], state)


@dataclass(frozen=True)
class TranslateTab:
    """The Translate tab's widgets by name (all None when the zoo has no cycle GAN)."""

    setting: Any = None
    seed: Any = None
    left: Any = None
    right: Any = None
    caption: Any = None
    query: Any = None  # the link fragment (hidden; read by the app's address-bar glue)

    def load_outputs(self) -> list[Any]:
        """What `make_load_fn`'s function returns, in its order (nothing for a zoo without a cycle GAN)."""
        return [] if self.setting is None else [getattr(self, n) for n in LOAD]


def make_load_fn(root: str | Path | None = None, data_root: str | None = None
                 ) -> Callable[[Mapping[str, Any]], tuple]:
    """Page load: `fn(q)` with the parsed page query returns the updates of `TranslateTab.load_outputs()`;
    without any `translate_` key, or with a setting the zoo lacks, it changes nothing. `data_root` is unused
    (every tab's loader takes the same arguments)."""

    def load(q: Mapping[str, Any]) -> tuple:
        import gradio as gr

        t = links.part(q, "translate")
        try:
            es = TV.translators(get_index(root))
        except ValueError:
            es = []
        if not es:
            return ()
        skip = in_order(dict.fromkeys(LOAD, gr.skip()), LOAD)
        ids = {e.id for e in es}
        entry_id = t.get("setting") if t.get("setting") in ids else None
        if entry_id is None and "seed" not in t:
            return skip
        entry_id = entry_id or default_setting(es)
        seed = t.get("seed", 0)
        try:
            shown = view(root, TranslateQuery(entry_id, seed))
        except InputError:
            return skip
        return in_order({"setting": entry_id, "seed": seed, **shown, "query": query_fragment(entry_id, seed)}, LOAD)

    return load


def build_translate_tab(root: str | Path | None = None) -> TranslateTab:
    """Open a `Translate` tab (id "translate") in the current Blocks; returns its widgets by name."""
    import gradio as gr

    index = get_index(root)
    es = TV.translators(index)
    opts = choices(root)
    with gr.Tab("Translate", id="translate", elem_id="tab-translate"):
        gr.Markdown(INTRO, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        if not es:
            gr.Markdown(EMPTY)
            return TranslateTab()
        with gr.Row():
            setting = gr.Dropdown(opts, value=default_setting(es), label="Setting (right)",
                                  elem_id="translate-setting")
            seed = gr.Number(0, precision=0, minimum=0, maximum=SEED_MAX, label="Inputs (seed)",
                             elem_id="translate-seed")
        first = view(root, TranslateQuery(setting.value))
        with gr.Row():
            with gr.Column():
                gr.Markdown(f"**Baseline** — {COLUMNS_NOTE}")
                left = gr.Image(first["left"], show_label=False, type="pil", interactive=False,
                                elem_id="translate-base")
            with gr.Column():
                gr.Markdown(f"**Selected** — {COLUMNS_NOTE}")
                right = gr.Image(first["right"], show_label=False, type="pil", interactive=False,
                                 elem_id="translate-selected")
        caption = gr.Markdown(first["caption"], elem_id="translate-caption")
        gr.Markdown(f"#### Every setting, scored on {TV.scored_on(es)} (the λ_cyc sweep included)")
        gr.Dataframe(TV.score_table(es), headers=TV.headers(), interactive=False, elem_id="translate-scores",
                     wrap=True)  # a setting's long name wraps (cut short on a phone otherwise)
        text = TV.findings(index)
        if text:
            gr.Markdown("#### What it measured\n" + text, elem_id="translate-findings")
        # the tab's link fragment; "" = the defaults above (a visitor who never touched Translate)
        query = gr.Textbox("", elem_id="translate-query", elem_classes=["query-state"], show_label=False,
                           container=False, interactive=False)

        def show(entry_id: str | None, seed: Any):
            with refusing(InputError):
                return in_order(view(root, TranslateQuery.parse(entry_id, seed)), SHOWN)

        for ev in (setting.change, seed.change):
            ev(show, [setting, seed], [left, right, caption], api_visibility="private", show_progress="hidden")
        # only a visitor's own choice goes into the link (`.input`; a restored link sets the box itself)
        gr.on([setting.input, seed.input], query_fragment, [setting, seed], query, api_visibility="private",
              show_progress="hidden", trigger_mode="always_last")
    return TranslateTab(setting, seed, left, right, caption, query)
