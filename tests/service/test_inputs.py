"""normgen.service.inputs (issue 14): every bad value an API client can send answers with an InputError
whose one-line message names the field and the allowed range; a non-integer seed is refused, never
rounded; huge numbers (1e308, a 400-digit integer, a megabyte string) are refused exactly and quoted
short; New noise never produces a seed the page cannot hold."""

from __future__ import annotations

import pytest

from normgen.service import inputs as I

SEED = "seed must be an integer in [0, 2147483647]"
STEPS = "steps (this server allows at most 3000 per run)"
SECONDS = "seconds (time budget; at most 600 on this server)"


def _message(fn, *args) -> str:
    with pytest.raises(I.InputError) as exc:
        fn(*args)
    msg = str(exc.value)
    assert "\n" not in msg and len(msg) < 200, msg
    return msg


@pytest.mark.parametrize(("value", "message"), [
    ("abc", f"{SEED}, got 'abc'"),
    (float("nan"), f"{SEED}, got nan"),
    (float("inf"), f"{SEED}, got inf"),
    (1.5, f"{SEED}, got 1.5: not a whole number (it is not rounded)"),
    ("1.5", f"{SEED}, got '1.5': not a whole number (it is not rounded)"),
    (1e308, f"{SEED}, got 1e+308"),
    ("1e308", f"{SEED}, got '1e308'"),
    (None, f"{SEED}, got nothing (empty)"),  # an empty box: said so, not "got None"
    ("  ", f"{SEED}, got nothing (empty)"),
    (-1, f"{SEED}, got -1"),
    (2**31, f"{SEED}, got 2147483648"),
    (True, f"{SEED}, got True"),
    ([3], f"{SEED}, got [3]"),
    ({"seed": 3}, f"{SEED}, got {{'seed': 3}}"),
])
def test_bad_seeds_name_the_field_and_the_range(value, message):
    assert _message(I.parse_seed, value) == message


def test_a_seed_of_1_5_is_refused_not_rounded():
    for v in (1.5, 2.5, 0.5, 3.000001):
        with pytest.raises(I.InputError, match="not a whole number"):
            I.parse_seed(v)


def test_huge_values_are_refused_exactly_and_quoted_short():
    huge = 10**400  # float(huge) raises OverflowError: it must still be an InputError
    msg = _message(I.parse_seed, huge)
    assert msg.startswith(f"{SEED}, got 1000") and msg.endswith("...")
    msg = _message(I.parse_seed, "7" * 1_000_000)  # a megabyte string: not parsed, quoted short
    assert msg.startswith(f"{SEED}, got '777") and msg.endswith("...")
    assert _message(I.parse_seed, 2**31 - 1 + 2**64).startswith(SEED)
    assert _message(I.parse_lambda, "l1", huge).startswith("l1 must be a finite number in [0, 10], got 1000")
    assert _message(I.parse_float, "seconds", huge, 1, 600).startswith("seconds must be a number in [1, 600]")
    assert _message(I.check_model, "x" * 100_000).startswith("model must be one of: gan, vae, cgan, dcgan; got 'xxx")


def test_good_seeds_are_exact():
    assert I.parse_seed(0) == 0 and I.parse_seed(I.SEED_MAX) == I.SEED_MAX
    assert I.parse_seed(3.0) == 3 and I.parse_seed("7") == 7 and I.parse_seed(" 12 ") == 12
    assert I.parse_seed("2147483647") == 2147483647  # parsed as an integer, not through a float
    assert isinstance(I.parse_seed(3.0), int)


@pytest.mark.parametrize(("value", "message"), [
    ("abc", f"{STEPS} must be an integer in [1, 3000], got 'abc'"),
    (None, f"{STEPS} must be an integer in [1, 3000], got nothing (empty)"),
    (float("nan"), f"{STEPS} must be an integer in [1, 3000], got nan"),
    (12.5, f"{STEPS} must be an integer in [1, 3000], got 12.5: not a whole number (it is not rounded)"),
    (0, f"{STEPS} must be an integer in [1, 3000], got 0"),
    (1e308, f"{STEPS} must be an integer in [1, 3000], got 1e+308"),
])
def test_bad_steps_name_the_field_and_the_range(value, message):
    assert _message(I.parse_int, STEPS, value, 1, 3000) == message


@pytest.mark.parametrize(("value", "message"), [
    ("abc", f"{SECONDS} must be a number in [1, 600], got 'abc'"),
    (None, f"{SECONDS} must be a number in [1, 600], got nothing (empty)"),
    (float("nan"), f"{SECONDS} must be a number in [1, 600], got nan"),
    (float("inf"), f"{SECONDS} must be a number in [1, 600], got inf"),
    (1e308, f"{SECONDS} must be a number in [1, 600], got 1e+308"),
    (0.5, f"{SECONDS} must be a number in [1, 600], got 0.5"),
    (True, f"{SECONDS} must be a number in [1, 600], got True"),
])
def test_bad_seconds_name_the_field_and_the_range(value, message):
    assert _message(I.parse_float, SECONDS, value, 1, 600) == message


def test_seconds_accept_numbers_and_numeric_strings():
    assert I.parse_float("seconds", 60, 1, 600) == 60.0 and I.parse_float("seconds", " 7.5 ", 1, 600) == 7.5


@pytest.mark.parametrize(("fn", "field"), [(I.check_model, "model"), (I.check_dataset, "dataset"),
                                           (I.check_g_norm, "g_norm (generator normalization)"),
                                           (I.check_variant, "variant")])
@pytest.mark.parametrize("bad", [None, 5, "abc", ["gan"]])
def test_bad_choices_name_the_field_and_the_allowed_values(fn, field, bad):
    assert _message(fn, bad).startswith(f"{field} must be one of: ")


def test_bad_target_names_the_models_targets():
    assert _message(I.check_target, "gan", None) == ("target for the GAN must be one of: generator, "
                                                      "discriminator, both; got nothing (empty)")


@pytest.mark.parametrize("bad", ["abc", None, float("nan"), -1, 11, 10**400, "1e400"])
def test_bad_lambdas_name_the_field_and_the_range(bad):
    assert _message(I.parse_lambda, "l2", bad).startswith("l2 must be a ")
    assert "number in [0, 10]" in _message(I.parse_lambda, "l2", bad)


def test_new_noise_stays_in_range():
    assert I.next_seed(0) == 1 and I.next_seed(41) == 42 and I.next_seed("41") == 42
    assert I.next_seed(I.SEED_MAX) == 0  # wraps: the page never receives 2**31
    for bad in (1e308, float("nan"), "abc", None, 1.5):
        assert _message(I.next_seed, bad).startswith(SEED)
