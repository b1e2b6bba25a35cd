"""The Explore request's one type (normgen/service/requests.py): one parse, its link, its public order."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from normgen.service.inputs import InputError
from normgen.service.requests import ExploreQuery

RAW = ("gan", "mnist", "none", "1e-3", 0, "generator", "loss", 3.0)


def test_parse_checks_every_field_once_and_names_a_bad_one():
    q = ExploreQuery.parse(*RAW)
    assert q == ExploreQuery("gan", "mnist", "none", 1e-3, 0.0, "generator", "loss", 3, 0, 0.0, "ns")
    assert isinstance(q.seed, int) and isinstance(q.l1, float)
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.l1 = 0.5  # type: ignore[misc]
    for i, bad, field in ((0, "gpt", "model"), (3, -1, "l1"), (5, "decoder", "target"), (7, 2**40, "seed")):
        raw = list(RAW)
        raw[i] = bad
        with pytest.raises(InputError, match=field):
            ExploreQuery.parse(*raw)
    with pytest.raises(InputError, match="loss"):
        ExploreQuery.parse(*RAW, 0, 0.0, "hinge")


def test_the_link_carries_the_later_settings_only_when_set():
    q = ExploreQuery.parse(*RAW)
    assert q.link_state() == {"model": "gan", "dataset": "mnist", "g_norm": "none", "l1": 1e-3, "l2": 0.0,
                              "target": "generator", "variant": "loss", "seed": 3}
    small = q.but(train_size=300, loss="wgan-clip")
    assert small.link_state()["train_size"] == 300 and small.link_state()["loss"] == "wgan-clip"
    assert "dropout" not in small.link_state() and q.train_size == 0  # but() leaves the original as it was


def test_its_fields_are_the_public_explore_endpoints_parameters_in_order():
    from normgen.app.tabs.explore_handlers import make_explore_fn

    params = [p for p in inspect.signature(make_explore_fn()).parameters if p != "request"]
    assert params == [f.name for f in dataclasses.fields(ExploreQuery)]
    assert ExploreQuery.parse(*ExploreQuery.parse(*RAW).args()) == ExploreQuery.parse(*RAW)
