"""Every event's values, checked where Gradio reads them: `CheckedBlocks`.

Left to Gradio 6.31, an event answers a value its control cannot read (a seed of 'abc' for a Number) with a
bare "Error" (the cause only in the server log), a value out of range without naming the field, and a REST
call with fewer values than the event takes with `{"error": null}` (`validate_inputs` raises a plain
ValueError, whose message neither the page nor the API shows).

`CheckedBlocks` is gr.Blocks answering each in one line naming the field (`gr.Error`, titled "Invalid input"):
- a missing trailing value takes the default the API page documents (the control's initial value, which
  gradio_client fills in too); with no default, the call is refused naming what is missing;
- before Gradio's own processing, each value of a Number, Slider, Dropdown or Radio is checked against
  that control as this session holds it (its range, its choices) by normgen.service.inputs;
- anything else a control cannot read is refused naming the field.
Events with `preprocess=False` get their values as sent (their handlers check them), so only the missing
values are filled for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import gradio as gr
from gradio.block_function import BlockFunction
from gradio.exceptions import ComponentProcessingError

from normgen.service import inputs as I

TITLE = "Invalid input"
PRIVATE = {"api_visibility": "private", "show_progress": "hidden"}  # an event of the page, not of the public API
_MISSING = object()


def refuse(message: str, title: str = "Error") -> gr.Error:
    """A refusal (a bad value, a run not started, a class code unknown): the visitor reads `message`, and the
    server's log stays quiet (Gradio prints a traceback for every gr.Error otherwise: a flood of bad calls would
    bury a real error under thousands of them)."""
    return gr.Error(message, title=title, print_exception=False)


@contextmanager
def refusing(*errors: type[Exception], title: str = "Error") -> Iterator[None]:
    """A caught error of `errors` raised again as `refuse(its message, title)`, with no chained traceback."""
    try:
        yield
    except errors as exc:
        raise refuse(str(exc), title=title) from None


def field_name(block_fn: BlockFunction, index: int) -> str:
    """How a message names input `index` of an event: the handler's parameter name (the API's name for
    it), or for a lambda's or a one-letter parameter the control's label."""
    names = block_fn.input_parameter_names or []
    name = names[index] if index < len(names) else None
    block = block_fn.inputs[index] if index < len(block_fn.inputs) else None
    named_fn = getattr(block_fn.fn, "__name__", "<lambda>") != "<lambda>"
    if name and named_fn and len(name) > 2:
        return name
    label = getattr(block, "label", None)
    return str(label) if label else (name or f"value {index + 1}")


def _default(block: Any) -> Any:
    """A control's documented default (its initial value, as the API page lists it); None: none."""
    return None if callable(getattr(block, "value", None)) else getattr(block, "value", None)


def fill_missing(block_fn: BlockFunction, inputs: list[Any]) -> None:
    """Complete `inputs` in place when a call sent fewer values than the event takes. A REST client sends
    the API's parameters only (no placeholder for a gr.State): values are matched to those in order.
    A missing value takes its control's default; when one has none, gr.Error names what is missing."""
    blocks = block_fn.inputs
    if len(inputs) >= len(blocks):
        return
    api = [b for b in blocks if not getattr(b, "skip_api", False)]
    full: list[Any]
    if len(inputs) < len(api):  # the API's values only: a State gets its placeholder
        given = iter(inputs)
        full = [None if getattr(b, "skip_api", False) else next(given, _MISSING) for b in blocks]
    else:
        full = [*inputs, *(None if getattr(b, "skip_api", False) else _MISSING for b in blocks[len(inputs):])]
    missing = [i for i, v in enumerate(full) if v is _MISSING]
    required = [field_name(block_fn, i) for i in missing if _default(blocks[i]) is None]
    if required:
        public = block_fn.api_name and block_fn.api_visibility == "public"
        what = f"/{block_fn.api_name}" if public else "this event"  # a private event's name means nothing to a visitor
        raise refuse(f"{what} takes {len(api)} values; got {len(inputs)}: missing {', '.join(required)} "
                       "(no default)", title=TITLE)
    for i in missing:
        full[i] = _default(blocks[i])
    inputs[:] = full


def check_value(name: str, value: Any, block: Any) -> Any:
    """`value` as `block` (a Number, Slider, Dropdown or Radio) will read it; raises InputError naming
    `name` and the control's range or choices. None passes (an empty box: the handler decides), and so
    does every value of another kind of control."""
    if value is None:
        return None
    if isinstance(block, (gr.Number, gr.Slider)):
        lo, hi = block.minimum, block.maximum
        if block.precision == 0:
            v: Any = I.parse_int(name, value, None if lo is None else int(lo), None if hi is None else int(hi))
        else:
            v = I.parse_float(name, value, lo, hi)
        # a number is handed on as sent (Gradio rounds it to the control's precision); a numeric string parsed
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else v
    if isinstance(block, (gr.Dropdown, gr.Radio)) and not getattr(block, "multiselect", False) and not getattr(
            block, "allow_custom_value", False):
        return I.check_option(name, value, [v for _, v in block.choices])
    return value


class CheckedBlocks(gr.Blocks):
    """gr.Blocks whose events answer missing and bad values with one line naming the field (see the
    module's docstring)."""

    async def preprocess_data(self, block_fn: BlockFunction, inputs: list[Any], state: Any,
                              explicit_call: bool = False) -> list[Any]:
        fill_missing(block_fn, inputs)
        if block_fn.preprocess:
            for i, block in enumerate(block_fn.inputs):
                if i in block_fn.component_prop_inputs or getattr(block, "stateful", False):
                    continue
                if state is not None and block._id in state:  # the control as this session holds it
                    block = state[block._id]
                with refusing(I.InputError, title=TITLE):
                    inputs[i] = check_value(field_name(block_fn, i), inputs[i], block)
        with refusing(ComponentProcessingError, title=TITLE):  # a value of a kind no check above covers
            return await super().preprocess_data(block_fn, inputs, state, explicit_call)

    @staticmethod
    def _format_processing_error(block_fn: BlockFunction, index: int, block: Any, value: Any, is_input: bool,
                                 original_error: Exception) -> str:
        """Gradio's message for a value a control could not read (or write), in one line naming the field
        (Gradio's own lists every control of the event and the Python error)."""
        if not is_input:
            return f"the server could not show a value in {getattr(block, 'label', None) or 'a control'}"
        return f"{field_name(block_fn, index)} could not be read as its control expects, got {I.shown(value)}"


__all__ = ["CheckedBlocks", "check_value", "field_name", "fill_missing", "refuse", "refusing"]
