"""normgen.zoo.colour and the index's colour rules: the colour DCGAN's baseline has its family's dropout,
the Lipschitz ladder (Wasserstein, spectral norm) and first-layer entries are told apart from the plain ones,
every sentence is read against the baseline seeds' whole FD range, and the table places each FD on the
judge's ruler beside D's per-layer largest singular values."""

from __future__ import annotations

from pathlib import Path

from normgen.zoo import colour
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.spec import colour_block


def _entry(spec, fd_draws, entropy=2.2, near=1.0, sigma=None) -> Entry:
    row = {**{k: v for k, v in spec.to_dict().items() if k not in ("priority", "tag")},
           "steps": 1000, "device": "cpu", "wall_s": 60.0, "sha256": "0" * 64,
           "metrics": {"fd": sum(fd_draws) / len(fd_draws), "fd_draws": fd_draws, "class_entropy": entropy},
           "weights": {"generator": {"near_zero_pct": near}}}
    if sigma:
        row["sigma_max"] = sigma
    return Entry.from_dict(row)


def _index() -> ZooIndex:
    grid = {z.id: z for z in colour_block("cifar10")}
    by = {(z.tag, z.seed, z.lipschitz, z.l1, z.layers): z for z in grid.values()}
    es = [_entry(by[("baseline", s, "none", 0.0, "all")], [40.0 + s, 42.0 + s]) for s in (0, 1, 2)]
    es.append(_entry(by[("ladder", 0, "clip", 0.0, "all")], [80.0, 85.0], entropy=0.3))
    es.append(_entry(by[("ladder", 0, "sn", 0.0, "all")], [35.0, 36.0], sigma={"conv1": 1.0, "conv2": 1.001,
                                                                                "head": 0.999}))
    es.append(_entry(by[("first", 0, "none", 1e-4, "first")], [41.0, 43.0], near=20.0))
    es.append(_entry(by[("l1", 0, "none", 1e-4, "all")], [30.0, 31.0]))
    ruler = {"real": 1.2, "noise0.1": 20.0, "noise0.3": 60.0, "blocks8": 70.0, "uniform": 150.0, "repeat": 90.0}
    return ZooIndex(Path("."), es, floors={"cifar10": {"fd": 1.17, "n": 2000, "ruler": ruler}})


def test_baselines_and_settings_are_told_apart():
    ix = _index()
    bases = [e for e in ix.entries if e.is_baseline]
    assert len(bases) == 5  # three seeds, the Wasserstein and the spectral-norm ones: every lambda 0, dropout 0.3
    plain = ix.baseline("dcgan", "cifar10")
    assert plain.setting == ("ns", "none", "all") and plain.seed == 0
    wgan = next(e for e in ix.entries if e.setting[0] == "wgan")
    assert ix.baseline("dcgan", "cifar10", like=wgan).setting[:2] == ("wgan", "clip")  # its own loss's baseline
    near = ix.nearest("dcgan", "cifar10", 1e-4, 0.0)
    assert near.setting == ("ns", "none", "all") and near.l1 == 1e-4  # not the first-layer entry
    first = ix.nearest("dcgan", "cifar10", 1e-4, 0.0, setting=("ns", "none", "first"))
    assert first.setting[2] == "first"


def test_sentences_read_each_setting_against_the_baseline_seeds_range():
    text = colour.sentences(_index())
    assert text[0].startswith("The colour DCGAN's baseline scores judge FD 40.0–44.0 over 3 seeds")
    assert "on the ruler: between real + noise σ 0.1 (20.0) and real + noise σ 0.3 (60.0)" in text[0]
    joined = " ".join(text)
    # the one rule of every screen (verdicts.Effect): beyond the seed spread (2) and the seed ranges apart
    # and every verdict names how many seeds it saw on each side (issue 25, point 6)
    assert ("Wasserstein + weight clipping: FD 82.5 (draws 80.0–85.0), higher (worse) by 40.5, beyond the seed "
            "spread of 2 (3 and 1 seed); mode collapse.") in joined
    assert ("(first layer only): FD 42.0 (draws 41.0–43.0), unchanged, within the seed spread of 2 (3 and 1 seed)."
            in joined)
    assert "L1 0.0001 on the generator: FD 30.5 (draws 30.0–31.0), lower (better) by 11.5, beyond the seed spread" \
        in joined


