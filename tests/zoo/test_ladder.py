"""normgen.zoo.ladder: the colour block's Lipschitz ladder read from the index only. Each rung finds its entry
(Wasserstein none / clipping / gradient penalty, L2 on D, spectral norm) and is judged against the baseline
seeds by the one rule; Learn's paragraph, its plot and Explore's labels carry the index's numbers (change an
entry's FD or σ_max and the words change with it); a rung the index lacks reads "not built"."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from normgen.app.tabs import learn
from normgen.zoo import ladder
from normgen.zoo.index import Entry, ZooIndex
from normgen.zoo.spec import colour_block


def _entry(spec, fd_draws, sigma=None) -> Entry:
    row = {**{k: v for k, v in spec.to_dict().items() if k not in ("priority", "tag")},
           "steps": 3000, "device": "cpu", "wall_s": 60.0, "sha256": "0" * 64,
           "metrics": {"fd": sum(fd_draws) / len(fd_draws), "fd_draws": fd_draws, "class_entropy": 1.5},
           "weights": {"generator": {"near_zero_pct": 1.0}}}
    if sigma:
        row["sigma_max"] = sigma
    return Entry.from_dict(row)


def _index(gp: bool = True) -> ZooIndex:
    grid = colour_block("cifar10")
    pick = {(z.tag, z.seed, z.lipschitz, z.target, z.l2): z for z in grid}
    es = [_entry(pick[("baseline", s, "none", "generator", 0.0)], [60.0 + s, 61.0 + s],
                 {"conv1": 0.3, "conv2": 0.9, "head": 1.2 + s / 10}) for s in (0, 1, 2)]
    es.append(_entry(pick[("ladder", 0, "none", "generator", 0.0)], [76.0, 77.0], {"conv1": 0.5, "head": 1.9}))
    es.append(_entry(pick[("target", 0, "none", "discriminator", 1e-2)], [61.0, 61.5], {"conv1": 0.4, "head": 0.9}))
    es.append(_entry(pick[("ladder", 0, "clip", "generator", 0.0)], [78.0, 79.0], {"conv1": 0.1, "head": 0.4}))
    if gp:
        es.append(_entry(pick[("ladder", 0, "gp", "generator", 0.0)], [50.0, 50.4], {"conv1": 2.5, "head": 3.0}))
    es.append(_entry(pick[("ladder", 0, "sn", "generator", 0.0)], [75.0, 76.0], {"conv1": 1.0, "head": 1.0}))
    return ZooIndex(Path("."), es, floors={"cifar10": {"fd": 0.5, "n": 2000, "ruler": {"blocks8": 71.2}}})


def test_each_rung_finds_its_entry_and_verdict():
    rungs = {r.key: r for r in ladder.ladder(_index())}
    assert list(rungs) == ["none", "l2", "clip", "gp", "sn"]
    assert rungs["none"].entry.setting[:2] == ("wgan", "none") and rungs["none"].verdict == "worse"
    assert rungs["l2"].entry.target == "discriminator" and rungs["l2"].verdict == "within spread"
    assert rungs["gp"].entry.extra["n_critic"] == 5 and rungs["gp"].verdict == "better"
    assert rungs["sn"].sigma == {"conv1": 1.0, "head": 1.0}
    assert ladder.band(_index()) == (60.0, 63.0)


def test_the_paragraph_and_labels_carry_the_index_numbers():
    ix = _index()
    text = ladder.paragraph(ix)
    assert "baseline FD 60.0–63.0 (3 seeds)" in text and "gradient penalty 50.2" in text
    assert "3 of 5 worse, 1 of 5 better beyond the spread" in text
    assert "σ_max ≤ 1 throughout: L2 on D, clipping and spectral norm" in text
    # the same index with one FD changed: the words follow the file, nothing is typed in
    moved = replace(ix, entries=[replace(e, metrics={**e.metrics, "fd": 90.0, "fd_draws": [89.0, 91.0]})
                                 if e.setting[:2] == ("wgan", "gp") else e for e in ix.entries])
    assert "gradient penalty 90.0" in ladder.paragraph(moved)
    assert "4 of 5 worse" in ladder.paragraph(moved)
    labels = [ladder.choice_label(r) for r in ladder.ladder(ix)]
    assert "gradient penalty · FD 50.2 (better) · σ_max 2.50/3.00" in labels


def test_a_missing_rung_reads_not_built():
    ix = _index(gp=False)
    rungs = {r.key: r for r in ladder.ladder(ix)}
    assert rungs["gp"].entry is None and ladder.choice_label(rungs["gp"]) == "gradient penalty · not built"
    assert "gradient penalty" not in ladder.paragraph(ix)
    assert "| gradient penalty |" in ladder.table(ix) and "not built" in ladder.table(ix)
    assert ladder.paragraph(ZooIndex(Path("."), [])) == "" and ladder.picture(ZooIndex(Path("."), [])) is None


def test_learn_shows_the_ladder_from_the_index():
    ix = _index()
    page = learn.learn_page(ix, "cifar10")
    block = next(b for b in page if b.markdown.startswith("## The Lipschitz ladder: colour DCGAN on CIFAR-10"))
    assert ladder.paragraph(ix) in block.markdown and "loss=sn" in block.markdown
    (pic,) = block.pictures
    assert pic.key == "ladder" and "gradient penalty: FD 50.2, better" in pic.alt
    assert len(pic.fig.axes) == 2  # FD per rung, and D's σ_max per layer
