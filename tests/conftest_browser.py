"""A tiny zoo for the UI tests: real checkpoint files and a real index, built in seconds.

Not a pytest conftest (pytest does not load this name automatically): the UI tests import
`build_tiny_zoo` from it. The checkpoints are small untrained models (ch=8) whose weights are then
soft-thresholded (the "L1" points) or scaled (the "L2" points), so sparsity and norms move with
lambda like a real sweep; the weight statistics in the index are computed from those weights with
normgen.eval.metrics, and the judge metrics are synthetic numbers that are a known function of lambda
(the tests check the UI reports them, not that they are meaningful).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import torch

from normgen.checkpoints import save, sha256
from normgen.config import make_config
from normgen.eval.metrics import model_weight_stats
from normgen.models import build_model
from normgen.regularizers import RegConfig, penalized_weights
from normgen.zoo.index import Entry, ZooIndex, write_index

L1S = (1e-5, 1e-4, 1e-3)
L2S = (1e-3, 1e-1)


def fake_fd(l1: float, l2: float, seed: int) -> float:
    """A made-up judge FD that grows with lambda, with a seed offset of 2."""
    return round(20.0 + 2.0 * seed + 1e4 * l1 + 50.0 * l2, 3)


def _entry_for(root: Path, model: str, dataset: str, l1: float, l2: float, seed: int, variant: str = "loss",
               g_norm: str = "none") -> Entry:
    target = "decoder" if model == "vae" else "generator"
    cfg = make_config(model, dataset, model_overrides={"ch": 8, "g_norm": g_norm},
                      reg=RegConfig(l1=l1, l2=l2, target=target, variant=variant), steps=10, seed=seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        m = build_model(cfg.model)
    with torch.no_grad():
        for _, w in penalized_weights(m.parts[target]):
            if l1:
                thr = min(0.9, l1 * 300) * w.abs().max()
                w.copy_(torch.sign(w) * torch.clamp(w.abs() - thr, min=0.0))
            if l2:
                w.mul_(1.0 / (1.0 + 30.0 * l2))
    ident = f"{model}-{dataset}-{g_norm}-{target}-{variant}-l1={l1:g}-l2={l2:g}-s{seed}"
    rel = f"{model}/{dataset}/{ident}.safetensors"
    parts = list(m.parts) if not (l1 or l2) else list(m.sampler_parts)  # baselines: all, to fine-tune from
    save(root / rel, m, cfg, parts=parts)
    stats = model_weight_stats(m.parts)
    k = cfg.model.num_classes
    hist = [10] * k if l1 < 1e-3 else [10 * k - (k - 1)] + [1] * (k - 1)
    p = [h / sum(hist) for h in hist]
    metrics = {"fd": fake_fd(l1, l2, seed), "confident_pct": 90.0 - 100 * l1,
               "class_hist": hist, "class_entropy": -sum(q * math.log(q) for q in p)}
    if model == "vae":
        metrics["rec_error"] = round(0.1 + 10 * l1 + l2, 4)
    return Entry(id=ident, file=rel, model=model, dataset=dataset, g_norm=g_norm, d_norm="none", target=target,
                 variant=variant, l1=l1, l2=l2, group=0.0, act=0.0, seed=seed, steps=10, device="cpu",
                 wall_s=0.1, sha256=sha256(root / rel), parts=parts, metrics=metrics,
                 weights={part: s["total"] for part, s in stats.items()})


def build_tiny_zoo(root: str | Path, models: tuple[str, ...] = ("gan", "vae"), dataset: str = "shapes",
                   seeds: tuple[int, ...] = (0, 1)) -> ZooIndex:
    """Baseline + L1 axis + L2 axis (+ one proximal L1 and one elastic-net point for the GAN), two seeds at the baseline
    and at the middle L1 point, one seed elsewhere. Writes `root/index.json` and returns the index."""
    root = Path(root)
    entries = []
    for model in models:
        for seed in seeds:
            entries.append(_entry_for(root, model, dataset, 0.0, 0.0, seed))
            entries.append(_entry_for(root, model, dataset, L1S[1], 0.0, seed))
        for l1 in (L1S[0], L1S[2]):
            entries.append(_entry_for(root, model, dataset, l1, 0.0, seeds[0]))
        for l2 in L2S:
            entries.append(_entry_for(root, model, dataset, 0.0, l2, seeds[0]))
        if model == "gan":
            entries.append(_entry_for(root, model, dataset, L1S[1], 0.0, seeds[0], variant="proximal"))
            entries.append(_entry_for(root, model, dataset, L1S[1], L2S[0], seeds[0]))  # elastic net
    index = ZooIndex(root=root, entries=entries, floors={dataset: {"fd": 1.5}})
    write_index(index, root)
    return index


# ----------------------------------------------------------------------------------------------
# the small-data block: the same tiny checkpoints, indexed as trained on a subset, with made-up
# generalization metrics that are known functions of lambda, dropout and seed (per pixel, as the index
# stores them)

SMALL_SEEDS = (0, 1, 2)
# (model, training images, target, l1, l2, dropout): the points of each small block, baselines first
SMALL_POINTS = (
    ("vae", 300, "decoder", 0.0, 0.0, 0.0), ("vae", 300, "decoder", 0.0, 1e-4, 0.0),
    ("vae", 300, "decoder", 0.0, 1e-3, 0.0), ("vae", 300, "decoder", 1e-4, 0.0, 0.0),
    ("vae", 300, "decoder", 0.0, 0.0, 0.2), ("vae", 300, "decoder", 0.0, 0.0, 0.5),
    ("vae", 300, "decoder", 0.0, 1e-3, 0.2),
    ("vae", 2000, "decoder", 0.0, 0.0, 0.0), ("vae", 2000, "decoder", 0.0, 1e-3, 0.0),
    ("gan", 300, "discriminator", 0.0, 0.0, 0.0), ("gan", 300, "discriminator", 0.0, 1e-3, 0.0),
    ("gan", 300, "discriminator", 0.0, 0.0, 0.3),
)


def fake_vae_small(l1: float, l2: float, dropout: float, seed: int, n: int = 300) -> dict[str, float]:
    """ELBOs per pixel on 300 (or, scaled down, 2,000) images: L2 raises the held-out ELBO, L1 only
    narrows the gap, dropout narrows the gap but lowers the held-out ELBO; seeds spread the gap by
    0.005 and the held-out ELBO by 0.002 each."""
    f = 1.0 if n == 300 else 0.3
    gap = f * (0.09 - 200 * l1 - 60 * l2 - 0.1 * dropout) + 0.005 * seed
    test = -0.195 + 20 * l2 - 0.05 * dropout - 0.002 * seed
    iwae = test + 0.01 - 8 * l2  # the tighter bound: about half of L2's ELBO gain is the bound tightening
    return {"elbo_gap": gap, "elbo_test": test, "elbo_train": test + gap,
            "iwae_test": iwae, "iwae_train": iwae + 0.6 * gap, "iwae_gap": 0.6 * gap, "iwae_k": 64.0, "iwae_n": 300.0,
            "near_copy_pct": 0.5 + 0.1 * seed - 100 * l2, "copy_ratio": 1.1 + 20 * l2 + 0.01 * seed,
            "memorization_pct": 73.0 - 1e4 * l2 - 20 * dropout + seed, "gen_m": float(n)}


def fake_gan_small(l2: float, dropout: float, seed: int) -> dict[str, float]:
    """D logits on 300 images: L2 1e-3 on D barely moves the gap (within the seed spread of 0.2),
    dropout 0.3 closes most of it; memorization falls with dropout only."""
    d_gap = 1.75 + 0.1 * seed - 5 * l2 - 3 * dropout
    return {"d_train": 1.3 + 0.05 * seed, "d_held": 1.3 + 0.05 * seed - d_gap, "d_gap": d_gap,
            "near_copy_pct": 1.0 + 0.2 * seed, "copy_ratio": 1.05 + 0.01 * seed,
            "memorization_pct": 63.0 + seed - 30 * dropout, "gen_m": 300.0}


def fake_vae_full(l1: float, l2: float, seed: int) -> dict[str, float]:
    """The full-data VAE: no gap to speak of, and a penalty only lowers the held-out ELBO."""
    gap, test = -0.001 + 0.0005 * seed, -0.14 - 5 * l2 - 10 * l1 - 0.0001 * seed
    return {"elbo_gap": gap, "elbo_test": test, "elbo_train": test + gap}


def build_small_zoo(root: str | Path, dataset: str = "shapes") -> ZooIndex:
    """build_tiny_zoo's full-data zoo (its VAE entries with ELBOs added) plus SMALL_POINTS x SMALL_SEEDS on
    a subset, all with the same step count, so only `train_size` tells the blocks apart."""
    root = Path(root)
    full = build_tiny_zoo(root, dataset=dataset)
    entries = [replace(e, metrics={**e.metrics, **fake_vae_full(e.l1, e.l2, e.seed)}) if e.model == "vae" else e
               for e in full.entries]
    for model, n, target, l1, l2, dropout in SMALL_POINTS:
        for seed in SMALL_SEEDS:
            sub = f"n{n}-do{dropout:g}-{target}"  # one folder per block and dropout: the files' names repeat
            e = _entry_for(root / sub, model, dataset, l1, l2, seed)
            extra = fake_vae_small(l1, l2, dropout, seed, n) if model == "vae" else fake_gan_small(l2, dropout, seed)
            ident = f"{e.id}-{target}" + (f"-do={dropout:g}" if dropout else "") + f"-n{n}"
            entries.append(replace(e, id=ident, file=f"{sub}/{e.file}", target=target, train_size=n, dropout=dropout,
                                   metrics={**e.metrics, **extra}))
    index = ZooIndex(root=root, entries=entries, floors=full.floors)
    write_index(index, root)
    return index


# ----------------------------------------------------------------------------------------------
# driving the launched app in Chromium (used by tests/test_browser.py and scripts/screenshots.py)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1366, "height": 900}


def chromium_path() -> str | None:
    """Debian's Chromium (never a Playwright download)."""
    import shutil

    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def launch_app(root: str | Path | None = None, data_root: str | Path | None = None):
    """build_demo() launched in this process on a free port: (demo, url). Call demo.close() after."""
    from normgen.app import build_demo
    from normgen.app.style import launch_kwargs

    demo = build_demo(str(root) if root else None, str(data_root) if data_root else None)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True,
                            ssr_mode=False, **launch_kwargs())  # the theme and CSS app.py uses
    return demo, url


