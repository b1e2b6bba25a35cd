"""The one glossary: every metric or word of the trade the app shows, with a one-line plain definition a
first-year student can follow.

`GLOSSARY` is the single home of the definitions; `explain(markdown)` marks the first time each term
appears in a screen's text with `<abbr title="definition">` (a hover tip with a mouse, a tap on a phone),
and `glossary_markdown()` is Learn's Glossary section. No gradio here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

GLOSSARY: dict[str, str] = {
    "FD": "Fréchet distance: how far the generated images are from real ones, measured on a small classifier's "
          "features. Lower is better; 0 would be indistinguishable.",
    "‖w‖": "The norm (size) of the weights w: the square root of the sum of their squares. A penalty pulls it down.",
    "λ": "Lambda: the strength of the penalty. 0 = no penalty; each step of 10 makes it ten times stronger.",
    "ELBO": "Evidence lower bound: a lower bound on how likely the VAE finds an image, in nats. Higher is better.",
    "IWAE": "Importance-weighted bound: a tighter ELBO that averages several samples of the code. Higher is better.",
    "nats": "The unit of the ELBO and of entropy: information measured with the natural log (1 nat ≈ 1.44 bits).",
    "logit": "The discriminator's raw score before it becomes a probability: above 0 means \"looks real\".",
    "seed-to-seed spread": "How much the same setting varies when only the training seed changes: a smaller "
                           "difference is noise, not an effect.",
    "seed spread": "How much the same setting varies when only the training seed changes: a smaller difference "
                   "is noise, not an effect.",
    "sampling spread": "How much a score moves when the same trained model draws new random noise.",
    "near-zero weights": "The share of weights smaller than 0.001 in size: switched off in practice.",
    "mode collapse": "The generator makes only a few kinds of images (one digit over and over): not good samples.",
    "σ_max": "A layer's largest singular value: the most it can stretch its input. Spectral norm holds it at 1.",
    "held-out": "Images the model never trained on, kept aside to test whether it learned or memorized.",
    "near-copies": "Samples nearer a training image, in the judge's features, than 99% of new real images are. "
                   "Real data: 1%.",
    "pixel NN share": "% of samples whose nearest image in pixels is a training one: blur raises it; not copying.",
}
# longer names first, so "seed-to-seed spread" is marked before "seed spread" could match inside it
_ORDER = sorted(GLOSSARY, key=len, reverse=True)
# spans never touched: math, inline code, link targets, html tags and abbr elements already there
_SKIP = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$|`[^`]*`|\]\([^)]*\)|<abbr[^>]*>.*?</abbr>|<[^>]+>", re.S)


def definition(term: str) -> str:
    """The one-line definition of `term`; a term the glossary lacks raises KeyError naming the known ones."""
    if term not in GLOSSARY:
        raise KeyError(f"{term!r} is not in the glossary; terms: {', '.join(GLOSSARY)}")
    return GLOSSARY[term]


def abbr(term: str, shown: str | None = None) -> str:
    """'<abbr title="...">FD</abbr>': `shown` (default the term) with the term's definition as its tip."""
    return f'<abbr title="{html.escape(definition(term), quote=True)}">{html.escape(shown or term)}</abbr>'


def _pattern(term: str) -> re.Pattern[str]:
    # whole words only: "FD" not inside "FDs2", "λ" not in "λ_cyc" (a different λ, defined where it is used)
    return re.compile(rf"(?<![\w-]){re.escape(term)}(?![\w-])", re.I if term.isascii() and term.islower() else 0)


def used_terms(text: str) -> list[str]:
    """The glossary terms that appear in `text` outside math, code and tags (in GLOSSARY's order)."""
    plain = _SKIP.sub(" ", text)
    found = [t for t in _ORDER if _pattern(t).search(plain)]
    if "seed-to-seed spread" in found:  # "seed spread" inside it is the same term
        plain = _pattern("seed-to-seed spread").sub(" ", plain)
        found = [t for t in found if t != "seed spread" or _pattern(t).search(plain)]
    return [t for t in GLOSSARY if t in found]


def explain(text: str) -> str:
    """`text` (markdown or HTML) with the first plain occurrence of each glossary term wrapped in `abbr`."""
    for term in _ORDER:
        pat, done = _pattern(term), False

        def wrap(piece: str, pat: re.Pattern[str] = pat, term: str = term) -> str:
            nonlocal done
            if done:
                return piece
            out, n = pat.subn(lambda m: abbr(term, m.group(0)), piece, count=1)
            done = n > 0
            return out

        text = _map_plain(text, wrap)
    return text


def _map_plain(text: str, fn: Callable[[str], str]) -> str:
    """`fn` applied to each stretch of `text` outside the _SKIP spans, in order."""
    out, last = [], 0
    for m in _SKIP.finditer(text):
        out += [fn(text[last:m.start()]), m.group(0)]
        last = m.end()
    out.append(fn(text[last:]))
    return "".join(out)


def glossary_markdown() -> str:
    """Learn's Glossary section: each term with its definition, one line each."""
    lines = [f"- **{'seed spread (seed-to-seed spread)' if t == 'seed-to-seed spread' else t}**: {d}"
             for t, d in GLOSSARY.items() if t != "seed spread"]
    return ("## Glossary\nA word with a dotted underline anywhere in the app shows its line on hover (or on a tap)."
            "\n\n" + "\n".join(lines))


__all__ = ["GLOSSARY", "definition", "abbr", "used_terms", "explain", "glossary_markdown"]
