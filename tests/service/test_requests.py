"""The request types (normgen/service/requests.py): one parse each, Explore's link, their public
order; Train's, Compare's and Translate's field checks shared with the link parser."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from normgen.service import links
from normgen.service.inputs import InputError
from normgen.service.requests import CompareQuery, ExploreQuery, TrainRequest, TranslateQuery, train_checks

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


TRAIN = ("vae", "mnist", "none", "1e-3", 0, "decoder", "loss", 2.0, 50, 30, "finetune")
CAPS = {"max_steps": 100, "max_seconds": 60.0}


def test_a_train_request_is_checked_once_naming_the_first_bad_field():
    r = TrainRequest.parse(*TRAIN, **CAPS)
    assert (r.model, r.l1, r.target, r.seed, r.steps, r.seconds, r.start) == ("vae", 1e-3, "decoder", 2, 50, 30.0,
                                                                                "finetune")
    assert r.cycle() == {}  # a VAE does not translate
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.steps = 5  # type: ignore[misc]
    for i, bad, said in ((0, "gpt", "model"), (3, -1, "l1"), (5, "critic", "target"), (8, 101, "at most 100"),
                         (9, 61, "at most 60"), (10, "later", "start")):
        raw = list(TRAIN)
        raw[i] = bad
        with pytest.raises(InputError, match=said):
            TrainRequest.parse(*raw, **CAPS)
    raw = list(TRAIN)
    raw[1], raw[3] = "no-such-data", -1  # two bad fields: the dataset is checked before the λ
    with pytest.raises(InputError, match="dataset"):
        TrainRequest.parse(*raw, **CAPS)
    with pytest.raises(InputError, match="needs a discriminator"):
        TrainRequest.parse(*TRAIN, 0, 0.0, "wgan-gp", **CAPS)
    own = TrainRequest.parse("vae", "not read", *TRAIN[2:], **CAPS, own_images=True)
    assert own.dataset == ""  # the upload names the dataset
    cyc = TrainRequest.parse("cyclegan", "mnist", "none", 0, 0, "generator", "loss", 0, 10, 10, "scratch", 0, 0.0,
                             "ns", 5, 0.5, "l2", **CAPS)
    assert cyc.cycle() == {"lambda_cyc": 5.0, "lambda_id": 0.5, "cycle_norm": "l2"}


def test_a_shared_link_checks_train_fields_with_the_requests_checks(monkeypatch):
    monkeypatch.setattr(links, "caps", lambda: (100, 60.0))
    _, bad = links.check_page_query({"train_steps": "101", "train_loss": "hinge"})
    for key, raw in (("steps", "101"), ("loss", "hinge")):
        with pytest.raises(InputError) as exc:
            train_checks(100, 60.0)[key](raw)
        assert f"train_{key}: {exc.value}" in bad


def test_its_fields_are_the_public_train_endpoints_parameters_in_order():
    from normgen.app.tabs.train_handlers import make_train_fn

    params = [p for p in inspect.signature(make_train_fn()).parameters if p not in ("store", "progress")]
    assert params == [f.name for f in dataclasses.fields(TrainRequest)] == list(links.TRAIN_KEYS)


def test_compare_and_translate_requests_are_their_links_keys_and_checks():
    """A Compare or Translate link is its request type: the same keys, checked by the same functions."""
    assert links.COMPARE_KEYS == tuple(f.name for f in dataclasses.fields(CompareQuery))
    assert links.TRANSLATE_KEYS == ("setting", "seed")
    q = CompareQuery("gan", "mnist", "l1|x", 3, 1, 7)
    frag = links.fragment(links.PREFIXES["compare"], q.link_state())
    parsed, bad = links.check_page_query(dict(p.split("=", 1) for p in frag.split("&")))
    assert bad == [] and CompareQuery.from_link(links.part(parsed, "compare")) == q
    _, bad = links.check_page_query({"compare_noise": "-1", "compare_sweep": "x" * 201, "translate_seed": "y"})
    assert [b.split(":")[0] for b in bad] == ["compare_sweep", "compare_noise", "translate_seed"]
    assert "at most 200 characters" in bad[0] and "[0, 2147483647]" in bad[1]


def test_compare_reads_the_pages_own_choices_and_checks_the_typed_noise_seed():
    assert CompareQuery.parse("gan", "", None, "2", 5, "") == CompareQuery("gan", None, None, 2, None, 5)
    assert CompareQuery.parse(None, None, None, True, None, "x") == CompareQuery()  # none chosen
    with pytest.raises(InputError, match=r"seed.*\[0, 2147483647\]"):
        CompareQuery.parse("gan", "mnist", None, None, -3, None)
    assert TranslateQuery.parse("", None) == TranslateQuery()
    with pytest.raises(InputError, match="seed"):
        TranslateQuery.parse("cyclegan-x", 2.5)
