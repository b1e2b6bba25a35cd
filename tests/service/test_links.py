"""Shareable links: one query string for every tab, parsed once, bad values dropped and named."""

from __future__ import annotations

from urllib.parse import parse_qsl

from normgen.service import links


def test_fragment_prefixes_keys_and_writes_lambdas_as_on_screen():
    assert links.fragment("train_", {"model": "gan", "l1": 0.0001, "steps": 600.0, "seed": None}) == \
        "train_model=gan&train_l1=1e-4&train_steps=600"
    assert links.fragment("", {"l2": 0.0, "dropout": 0.2, "target": ""}) == "l2=0&dropout=0.2"


def test_join_puts_the_tab_first_and_skips_empty_fragments():
    assert links.join("compare", "model=gan", "", "compare_point=2") == "?tab=compare&model=gan&compare_point=2"
    assert links.join(None, "") == ""
    assert links.join("nowhere", "a=1") == "?a=1"


def test_the_whole_page_round_trips():
    explore = {"model": "vae", "dataset": "mnist", "l1": 1e-4, "l2": 0.0, "target": "decoder", "seed": 3,
               "train_size": 300, "dropout": 0.2}
    train = {"model": "gan", "l2": 1e-3, "steps": 200, "seconds": 30.0, "start": "scratch", "target": "discriminator"}
    compare = {"model": "gan", "dataset": "mnist", "sweep": "l1|none|none|generator|loss|6000", "point": 3,
               "seed": 1, "noise": 7}
    qs = links.join("train", links.fragment("", explore), links.fragment("train_", train),
                    links.fragment("compare_", compare))
    q = links.parse_page_query(dict(parse_qsl(qs[1:])))
    assert q["tab"] == "train"
    assert links.part(q, "explore") == explore
    assert links.part(q, "train") == train
    assert links.part(q, "compare") == compare


def test_old_explore_links_parse_as_before():
    params = {"model": "gan", "l1": "1e-4", "seed": "2", "tab": "explore", "junk": "x"}
    assert links.parse_page_query(params) == {"model": "gan", "l1": 1e-4, "seed": 2, "tab": "explore"}


def test_every_bad_explore_value_of_a_link_is_named_the_loss_too():
    """Explore's link keys are checked by the request's own checks (requests.explore_checks): a bad loss was
    dropped without a word, as its key was missing from the list that names bad values."""
    q, bad = links.check_page_query({"model": "gan", "loss": "hinge", "dropout": "2", "target": "encoder"})
    assert q == {"model": "gan"}
    joined = " | ".join(bad)
    assert "loss: loss must be one of" in joined and "dropout: dropout" in joined, bad
    assert "target: must be one of generator, discriminator, both; got 'encoder'" in joined, bad


def test_bad_values_are_dropped_and_named_with_what_is_allowed():
    q, bad = links.check_page_query({"l1": "lots", "train_steps": "-5", "train_start": "later", "compare_point": "x",
                                     "compare_sweep": "a" * 500, "train_target": "encoder", "tab": "nope",
                                     "train_l2": "1e-3"})
    assert q == {"train_l2": 1e-3}
    joined = " | ".join(bad)
    for key in ("l1:", "train_steps:", "train_start:", "compare_point:", "compare_sweep:", "train_target:", "tab:"):
        assert key in joined, (key, bad)
    assert "train_steps: steps (this server allows at most " in joined and "must be an integer in [1," in joined
    assert "must be one of: finetune, scratch" in joined


def test_explore_link_opens_explore_at_a_setting():
    link = links.explore_link({"model": "gan", "l1": 3e-4, "other": 1})
    assert link == "?tab=explore&model=gan&l1=3e-4"


def test_a_link_carries_the_cycle_gans_train_and_compare_state_and_names_a_bad_value():
    q = links.parse_page_query({"tab": "train", "train_model": "cyclegan", "train_lambda_cyc": "1",
                                "train_lambda_id": "0.5", "train_cycle_norm": "l2", "compare_model": "cyclegan",
                                "compare_sweep": "cycle"})
    assert (q["train_model"], q["train_lambda_cyc"], q["train_lambda_id"], q["train_cycle_norm"]) == (
        "cyclegan", 1.0, 0.5, "l2")
    assert links.part(q, "train")["lambda_cyc"] == 1.0 and links.part(q, "compare")["model"] == "cyclegan"
    out, bad = links.check_page_query({"train_lambda_cyc": "-1", "train_cycle_norm": "l3"})
    assert "train_lambda_cyc" not in out and "train_cycle_norm" not in out
    assert any(b.startswith("train_lambda_cyc: lambda_cyc") and "[0, 100]" in b for b in bad)
    assert any(b.startswith("train_cycle_norm: cycle_norm must be one of: l1, l2") for b in bad)


def test_translate_state_round_trips_through_the_query():
    q = links.parse_page_query({"tab": "translate", "translate_setting": "cyclegan-mnist-x", "translate_seed": "3"})
    assert links.part(q, "translate") == {"setting": "cyclegan-mnist-x", "seed": 3}
    assert links.fragment(links.PREFIXES["translate"], {"setting": "cyclegan-mnist-x", "seed": 3}) == (
        "translate_setting=cyclegan-mnist-x&translate_seed=3")
    _, bad = links.check_page_query({"translate_seed": "-1"})
    assert bad and bad[0].startswith("translate_seed")
