"""The zoo that ships in checkpoints/: every entry loads, matches its sha256 and samples on the CPU;
every entry's weight statistics in the index equal those of its file; the index's metrics of two
entries are recomputed here and match; a tampered copy is rejected."""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pytest
import torch

from normgen.checkpoints import CheckpointError
from normgen.data import DatasetUnavailable, dataset_info, load_dataset
from normgen.engine.sampling import sample
from normgen.eval.metrics import model_weight_stats
from normgen.eval.quality import evaluate
from normgen.service.requests import ExploreQuery
from normgen.zoo.files import load_entry, load_judge
from normgen.zoo.index import TRAINED_KEY, load_index
from normgen.zoo.judges import EVAL_SEED

ROOT = Path(__file__).resolve().parents[2] / "checkpoints"


@pytest.fixture(scope="module")
def index():
    idx = load_index(ROOT)
    if not len(idx):
        pytest.fail("checkpoints/index.json lists no entries: the shipped zoo is missing")
    return idx


def test_core_models_are_shipped(index):
    for model in ("gan", "vae", "cgan"):
        base = index.baseline(model, "mnist")
        assert base is not None, f"no {model} MNIST baseline in the zoo"
        assert index.find(model=model, dataset="mnist", l2=0.0, group=0.0, variant="loss", seed=0), model


def test_every_grid_position_of_the_mnist_core_grid_is_shipped(index):
    """Issue 4's "done when": Explore can show every lambda position of the GAN, VAE and cGAN grids."""
    from normgen.zoo.spec import spec

    core = [s for s in spec(("mnist",)) if s.priority == 1]
    missing = [s.id for s in core if index.get(s.id) is None]
    assert not missing, f"missing from checkpoints/: {missing}"
    assert {s.model for s in core} == {"gan", "vae", "cgan"}


def test_the_zoo_fits_its_size_budget():
    total = sum(p.stat().st_size for p in ROOT.rglob("*") if p.is_file())
    assert total <= 130e6, f"checkpoints/ holds {total / 1e6:.1f} MB, over the 130 MB budget (issues 12, 24)"


def test_every_entry_loads_matches_sha_and_samples(index):
    for e in index.entries:
        ck = load_entry(e, ROOT)  # checks sha256 first
        x = sample(ck.model, 4, seed=1)
        assert x.shape == (4, *dataset_info(e.dataset).image_shape), e.id  # CIFAR-10: (3, 32, 32)
        assert torch.isfinite(x).all() and x.abs().max() <= 1.0, e.id


def test_sampling_is_reproducible(index):
    e = index.baseline("gan", "mnist")
    a = sample(load_entry(e, ROOT).model, 16, seed=5)
    b = sample(load_entry(e, ROOT).model, 16, seed=5)
    assert torch.equal(a, b)


