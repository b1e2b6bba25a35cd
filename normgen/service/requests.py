"""What a visitor asks Explore and Train for, each as one frozen type with one parse.

An Explore request is the model, the dataset, the generator's normalization, the two λ, the penalty's target
and update rule, the noise seed, the training-set size, the discriminator's dropout and the loss;
`ExploreQuery.parse` checks them once (InputError names the bad field and what is allowed) and everything below
the handlers takes the query. A Train request (`TrainRequest`) is
the same settings plus the run's own: step and time budget, fine-tune or scratch, and a translator's cycle
terms; its per-field checks (`train_checks`) are the one home of what a Train field allows, for the request and
for a shared link alike. Compare's (`CompareQuery`) and Translate's (`TranslateQuery`) are the same idea for
the other two tabs with a link: their fields are the link's keys, their checks (`compare_checks`,
`translate_checks`) the link's checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from normgen.losses import LOSS_SETTINGS
from normgen.models import family, model_label
from normgen.service.inputs import (
    CYCLE_DEFAULTS,
    InputError,
    check_choice,
    check_dataset,
    check_g_norm,
    check_loss,
    check_model,
    check_target,
    check_train_model,
    check_variant,
    parse_cycle,
    parse_dropout,
    parse_float,
    parse_int,
    parse_lambda,
    parse_seed,
    parse_train_size,
)

LATER = {"train_size": 0, "dropout": 0.0, "loss": "ns"}  # settings added later: in a link only when set


@dataclass(frozen=True)
class ExploreQuery:
    """A checked Explore request (make it with `parse`). `train_size` 0 = every training image; `dropout` 0 =
    the family's own rate; `loss` an losses.LOSS_SETTINGS name ("ns" the non-saturating GAN loss)."""

    model: str
    dataset: str
    g_norm: str
    l1: float
    l2: float
    target: str
    variant: str
    seed: int = 0
    train_size: int = 0
    dropout: float = 0.0
    loss: str = "ns"

    @classmethod
    def parse(cls, model: Any, dataset: Any, g_norm: Any, l1: Any, l2: Any, target: Any, variant: Any,
              seed: Any = 0, train_size: Any = 0, dropout: Any = 0.0, loss: Any = "ns") -> ExploreQuery:
        """The request from raw values in the public /explore order (a form, the API, a test); raises
        InputError naming the first bad field and its allowed values or range."""
        model = check_model(model)
        return cls(model, check_dataset(dataset), check_g_norm(g_norm), parse_lambda("l1", l1),
                   parse_lambda("l2", l2), check_target(model, target), check_variant(variant), parse_seed(seed),
                   parse_train_size(train_size), parse_dropout(dropout), check_loss(loss))

    def but(self, **changes: Any) -> ExploreQuery:
        """The same request with some values changed (values already checked, e.g. a trained λ)."""
        return replace(self, **changes)

    def args(self) -> tuple:
        """The values in the public /explore order."""
        return tuple(getattr(self, f.name) for f in fields(self))

    def link_state(self) -> dict[str, Any]:
        """The shareable link's keys: the settings added later only when set, so a full-data,
        non-saturating link reads as it always did."""
        return {k: v for k, v in asdict(self).items() if k not in LATER or v != LATER[k]}


EXPLORE_KEYS = tuple(f.name for f in fields(ExploreQuery))  # the /explore order; a link's unprefixed keys


def explore_checks() -> dict[str, Callable[[Any], Any]]:
    """Each Explore field's check (raises InputError naming the field and what it allows) but the target's, which
    is the model's (`check_target`): one home for a request and a shared link alike."""
    return {"model": check_model, "dataset": check_dataset, "g_norm": check_g_norm, "variant": check_variant,
            "l1": lambda v: parse_lambda("l1", v), "l2": lambda v: parse_lambda("l2", v), "seed": parse_seed,
            "train_size": parse_train_size, "dropout": parse_dropout, "loss": check_loss}


STARTS = ("finetune", "scratch")  # a Train run fine-tunes the zoo's baseline, or starts from scratch


def train_checks(max_steps: int, max_seconds: float) -> dict[str, Callable[[Any], Any]]:
    """Each Train field's check (raises InputError naming the field and what it allows), under this server's
    step and time caps, in the order a request is checked; the target is the model's (`TrainRequest.parse`)."""
    cycle = {k: (lambda v, k=k: parse_cycle(**{**CYCLE_DEFAULTS, k: v})[k]) for k in CYCLE_DEFAULTS}
    return {"model": check_train_model, "g_norm": check_g_norm, **cycle, "dataset": check_dataset,
            "l1": lambda v: parse_lambda("l1", v), "l2": lambda v: parse_lambda("l2", v), "variant": check_variant,
            "seed": parse_seed, "train_size": parse_train_size, "dropout": parse_dropout, "loss": check_loss,
            "start": lambda v: check_choice("start", v, STARTS),
            "steps": lambda v: parse_int(f"steps (this server allows at most {max_steps} per run)", v, 1, max_steps),
            "seconds": lambda v: parse_float(f"seconds (time budget; at most {max_seconds:g} on this server)", v, 1,
                                             max_seconds)}


