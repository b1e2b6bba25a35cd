"""Mode coverage: the one collapse rule, and how a "confident %" is shown so that it never reads as
quality on a collapsed model.

The judge is confident about the samples of a model that draws one clean glyph over and over: its
confident % can be 100 while the model has collapsed. So every screen that shows a confident % shows
the coverage beside it: the class entropy H of the judge's class histogram (ln K = every class equally
often, 0 = one class) and exp(H), the number of equally frequent classes with that entropy (the
perplexity), and says "mode collapse" when H < COLLAPSE * ln K. Used by Compare (zoo.sweeps), Learn
(zoo.findings, zoo.small_data) and the model card (zoo.card).
"""

from __future__ import annotations

import math

COLLAPSE = 0.5  # class entropy below this fraction of ln K counts as mode collapse (~ 3 of 10 classes)
SAME_PICTURE = 0.1  # per-pixel spread across samples below this fraction of the baseline's: one picture repeated
NO_INK = 1.0  # % of pixels brighter than mid-grey below which the samples are called blank


def collapsed(entropy: float, k: int) -> bool:
    """Whether a class entropy (nats) over `k` classes is below the collapse line COLLAPSE * ln k."""
    return k > 1 and entropy < COLLAPSE * math.log(k)


def effective_classes(entropy: float) -> float:
    """exp(entropy): how many equally frequent classes would give this entropy."""
    return math.exp(entropy)


def coverage_words(entropy: float, k: int) -> str:
    """'class entropy 2.21 of a possible 2.30, as spread as 9.1 of 10 classes', with ': mode collapse'
    appended below the collapse line."""
    s = (f"class entropy {entropy:.2f} of a possible {math.log(k):.2f}, as spread as "
         f"{effective_classes(entropy):.1f} of {k} classes")
    return s + (": mode collapse" if collapsed(entropy, k) else "")


def confident_caution(confident: float, entropy: float, k: int) -> str:
    """The sentence that goes with a collapsed model's confident %: what that number does not mean."""
    return (f"Mode collapse: the samples cover {effective_classes(entropy):.1f} of {k} classes (class entropy "
            f"{entropy:.2f} of a possible {math.log(k):.2f}), so the {confident:.0f}% confident samples say the "
            "judge recognises the few shapes the model repeats, not that the samples are good.")


def picture_words(spread: float, ink: float, base_spread: float, base_ink: float,
                  asked: float | None = None, base_asked: float | None = None, *, compact: bool = False) -> str:
    """What the samples look like, from what was measured on them (normgen.eval.quality.picture_stats), never
    a word the picture could contradict: 'the samples differ from one another by 0.004 per pixel (baseline
    0.31): nearly every sample is the same picture; ink on 14% of pixels (baseline 13%)', and for a
    conditional model the share the judge reads as the asked class. `compact`: the same numbers in fewer
    words ('the same picture repeated (spread 0.004 per pixel, baseline 0.31), ink 14% (13%)')."""
    if compact:
        same = base_spread > 0 and spread < SAME_PICTURE * base_spread
        s = (("the same picture repeated" if same else "varied samples")
             + f" (spread {spread:.2g} per pixel, baseline {base_spread:.2g}), ink {ink:.0f}% ({base_ink:.0f}%)"
             + (": blank" if ink < NO_INK else ""))
        return s + (f", asked class {asked:.0f}% ({base_asked:.0f}%)" if asked is not None and base_asked is not None
                    else "")
    s = f"the samples differ from one another by {spread:.2g} per pixel (baseline {base_spread:.2g})"
    if base_spread > 0 and spread < SAME_PICTURE * base_spread:
        s += ": nearly every sample is the same picture"
    s += f"; ink on {ink:.0f}% of pixels (baseline {base_ink:.0f}%)" + (": blank" if ink < NO_INK else "")
    if asked is not None and base_asked is not None:
        s += f"; the judge reads {asked:.0f}% as the asked class (baseline {base_asked:.0f}%)"
    return s