def test_a_setting_apart_from_the_seeds_but_closer_than_their_spread_is_no_effect():
    """FD 199.5 against baseline seeds 116-175 (spread 58.6): the ranges are apart, the difference (48) is
    not beyond the spread, so Learn says what Explore says (the shipped unconstrained WGAN)."""
    ix = _index()
    plain = [e for e in ix.entries if e.is_baseline and e.setting == ("ns", "none", "all")]
    for e, fd in zip(plain, (174.6, 116.0, 163.6), strict=True):
        e.metrics.update(fd=fd, fd_draws=[fd, fd])
    wgan = next(e for e in ix.entries if e.setting[0] == "wgan")
    wgan.metrics.update(fd=199.5, fd_draws=[199.0, 200.0], class_entropy=2.2)
    assert "Wasserstein + weight clipping 200 (within spread)" in colour.summary(ix)
    assert any("higher (worse) by 48.1, within the seed spread of 58.6" in t for t in colour.sentences(ix))


def test_table_and_missing_list_the_grid():
    ix = _index()
    t = colour.table(ix)
    assert t.count("\n") == 1 + 7
    assert ("| Wasserstein + weight clipping | 0 | 82.5 (80.0–85.0) | between real as 8×8 colour blocks (70.0) and "
            "one image repeated (90.0) | 1.3 of 10 (collapse)") in t
    assert "| spectral norm on the discriminator | 0 | 35.5 (35.0–36.0) |" in t
    assert "conv1 1.00 · conv2 1.00 · head 1.00 | 1.0% | 1,000 steps, 1.0 min |" in t
    missing = colour.missing(ix)
    assert "Wasserstein + GP (5 critic steps) s0" in missing and "baseline s0" not in missing
    assert "dropout 0 s0" in missing
    rulers = colour.ruler_table(ix)
    assert "| CIFAR-10 (colour) | 2000 | 1.20 | 20.00 | 60.00 | 70.00 | 150.00 | 90.00 |" in rulers
    assert colour.summary(ix).startswith("Colour DCGAN on CIFAR-10 (colour): baseline FD 40–44 over 3 seeds")


def test_a_setting_trained_with_several_seeds_is_judged_on_all_of_them():
    ix = _index()
    grid = {(z.tag, z.seed): z for z in colour_block("cifar10") if z.tag == "dropout"}
    ix.entries.extend(_entry(grid[("dropout", s)], [fd, fd]) for s, fd in ((0, 30.0), (1, 50.0), (2, 40.0)))
    said = [t for t in colour.sentences(ix) if t.startswith("Dropout 0 in D")]
    # one sentence over the three seeds, not three one-seed verdicts (seed 0's 30.0 alone read "better")
    assert said == ["Dropout 0 in D (baseline 0.3): FD 40.0 over 3 seeds (30.0–50.0), lower (better) by 2, within "
                    "the seed spread of 20 (3 seeds each)."]


def test_only_baselines_a_verdict_leans_on_must_have_three_seeds():
    from normgen.zoo.agreement import agreement_markdown, baseline_seeds, thin_baselines

    ix = _index()
    by = {b.setting: b for b in baseline_seeds(ix)}
    assert by[("ns", "none", "all")].leaned_on and len(by[("ns", "none", "all")].seeds) == 3
    # the ladder's rungs are recipes of their own that nothing is judged against: points, not thin baselines
    assert not by[("wgan", "clip", "all")].leaned_on and not by[("ns", "sn", "all")].leaned_on
    assert thin_baselines(ix) == []
    text = agreement_markdown(ix)
    assert "- none: every baseline a verdict leans on has 3 seeds or more" in text
    assert "loss wgan, Lipschitz clip: 1 seed" in text.split("no verdict is judged against")[1]
