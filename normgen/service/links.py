"""Shareable links (no gradio): the address bar carries the state of every tab.

One query string holds it all: `?tab=<tab>&<explore>&<train>&<compare>&<translate>`. Explore's keys are
unprefixed (normgen.service.requests.EXPLORE_KEYS, so every link made before this module still opens the
same view); Train's are prefixed `train_`, Compare's `compare_` and Translate's `translate_`. Each tab keeps
its own fragment (`fragment(prefix, state)`, without the '?') in a hidden textbox; the app joins them (`join`) and
the page-load handler parses the whole query once (`parse_page_query`) into one flat dict with the
same keys, every value checked: a bad or unknown value is dropped, never raised, so a shared link
with a typo still opens the page with the defaults there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any
from urllib.parse import urlencode

from normgen.service import inputs as I
from normgen.service.requests import (
    EXPLORE_KEYS,
    TRAIN_KEYS,
    CompareQuery,
    TranslateQuery,
    compare_checks,
    explore_checks,
    train_checks,
    translate_checks,
)
from normgen.service.train_plan import caps
from normgen.words import fmt_lambda
from normgen.zoo.select import DEFAULT_MODEL

TABS = ("explore", "train", "compare", "learn", "translate", "class")
PREFIXES = {"explore": "", "train": "train_", "compare": "compare_", "translate": "translate_"}
LAMBDA_KEYS = ("l1", "l2", "lambda_cyc", "lambda_id")  # written as 1e-4 in a link
COMPARE_KEYS = tuple(f.name for f in fields(CompareQuery))  # seed: training seed; noise: noise seed
TRANSLATE_KEYS = tuple(f.name for f in fields(TranslateQuery))  # setting: the entry id on the right


def _shown(v: Any) -> str:
    """A bad value as a message quotes it: one line, at most 60 characters."""
    r = " ".join(repr(v).split())
    return r if len(r) <= 60 else r[:57] + "..."


def _value(key: str, v: Any) -> Any:
    if key in LAMBDA_KEYS and isinstance(v, int | float) and not isinstance(v, bool):
        return fmt_lambda(float(v))
    if isinstance(v, float) and v.is_integer():
        return int(v)  # a seed or a step count from a gr.Number arrives as 3.0
    return v


def fragment(prefix: str, state: Mapping[str, Any]) -> str:
    """'train_model=gan&train_l1=1e-4' (no '?'): `state`'s non-empty values in its order, keys prefixed, lambdas
    as 1e-4."""
    return urlencode({f"{prefix}{k}": _value(k, v) for k, v in state.items() if v is not None and v != ""},
                     safe="|")  # a sweep id's bars stay readable


def join(tab: str | None, *fragments: str) -> str:
    """'?tab=compare&model=gan&compare_sweep=...': the selected tab, then each tab's fragment."""
    parts = ([f"tab={tab}"] if tab in TABS else []) + [f for f in fragments if f]
    return "?" + "&".join(parts) if parts else ""


def _checks(prefix: str) -> dict[str, Callable[[Any], Any]]:
    """Each request type's own checks (normgen.service.requests); Train's under this server's caps."""
    if prefix == PREFIXES["train"]:
        return train_checks(*caps())
    return {PREFIXES["explore"]: explore_checks, PREFIXES["translate"]: translate_checks}.get(prefix, compare_checks)()


def parse_prefixed(params: Mapping[str, str], prefix: str, bad: list[str] | None = None) -> dict[str, Any]:
    """The checked `prefix`ed keys of `params`, still prefixed ({'train_l1': 0.0001, ...}; Explore's prefix is
    ''); each bad one is dropped, and named with what is allowed in `bad` when given."""
    out: dict[str, Any] = {}
    for key, check in _checks(prefix).items():
        raw = params.get(prefix + key)
        if raw is None:
            continue
        try:
            out[prefix + key] = check(raw)
        except I.InputError as exc:
            if bad is not None:
                bad.append(f"{prefix}{key}: {exc}")
    target = params.get(prefix + "target")
    if target is not None and prefix in (PREFIXES["train"], PREFIXES["explore"]):  # the model's own targets
        allowed = I.target_choices(out.get(prefix + "model", DEFAULT_MODEL))
        if target in allowed:
            out[prefix + "target"] = target
        elif bad is not None:
            bad.append(f"{prefix}target: must be one of {', '.join(allowed)}; got {_shown(target)}")
    return out


def check_page_query(params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """(parse_page_query(params), one line per bad value naming its key and what is allowed)."""
    params = {k: v for k, v in dict(params).items() if isinstance(v, str)}
    bad: list[str] = []
    out: dict[str, Any] = {}
    if "tab" in params:
        if params["tab"] in TABS:
            out["tab"] = params["tab"]
        else:
            bad.append(f"tab: must be one of {', '.join(TABS)}; got {_shown(params['tab'])}")
    for prefix in PREFIXES.values():
        out.update(parse_prefixed(params, prefix, bad))
    return out, bad


def parse_page_query(params: Mapping[str, str]) -> dict[str, Any]:
    """The whole page state from the URL's query parameters, one flat dict with the link's keys:
    'tab', Explore's unprefixed keys, and the checked `train_*`, `compare_*` and `translate_*` keys. Bad values
    are dropped (LAMBDA_MAX and the server's step / time caps bound the numbers)."""
    return check_page_query(params)[0]


def part(q: Mapping[str, Any], tab: str) -> dict[str, Any]:
    """One tab's keys of a parsed query, unprefixed: part(q, "train") -> {'l1': 0.0001, ...}."""
    prefix = PREFIXES[tab]
    if not prefix:
        return {k: v for k, v in q.items() if k in EXPLORE_KEYS}
    keys = {"train": TRAIN_KEYS, "translate": TRANSLATE_KEYS}.get(tab, COMPARE_KEYS)  # Explore's `train_size`
    # is not Train's
    return {k: q[prefix + k] for k in keys if prefix + k in q}


def explore_link(state: Mapping[str, Any]) -> str:
    """'?tab=explore&model=gan&l1=1e-4...': a link that opens Explore at `state` (a lesson's setting)."""
    return join("explore", fragment("", {k: state[k] for k in EXPLORE_KEYS if k in state}))


__all__ = ["TABS", "PREFIXES", "TRAIN_KEYS", "COMPARE_KEYS", "TRANSLATE_KEYS", "fragment", "join", "parse_prefixed",
           "check_page_query", "parse_page_query", "part", "explore_link"]