@dataclass(frozen=True)
class TrainRequest:
    """A checked Train request (make it with `parse`). `dataset` is "" for a run on the visitor's own images
    (the upload names their dataset); the cycle terms are checked for every family and used by translators."""

    model: str
    dataset: str
    g_norm: str
    l1: float
    l2: float
    target: str
    variant: str
    seed: int
    steps: int
    seconds: float
    start: str
    train_size: int = 0
    dropout: float = 0.0
    loss: str = "ns"
    lambda_cyc: float = CYCLE_DEFAULTS["lambda_cyc"]
    lambda_id: float = CYCLE_DEFAULTS["lambda_id"]
    cycle_norm: str = CYCLE_DEFAULTS["cycle_norm"]

    @classmethod
    def parse(cls, model: Any, dataset: Any, g_norm: Any, l1: Any, l2: Any, target: Any, variant: Any, seed: Any,
              steps: Any, seconds: Any, start: Any, train_size: Any = 0, dropout: Any = 0.0, loss: Any = "ns",
              lambda_cyc: Any = CYCLE_DEFAULTS["lambda_cyc"], lambda_id: Any = CYCLE_DEFAULTS["lambda_id"],
              cycle_norm: Any = CYCLE_DEFAULTS["cycle_norm"], *, max_steps: int, max_seconds: float,
              own_images: bool = False) -> TrainRequest:
        """The request from raw values in the public /train order; raises InputError naming the first bad field
        and what it allows. With `own_images` the dataset is the upload's, so `dataset` is not read."""
        raw = {"model": model, "dataset": dataset, "g_norm": g_norm, "l1": l1, "l2": l2, "variant": variant,
               "seed": seed, "steps": steps, "seconds": seconds, "start": start, "train_size": train_size,
               "dropout": dropout, "loss": loss, "lambda_cyc": lambda_cyc, "lambda_id": lambda_id,
               "cycle_norm": cycle_norm}
        got: dict[str, Any] = {}
        for name, check in train_checks(max_steps, max_seconds).items():
            got[name] = "" if name == "dataset" and own_images else check(raw[name])
            if name == "l2":
                got["target"] = check_target(got["model"], target)
            if name == "loss" and LOSS_SETTINGS[got["loss"]] != LOSS_SETTINGS["ns"] and not family(
                    got["model"]).adversarial:
                raise InputError(f"loss {got['loss']!r} needs a discriminator; the {model_label(got['model'])} has "
                                 "none (use ns)")
        return cls(**got)

    def cycle(self) -> dict[str, Any]:
        """λ_cyc, λ_id and the cycle norm for a translator's model config; {} for any other family."""
        return ({k: getattr(self, k) for k in CYCLE_DEFAULTS} if family(self.model).translates else {})


TRAIN_KEYS = tuple(f.name for f in fields(TrainRequest))  # the /train order; a link's keys after `train_`
ID_MAX = 200  # characters of a sweep or entry id in a link ("l1|none|none|generator|loss|6000|n300|do0.2")


def _id(name: str, what: str) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if not isinstance(v, str) or not 0 < len(v) <= ID_MAX or not v.isprintable():
            raise InputError(f"{name} must be {what} of at most {ID_MAX} characters")
        return v
    return check


def compare_checks() -> dict[str, Callable[[Any], Any]]:
    """Each Compare field's check, as a link carries it (every family: a translator has the λ_cyc sweep); whether
    the zoo has the model, sweep or point is the tab's to say."""
    return {"model": check_train_model, "dataset": check_dataset, "sweep": _id("sweep", "a sweep id"),
            "point": lambda v: parse_int("point", v, 0, 10_000), "seed": parse_seed, "noise": parse_seed}


def translate_checks() -> dict[str, Callable[[Any], Any]]:
    """Each Translate field's check, as a link carries it (an entry id the zoo lacks is the tab's to drop)."""
    return {"setting": _id("setting", "a zoo entry id"), "seed": parse_seed}


def _choice(v: Any) -> int | None:
    """A point or training seed the page offered (a radio's value); anything else = none chosen."""
    try:
        return None if v is None or v == "" or isinstance(v, bool) else int(v)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class CompareQuery:
    """A Compare request: a model, dataset and sweep (None: the zoo's first), the point of the sweep and the
    training seed (None: the sweep's own choice), and the noise seed of the samples."""

    model: str | None = None
    dataset: str | None = None
    sweep: str | None = None
    point: int | None = None
    seed: int | None = None
    noise: int = 0

    @classmethod
    def parse(cls, model: Any, dataset: Any, sweep: Any, point: Any, noise: Any, seed: Any) -> CompareQuery:
        """From the tab's widgets: the noise seed is typed, so checked (InputError names it and its range); the
        rest are the page's own choices, a point or seed it did not offer read as none chosen."""
        return cls(model or None, dataset or None, sweep or None, _choice(point), _choice(seed),
                   parse_seed(0 if noise is None else noise))

    @classmethod
    def from_link(cls, part: dict[str, Any]) -> CompareQuery:
        """From a link's checked `compare_*` keys (normgen.service.links.part)."""
        return cls(**{k: part[k] for k in (f.name for f in fields(cls)) if k in part})

    def but(self, **changes: Any) -> CompareQuery:
        return replace(self, **changes)

    def link_state(self) -> dict[str, Any]:
        """The link's keys (None values are left out of the link)."""
        return asdict(self)


@dataclass(frozen=True)
class TranslateQuery:
    """A Translate request: the setting on the right (a zoo entry id; None = the tab's default) and the seed
    that picks the inputs."""

    setting: str | None = None
    seed: int = 0

    @classmethod
    def parse(cls, setting: Any, seed: Any) -> TranslateQuery:
        """From the tab's widgets; a bad seed raises InputError naming it and its range."""
        return cls(setting or None, parse_seed(0 if seed is None else seed))

    def link_state(self) -> dict[str, Any]:
        return asdict(self)


__all__ = ["ExploreQuery", "TrainRequest", "CompareQuery", "TranslateQuery", "EXPLORE_KEYS", "TRAIN_KEYS",
           "explore_checks",
           "train_checks", "compare_checks",
           "translate_checks", "STARTS", "ID_MAX"]
