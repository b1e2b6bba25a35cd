"""What a visitor asks Explore for, as one frozen type with one parse (issue 26).

An Explore request is the model, the dataset, the generator's normalization, the two λ, the penalty's target
and update rule, the noise seed, the training-set size, the discriminator's dropout and the loss. It used to
be eleven loose arguments, typed again in every signature from the handler to the zoo's selection and checked
three or four times per slider move; `ExploreQuery.parse` checks them once (InputError names the bad field
and what is allowed) and everything below the handlers takes the query.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from normgen.service.inputs import (
    check_dataset,
    check_g_norm,
    check_loss,
    check_model,
    check_target,
    check_variant,
    parse_dropout,
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


__all__ = ["ExploreQuery"]
