"""A handler's reply by name: a dict keyed by the tab's attribute names, turned into Gradio's list in one place.

Gradio takes a handler's outputs as a list in the order the event declared them. Built by position, a
16-value reply was patched by index (`view[14] = gr.skip()`) and a reordering broke silently (issue 26).
A tab declares its replies as tuples of names (e.g. explore_handlers.VIEW), its `*_outputs()` methods list
its components in that order, and a handler returns `in_order(values, NAMES)`.
"""

from __future__ import annotations

from typing import Any


def in_order(values: dict[str, Any], names: tuple[str, ...]) -> tuple:
    """`values` in the order of `names`: the one place a reply becomes positional. A name missing or one too
    many raises, naming them."""
    if set(values) != set(names) or len(values) != len(names):
        raise KeyError(f"reply names: missing {sorted(set(names) - set(values))}, "
                       f"extra {sorted(set(values) - set(names))}")
    return tuple(values[n] for n in names)


__all__ = ["in_order"]
