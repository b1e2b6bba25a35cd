"""normgen.app.events (issue 23): CheckedBlocks answers a call with too few values with the documented
defaults (or names what is missing), and a bad value of a Number, Slider, Dropdown or Radio with one line
naming the field and its range, where Gradio 6.31 alone gives a bare "Error" or a message naming no field.
A small Blocks built here, run through Gradio's own processing (`process_api`), not launched."""

from __future__ import annotations

import asyncio
import re

import gradio as gr
import pytest

from normgen.app.events import CheckedBlocks, check_value, field_name, fill_missing
from normgen.service.inputs import SEED_MAX, InputError


def _demo(cls=CheckedBlocks):
    """An event like the app's: named parameters over a seed Number, a steps Slider, a Radio and a State,
    plus one whose handler is a lambda (its field is the control's label)."""
    with cls() as demo:
        seed = gr.Number(0, precision=0, minimum=0, maximum=SEED_MAX, label="Noise seed")
        steps = gr.Slider(10, 3000, value=150, step=10, label="Steps")
        norm = gr.Radio([("L1", "l1"), ("squared L2", "l2")], value="l1", label="Norm")
        entry = gr.Dropdown(["a", "b"], value=None, label="Entry")
        store = gr.State({})
        out = gr.Textbox()

        def run(seed, steps, norm="l1", store=None):
            return f"{seed} {steps} {norm}"

        def pick(entry_id, seed):
            return f"{entry_id} {seed}"

        gr.Button().click(run, [seed, steps, norm, store], out, api_name="run")
        gr.Button().click(lambda v: str(v), seed, out)
        gr.Button().click(pick, [entry, seed], out, api_name="pick")
        gr.Button().click(pick, [entry, seed], out, api_visibility="private")
    return demo


def _dep(demo, name):
    return next(d for d in demo.fns.values() if getattr(d.fn, "__name__", "") == name)


def _call(demo, dep, inputs):
    return asyncio.run(demo.process_api(block_fn=dep, inputs=inputs, state=None))["data"]


def _refusal(demo, dep, inputs) -> str:
    """The gr.Error message a call gets (the text of its toast, or of the API's error)."""
    with pytest.raises(gr.Error) as exc:
        _call(demo, dep, inputs)
    assert exc.value.title == "Invalid input"
    return exc.value.message


@pytest.fixture(scope="module")
def demo():
    return _demo()


@pytest.mark.parametrize(("inputs", "message"), [
    (["abc", 40, "l1", None], rf"^seed must be an integer in \[0, {SEED_MAX}\], got 'abc'$"),
    ([1e308, 40, "l1", None], rf"^seed must be an integer in \[0, {SEED_MAX}\], got 1e\+308$"),
    ([1.5, 40, "l1", None], r"^seed must be .*got 1.5: not a whole number \(it is not rounded\)$"),
    ([0, 5000, "l1", None], r"^steps must be a number in \[10, 3000\], got 5000$"),
    ([0, "abc", "l1", None], r"^steps must be a number in \[10, 3000\], got 'abc'$"),
    ([0, 40, "l3", None], r"^norm must be one of: l1, l2; got 'l3'$"),
])
def test_a_bad_value_is_one_line_naming_the_field_and_its_range(demo, inputs, message):
    assert re.search(message, _refusal(demo, _dep(demo, "run"), inputs))


def test_gradio_alone_answers_the_same_values_without_naming_the_field():
    """Why CheckedBlocks exists: plain gr.Blocks gives a ValueError the page shows as a bare "Error", or a
    message that names no field."""
    plain = _demo(gr.Blocks)
    with pytest.raises(ValueError) as exc:
        _call(plain, _dep(plain, "run"), ["abc", 40, "l1", None])
    assert not isinstance(exc.value, gr.Error)
    with pytest.raises(gr.Error) as err:
        _call(plain, _dep(plain, "run"), [0, 5000, "l1", None])
    assert err.value.message == "Value 5000 is greater than maximum value 3000."
    with pytest.raises(ValueError, match="didn't receive enough input values"):
        _call(plain, _dep(plain, "run"), [0])


def test_good_values_pass_as_gradio_reads_them(demo):
    assert _call(demo, _dep(demo, "run"), [7, 40, "l2", None]) == ["7 40 l2"]
    assert _call(demo, _dep(demo, "run"), ["7", "40", "l2", None]) == ["7 40.0 l2"]  # numeric strings parsed
    assert _call(demo, _dep(demo, "run"), [None, 40, "l2", None]) == ["None 40 l2"]  # an empty box: the handler's


def test_missing_trailing_values_take_the_documented_defaults(demo):
    """A REST client sends the API's values only (no placeholder for the State): the missing ones are the
    controls' initial values, which the API page lists and gradio_client fills in."""
    assert _call(demo, _dep(demo, "run"), [3]) == ["3 150 l1"]
    assert _call(demo, _dep(demo, "run"), [3, 20]) == ["3 20 l1"]
    assert _call(demo, _dep(demo, "run"), []) == ["0 150 l1"]


def test_a_missing_value_without_a_default_is_named(demo):
    """A public endpoint by its API name; a private event (what a visitor's page sends) as "this event"."""
    public, private = (next(d for d in demo.fns.values() if getattr(d.fn, "__name__", "") == "pick"
                            and d.api_visibility == v) for v in ("public", "private"))
    assert _refusal(demo, public, []) == "/pick takes 2 values; got 0: missing entry_id (no default)"
    assert _refusal(demo, private, []) == "this event takes 2 values; got 0: missing entry_id (no default)"


def test_a_lambdas_field_is_its_controls_label(demo):
    dep = next(d for d in demo.fns.values() if getattr(d.fn, "__name__", "") == "<lambda>")
    assert field_name(dep, 0) == "Noise seed"
    assert _refusal(demo, dep, ["x"]) == f"Noise seed must be an integer in [0, {SEED_MAX}], got 'x'"


def test_fill_missing_leaves_a_full_call_alone(demo):
    dep = _dep(demo, "run")
    values = [1, 20, "l2", None]
    fill_missing(dep, values)
    assert values == [1, 20, "l2", None]


def test_check_value_ranges():
    n = gr.Number(precision=0, minimum=0)  # one end open
    with pytest.raises(InputError, match=r"^n must be an integer of at least 0, got -1$"):
        check_value("n", -1, n)
    assert check_value("x", "abc", gr.Textbox()) == "abc"  # other controls: Gradio's and the handler's
    assert check_value("x", None, n) is None


def test_a_value_another_control_cannot_read_is_named_too():
    """Past the checks above, Gradio's own failure (here a DateTime's) is one line naming the field, not
    Gradio's bare error with every control of the event listed."""
    with CheckedBlocks() as demo:
        moment = gr.DateTime(label="When")
        gr.Button().click(lambda when: str(when), moment, gr.Textbox())

        def when(moment):
            return str(moment)

        gr.Button().click(when, moment, gr.Textbox())
    lam, named = list(demo.fns.values())
    assert _refusal(demo, named, ["abc"]) == "moment could not be read as its control expects, got 'abc'"
    assert _refusal(demo, lam, ["abc"]) == "When could not be read as its control expects, got 'abc'"
    assert float(_call(demo, named, ["2024-01-01 00:00:00"])[0]) > 1.7e9  # a timestamp (in the server's zone)