def wait_until(cond, timeout: float, what: str, poll: float = 0.2):
    """Poll `cond()` until it returns a truthy value; AssertionError naming `what` after `timeout` s."""
    import time

    end = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(poll)


def img_src(page, elem_id: str) -> str | None:
    """The src of the first <img> inside #elem_id (None if there is none yet)."""
    loc = page.locator(f"#{elem_id} img")
    return loc.first.get_attribute("src") if loc.count() else None


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def _label(text: str) -> str:
    """An option's label without the check mark Gradio puts before the selected one."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip() and ln.strip() != "✓"]
    return lines[-1] if lines else ""


def pick_other_option(page, elem_id: str) -> tuple[str, str]:
    """In the gr.Dropdown #elem_id, pick the last option whose label differs from the shown value.
    Returns (old label, new label)."""
    box = page.locator(f"#{elem_id} input").first
    old = box.input_value()
    box.click()
    opts = page.get_by_role("option")
    wait_until(lambda: opts.count() > 0, 10, f"the options of #{elem_id}")
    labels = [_label(t) for t in opts.all_inner_texts()]
    others = [i for i, t in enumerate(labels) if t != old]
    if not others:
        raise AssertionError(f"#{elem_id} offers only {labels}")
    new = labels[others[-1]]
    opts.nth(others[-1]).click()
    return old, new


def pick_option(page, elem_id: str, pattern) -> str:
    """In the gr.Dropdown #elem_id, pick the first option whose label matches the regex `pattern`."""
    import re

    page.locator(f"#{elem_id} input").first.click()
    opts = page.get_by_role("option")
    wait_until(lambda: opts.count() > 0, 10, f"the options of #{elem_id}")
    labels = [_label(t) for t in opts.all_inner_texts()]
    hits = [i for i, t in enumerate(labels) if re.search(pattern, t)]
    if not hits:
        raise AssertionError(f"#{elem_id}: no option matches {pattern!r}; options: {labels}")
    opts.nth(hits[0]).click()
    return labels[hits[0]]


def status_text(page) -> str:
    return page.locator("#train-status").inner_text()


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here (no playwright package, no Chromium), or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the python package playwright is not installed (pip install -r requirements-dev.txt)"
    if chromium_path() is None:
        return "Chromium is not installed (Debian: apt-get install -y chromium); never `playwright install`"
    return None


def tiny_app(tmp_path_factory, name: str):
    """A module fixture's body: skip (or, with NORMGEN_REQUIRE_BROWSER=1, fail) without a browser, else
    build the tiny zoo in a fresh folder `name`, launch the app on it and yield (its URL, the zoo's folder);
    closed after."""
    import os

    import pytest

    why = browser_unavailable()
    if why:
        if os.environ.get("NORMGEN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"NORMGEN_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    root = tmp_path_factory.mktemp(name)
    build_tiny_zoo(root)
    demo, url = launch_app(root)
    yield url, root
    demo.close()


def tiny_app_url(tmp_path_factory, name: str):
    """`tiny_app`, yielding its URL alone."""
    for url, _ in tiny_app(tmp_path_factory, name):
        yield url
