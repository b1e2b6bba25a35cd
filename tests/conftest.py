"""Shared fixtures: a small `shapes` dataset, tiny training configs, one tiny trained model, and the
real-data root (tests that need MNIST / Fashion-MNIST skip with a reason when it is absent).

Everything here is small on purpose: the suite runs on 2 busy CPU cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from normgen.config import TrainConfig, make_config
from normgen.data import Dataset, make_shapes
from normgen.engine.train import TrainResult, train
from normgen.regularizers import RegConfig

REPO_ROOT = Path(__file__).resolve().parents[1]
TINY_CH = 8  # base channels of the tiny test models (the real default is much larger)


OWN_TMP = pytest.StashKey[tuple[Path, "str | None", "str | None"]]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """The suite's temporary files go to a folder of its own, made here and removed when the run ends, for
    this process and every process it starts: a killed server's folder, Gradio's cache and the folder Gradio
    fixes at import (so this runs before collection imports it), torch's Inductor cache, the empty folder
    gradio_client leaves in the temp dir for every file it downloads, and pytest's base temp (`<own>/p`, set
    before pytest reads it, unless --basetemp was given: as short as `/tmp/pytest-of-<user>/pytest-<n>`, since a
    multiprocessing socket under a test's `tmp_path` must fit AF_UNIX's 107 characters). Nothing is left in the
    machine's temp dir."""
    import tempfile

    own = Path(tempfile.mkdtemp(prefix="normgen-tests-"))
    config.stash[OWN_TMP] = (own, tempfile.tempdir, os.environ.get("TMPDIR"))
    tempfile.tempdir = os.environ["TMPDIR"] = str(own)
    if not config.option.basetemp:
        config.option.basetemp = str(own / "p")


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil
    import tempfile

    if OWN_TMP not in config.stash:
        return
    own, tempdir, env = config.stash[OWN_TMP]
    tempfile.tempdir = tempdir
    if env is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = env
    shutil.rmtree(own, ignore_errors=True)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shapes_small() -> Dataset:
    """256 shapes images (seed 0): enough for a few dozen tiny training steps."""
    return make_shapes(256, seed=0)


def tiny_config(model: str = "gan", *, steps: int = 10, reg: RegConfig | None = None,
                ch: int = TINY_CH, model_overrides: dict | None = None, **train_kw) -> TrainConfig:
    """A TrainConfig for a tiny model on `shapes` that trains in well under a second."""
    kw = {"batch_size": 16, "log_every": 5, "sample_every": 10, "n_samples": 8, **train_kw}
    mo = {"ch": ch, **(model_overrides or {})}
    return make_config(model, "shapes", model_overrides=mo, reg=reg, steps=steps, **kw)


@pytest.fixture
def make_tiny_config() -> Callable[..., TrainConfig]:
    return tiny_config


@pytest.fixture(scope="session")
def trained_gan(shapes_small: Dataset) -> TrainResult:
    """A tiny GAN after 10 steps on shapes (for checkpoint and sampling tests; do not mutate)."""
    return train(tiny_config("gan", steps=10), data=shapes_small, device="cpu")


@pytest.fixture(scope="session")
def trained_cgan(shapes_small: Dataset) -> TrainResult:
    """A tiny conditional GAN (4 shapes classes) after 10 steps (do not mutate)."""
    return train(tiny_config("cgan", steps=10), data=shapes_small, device="cpu")


def real_data_root() -> Path:
    """$NORMGEN_DATA (the Makefile sets it to ../shared/data), else ../shared/data beside the repo."""
    env = os.environ.get("NORMGEN_DATA")
    return Path(env).expanduser() if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The folder holding MNIST/raw and FashionMNIST/raw; skips the test when it is absent."""
    root = real_data_root()
    if not root.is_dir():
        pytest.skip(f"real datasets not available: {root} does not exist (set NORMGEN_DATA to a folder "
                    "holding MNIST/raw and FashionMNIST/raw)")
    return root


def state_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    """True when two modules hold bit-identical state dicts (same keys, same values)."""
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.fixture(autouse=True)
def _keep_thread_count():
    """Some tests pin torch to one thread; restore it, so session fixtures built with another count
    (trained_gan) are still replayed bit for bit by later tests."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)