def test_tampered_copy_is_rejected(index, tmp_path):
    e = index.entries[0]
    copy = tmp_path / "zoo"
    (copy / Path(e.file).parent).mkdir(parents=True)
    shutil.copy(ROOT / "index.json", copy / "index.json")
    data = bytearray((ROOT / e.file).read_bytes())
    data[len(data) // 2] ^= 0x01
    (copy / e.file).write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        load_entry(e, copy)


# The colour DCGAN entries (CIFAR-10) are being retrained on another branch; their rows still hold the
# statistics of the float32 weights. Once merged, `python -m normgen zoo restat` brings them in line,
# and this mark (strict: the test then passes and the mark fails it) must go.
STATS_PENDING: dict[str, str] = {}  # dataset -> why its rows are not yet restated (none)


def _datasets() -> list:
    names = sorted({e.dataset for e in load_index(ROOT).entries})
    return [pytest.param(d, marks=pytest.mark.xfail(strict=True, reason=STATS_PENDING[d])) if d in STATS_PENDING
            else d for d in names]


@pytest.mark.parametrize("dataset", _datasets())
def test_every_entrys_weight_statistics_are_those_of_its_file(index, dataset):
    """Issue 25: the numbers on screen describe the file a user downloads. For every shipped entry, each
    weight statistic the index stores (per stored part: count, L1, L2, near-zero %, exact zeros %, dead
    filters %) is recomputed here from the file as `load` returns it; a part the file does not store has no
    `weights` row (its trained figures sit apart, in `trained_weights`)."""
    bad = []
    for e in index.find(dataset=dataset):
        ck = load_entry(e, ROOT)
        assert set(e.weights) == set(ck.parts), (e.id, sorted(e.weights), ck.parts)
        assert not set(e.extra.get(TRAINED_KEY, {})) & set(ck.parts), e.id
        got = model_weight_stats({p: ck.model.parts[p] for p in ck.parts})
        for part, want in e.weights.items():
            have = got[part]["total"]
            assert set(want) == set(have), (e.id, part)
            bad += [(e.id, part, k, want[k], have[k]) for k in want
                    if have[k] != pytest.approx(want[k], rel=1e-6, abs=1e-9)]  # float32 sums: order-dependent
    assert not bad, f"{len(bad)} index figures differ from their files, e.g. {bad[:3]}"


def test_the_card_is_generated_from_the_index():
    """Issue 25: every number of checkpoints/README.md (notes included) comes from the index by code:
    regenerating it changes nothing. After a build or `zoo restat`, run `python -m normgen zoo card`."""
    from normgen.zoo.card import render

    shipped = (ROOT / "README.md").read_text(encoding="utf-8")
    fresh = render(load_index(ROOT)) + "\n"
    if fresh != shipped:
        diff = [ln for ln in difflib.unified_diff(shipped.splitlines(), fresh.splitlines(), "shipped", "regenerated",
                                                   lineterm="", n=0)][:12]
        pytest.fail("checkpoints/README.md differs from the card the index generates; run `python -m normgen zoo "
                    "card`:\n" + "\n".join(diff))


def test_the_readme_types_no_zoo_counts():
    """The README and the zoo's page quote no count or size of the zoo (they drifted: "186 models / 91.3 MiB"
    against 194 entries); the card's Contents table, generated from the index, has them."""
    readme = (ROOT.parent / "README.md").read_text(encoding="utf-8")
    page = (ROOT.parent / "docs" / "zoo.md").read_text(encoding="utf-8")
    zoo = page[:page.index("Rebuild (resumable")]
    assert not re.findall(r"\b\d[\d,]* (?:models|checkpoints|entries)\b", readme)  # (its MiB are memory)
    assert not re.findall(r"\b\d[\d,]* (?:models|checkpoints|entries)\b|\d MiB", zoo)


@pytest.mark.parametrize("entry_id", ["gan-mnist-none-generator-loss-l1=0-l2=0.1-g=0-s0",
                                      "cgan-mnist-none-generator-loss-l1=0-l2=1-g=0-s0",
                                      "gan-mnist-none-generator-loss-l1=0-l2=0-g=0-s0"])
def test_what_the_samples_look_like_is_measured_on_the_file(index, entry_id):
    """The words for a collapse come from ink share and per-pixel spread across samples (and, for the cGAN,
    the share the judge reads as the asked digit): recomputed here from the file, as `zoo restat` did."""
    from normgen.eval.quality import asked_pct, generate_many, picture_stats

    e = index.get(entry_id)
    x, y = generate_many(load_entry(e, ROOT).model, int(e.metrics["n"]), EVAL_SEED)
    want = picture_stats(x)
    if y is not None:
        want["asked_pct"] = asked_pct(load_judge(e.dataset, ROOT), x, y)
    for k, v in want.items():
        assert e.metrics[k] == pytest.approx(v, rel=1e-5, abs=1e-7), (entry_id, k)


def test_the_worst_float16_file_reads_as_the_index_says(index):
    """GAN L2 1e-1: its float16 file holds ~50% exact zeros; the index said 0.002% before issue 25."""
    e = index.get("gan-mnist-none-generator-loss-l1=0-l2=0.1-g=0-s0")
    w = next(p for n, p in load_entry(e, ROOT).model.parts["generator"].named_parameters() if n.endswith("weight"))
    assert e.weights["generator"]["zero_pct"] > 40
    assert (w == 0).any()


@pytest.mark.slow
def test_index_metrics_recomputed_for_two_entries(index, data_root):
    try:
        train = load_dataset("mnist", root=data_root, download=False)
        test = load_dataset("mnist", root=data_root, train=False, download=False)
    except DatasetUnavailable as exc:
        pytest.skip(str(exc))
    judge = load_judge("mnist", ROOT)
    assert judge is not None
    for model in ("gan", "vae"):
        e = index.baseline(model, "mnist")
        ck = load_entry(e, ROOT)
        m = evaluate(ck.model, judge, test, n=int(e.metrics["n"]), seed=EVAL_SEED,
                     train=train if model == "vae" else None)
        # the build scored one noise draw (EVAL_SEED); after `zoo rescore` the index reads the mean over
        # several draws and keeps that first draw as fd_first / confident_first
        first = {"fd": "fd_first", "confident_pct": "confident_first"}
        for key in ("fd", "confident_pct", "class_entropy", "within_class_div"):
            want = e.metrics.get(first.get(key, key), e.metrics[key])
            assert m[key] == pytest.approx(want, rel=1e-3, abs=1e-3), (e.id, key)
        if "fd_draws" in e.metrics:
            assert e.metrics["fd"] == pytest.approx(sum(e.metrics["fd_draws"]) / len(e.metrics["fd_draws"]))
            assert e.metrics["fd_draws"][0] == pytest.approx(m["fd"], rel=1e-3)
        assert m["class_hist"] == pytest.approx(e.metrics["class_hist"], abs=2), e.id


def test_compare_strip_of_the_shipped_l1_axis_has_short_captions(index):
    """Seven grids in a row leave ~150 px per caption: the λ and the FD must both fit."""
    from normgen.zoo import sweeps as S

    sw = S.list_sweeps(index, "gan", "mnist")[0]
    assert sw.key.kind == "l1" and sw.key.target == "generator" and sw.key.variant == "loss"  # the default
    caps = [c for _, c in S.strip(sw, root=ROOT)]
    assert len(caps) >= 7 and caps[0].startswith("λ = 0 · FD ")
    assert all(len(c) <= 15 and "FD" in c for c in caps), caps


def test_explore_gives_the_real_image_scale_of_fd_and_confidence(index):
    """Fashion's judge is unsure of many real images too: Explore says so beside the numbers."""
    from normgen.service.explorer import explore

    r = explore(ExploreQuery.parse("gan", "fashion", "none", 1e-3, 0.0, "generator", "loss", 0), root=ROOT)
    fl = index.floors["fashion"]
    assert (f"real training images vs real test images score FD {fl['fd']:.2f}, and the judge is confident on "
            f"{fl['confident_pct']:.1f}% of those real images") in r.details


def test_the_shipped_zoo_matches_its_grid_recipe(index):
    """`zoo build` would retrain nothing: every shipped entry has the recipe (steps included) that
    normgen/zoo/spec.py gives it today, so grid points of one model, dataset and training-set size are
    comparable."""
    from normgen.zoo.build import plan
    from normgen.zoo.judges import EVAL_N
    from normgen.zoo.spec import spec

    grid = [s for s in spec(tuple(sorted(index.judges, key=lambda d: d != "mnist"))) if index.get(s.id)]
    assert len(grid) == len(index), "the index lists entries the grid does not"
    stale = [s.id for s, state in plan(index, grid, steps=None, eval_n=EVAL_N, half=True) if state != "ok"]
    assert not stale, f"entries whose recipe or file differs from the grid: {stale[:5]}"
    by_steps = {(e.model, e.dataset, e.train_size, e.steps) for e in index.entries}
    assert len(by_steps) == len({(m, d, n) for m, d, n, _ in by_steps}), \
        "one step count per (model, dataset, training-set size)"


def test_the_mnist_gan_baseline_beats_a_quick_plain_dcgan(index):
    """Issue 4's quality floor, the part this zoo meets: a plain DCGAN (pytorch/examples recipe) run for
    3 minutes on the 2-core CPU scored FD 80.5, 99.9, 117.7 and 125.8 in four runs (scripts/quick_dcgan.py,
    scripts/floor_scale.py); every seed of the shipped baseline must be clearly better than the best of
    them and draw all ten digits."""
    bases = [e for e in index.find(model="gan", dataset="mnist", g_norm="none", target="generator",
                                   variant="loss", train_size=0) if e.is_baseline]
    assert len(bases) >= 2
    for e in bases:
        assert e.metrics["fd"] < 0.8 * 80.5, (e.id, e.metrics["fd"])
        assert e.metrics["class_entropy"] > 2.2 and min(e.metrics["class_hist"]) > 0, e.id


def test_explore_headline_says_where_fd_lies_against_the_seed_spread():
    """MNIST L1 1e-4 (FD 48-58 over two seeds) is inside the baseline's spread; on Fashion-MNIST the same
    λ moved FD from 32-34 to 42-49, more than the seeds and the noise draws move it: the headline says
    which, from the seeds and draws in the index."""
    from normgen.service.explorer import explore

    mnist = explore(ExploreQuery.parse("gan", "mnist", "none", 1e-4, 0.0, "generator", "loss", 0), root=ROOT).headline
    fashion = explore(ExploreQuery.parse("gan", "fashion", "none", 1e-4, 0.0, "generator", "loss", 0),
                      root=ROOT).headline
    assert re.search(r"\(within the seed-to-seed or sampling spread; \d+ (and \d+ )?seeds?( each)?\)\.$", mnist), mnist
    assert re.search(r"\(larger than the seed-to-seed and sampling spread; \d+ (and \d+ )?seeds?( each)?\)\.$",
                     fashion) or "judges disagree" in fashion, fashion


def test_explore_shows_the_files_numbers_and_says_what_a_collapse_looks_like():
    """GAN L2 1e-1: Explore's exact-zero figure is the file's (50.1%, not the 0.002% of the trained float32
    weights) and says where those zeros come from; cGAN L2 1: the headline says one picture repeated, with the
    ink and the share drawn as the asked digit, instead of "blank"."""
    from normgen.service.explorer import explore

    r = explore(ExploreQuery.parse("gan", "mnist", "none", 0, 0.1, "generator", "loss", 0), root=str(ROOT))
    assert r.stats["weights_source"]["selected"] == "index"
    assert r.stats["selected"]["weights"]["zero_pct"] == pytest.approx(50.11, abs=0.01)
    assert "| exactly-zero weights | 0.0% | 50.1% |" in r.details and "storage's: the file holds float16" in r.details
    c = explore(ExploreQuery.parse("cgan", "mnist", "none", 0, 1.0, "generator", "loss", 0), root=str(ROOT))
    assert "the same picture repeated (spread 0.0017 per pixel, baseline 0.19), ink 15% (14%), asked class 10% " \
           "(98%)" in c.headline
    assert "blank" not in c.headline


def test_explores_fd_line_says_whose_numbers_it_shows_and_which_means_it_judges():
    """The line read 'FD to real test images 53.99 → 57.79: the change of the mean (-0.26) is within ...': the two
    numbers are training seed 0's files (+3.8), the judged change is of the means over the seeds (3 and 2), and
    the line did not say either. It names the files' seed and writes the two means it judges."""
    from normgen.service.explorer import explore

    r = explore(ExploreQuery.parse("gan", "mnist", "none", 1e-4, 0.0, "generator", "loss", 0), root=ROOT)
    line = next(ln for ln in r.details.splitlines() if ln.startswith("- FD to real test images"))
    m = re.search(r"images ([\d.]+) → ([\d.]+) \(training seed 0's files\); over the training seeds the mean goes "
                  r"([\d.]+) → ([\d.]+) \(([-+][\d.]+)\)", line)
    assert m, line
    vb, vs, mb, ms, diff = (float(x) for x in m.groups())
    assert (vb, vs) == (round(r.stats["metrics"]["fd"]["baseline"], 2), round(r.stats["metrics"]["fd"]["selected"], 2))
    base, sel = r.stats["metrics"]["fd"]["baseline_seeds"], r.stats["metrics"]["fd"]["selected_seeds"]
    assert mb == round(sum(base) / len(base), 2) and ms == round(sum(sel) / len(sel), 2)
    assert abs((ms - mb) - diff) < 0.01


def test_every_iwae_on_screen_is_the_k_the_shipped_files_were_scored_with(index):
    """Screens write 'IWAE k=…' from normgen.eval.likelihood.K: true only while every record used that k."""
    from normgen.eval.likelihood import K

    ks = {e.metrics["iwae_k"] for e in index.entries if "iwae_k" in e.metrics}
    assert ks == {K}
