"""One glossary: every term has a one-line plain definition, Learn shows the whole glossary, and every glossary
term that a Compare, Train or Learn screen shows in its text carries its definition there (hover / tap)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from normgen.glossary import GLOSSARY, abbr, explain, glossary_markdown, used_terms

ROOT = Path(__file__).resolve().parents[1] / "checkpoints"


def test_each_definition_is_one_plain_line():
    assert {"FD", "‖w‖", "ELBO", "IWAE", "nats", "logit", "seed spread", "seed-to-seed spread", "sampling spread",
            "near-zero weights", "mode collapse", "λ", "held-out"} <= set(GLOSSARY)
    for term, d in GLOSSARY.items():
        assert d and "\n" not in d and len(d) <= 160, term
    assert GLOSSARY["FD"].startswith("Fréchet distance") and "Lower is better" in GLOSSARY["FD"]


def test_explain_marks_the_first_use_outside_math_code_and_links():
    md = "Judge FD, then FD again; $\\lambda$ and `FD` and [FD](?x=FD); λ = 1e-4; λ_cyc; Mode collapse"
    out = explain(md)
    assert out.count("<abbr") == 3  # FD once, λ once (not in math, not λ_cyc), mode collapse once
    assert abbr("FD") in out and "$\\lambda$" in out and "`FD`" in out and "(?x=FD)" in out
    assert 'title="' + html.escape(GLOSSARY["mode collapse"], quote=True) + '">Mode collapse</abbr>' in out
    assert used_terms("the seed-to-seed spread") == ["seed-to-seed spread"]


def _undefined(text: str) -> list[str]:
    """Glossary terms the text shows (tags stripped) without their definition (an abbr's tip, or written out)."""
    shown = re.sub(r"<[^>]+>", " ", text)
    return [t for t in used_terms(shown)  # the glossary itself holds the definitions as plain text
            if f'<abbr title="{html.escape(GLOSSARY[t], quote=True)}"' not in text and GLOSSARY[t] not in text]


def _markdowns(blocks) -> list[tuple[str, str]]:
    import gradio as gr

    return [(b.elem_id or "", b.value) for b in blocks.blocks.values()
            if isinstance(b, gr.Markdown) and isinstance(b.value, str) and b.value]


@pytest.fixture(scope="module")
def screens():
    import gradio as gr

    from normgen.app.tabs.compare import build_compare_tab
    from normgen.app.tabs.learn import build_learn_tab
    from normgen.app.tabs.train import build_train_tab

    out = {}
    for name, build in (("learn", build_learn_tab), ("compare", build_compare_tab), ("train", build_train_tab)):
        with gr.Blocks() as demo:
            build(str(ROOT))
        out[name] = _markdowns(demo)
    return out


@pytest.mark.parametrize("screen", ["learn", "compare", "train"])
def test_every_glossary_term_on_a_screen_has_its_definition(screens, screen):
    bad = {eid or text[:60]: _undefined(text) for eid, text in screens[screen]}
    assert not {k: v for k, v in bad.items() if v}


def test_the_learn_page_holds_the_glossary(screens):
    text = dict(screens["learn"])["learn-glossary"]
    assert text == glossary_markdown() and text.startswith("## Glossary")
    for term, d in GLOSSARY.items():
        assert d in text, term


def test_the_near_copy_definition_states_the_measures_own_quantile():
    """The glossary sits below eval/ (it cannot import NEAR_QUANTILE), so this ties its typed words to it."""
    from normgen.eval.copying import NEARER_THAN, REAL_SHARE

    d = GLOSSARY["near-copies"]
    assert f"than {NEARER_THAN} of new real images" in d and f"Real data: {REAL_SHARE}." in d
