"""normgen.models.registry and the facts each family declares: they must agree with the model the
family builds, since every other layer trusts them instead of branching on the name."""

from __future__ import annotations

import pytest
import torch

from normgen.config import make_config
from normgen.data import DATASETS, Dataset, DatasetInfo
from normgen.engine.train import train
from normgen.models import FAMILIES, MODEL_NAMES, TARGETS, build_model, default_model_config, family
from normgen.regularizers import RegConfig


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_family_facts_match_the_model_it_builds(name):
    fam = family(name)
    assert fam.name == name and FAMILIES[name] is fam
    assert fam.label and fam.description and fam.objective
    model = build_model(default_model_config(name, ch=8))
    assert tuple(model.parts) == fam.part_names
    assert fam.sampler_part in fam.part_names
    assert set(fam.sampler_parts) <= set(fam.part_names) and fam.sampler_part in fam.sampler_parts
    # every part is updated by exactly one optimizer
    covered = [p for parts in fam.optimizers.values() for p in parts]
    assert sorted(covered) == sorted(fam.part_names)
    assert fam.targets() == (*fam.part_names, "both")
    assert set(fam.targets()) <= set(TARGETS)
    # defaults are real ModelConfig / TrainConfig fields (on a dataset with the channels the family takes)
    dataset = next(d for d, i in DATASETS.items() if fam.image_channels in (None, i.image_shape[0]))
    cfg = make_config(name, dataset)
    for k, v in fam.config_defaults.items():
        assert getattr(cfg.model, k) == v
    for k, v in fam.train_defaults.items():
        assert getattr(cfg, k) == v
    assert cfg.reg.target == fam.sampler_part


def test_unknown_family_lists_the_registered_ones():
    with pytest.raises(ValueError) as exc:
        family("diffusion")
    for name in MODEL_NAMES:
        assert name in str(exc.value)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_grid_columns_put_one_class_per_row_only_for_conditional_families(name):
    fam = family(name)
    model = build_model(default_model_config(name, ch=8, num_classes=4))
    cols = fam.grid_columns(32, 4)
    assert cols == (8 if fam.conditional else 6)
    labels = model.labels_for(32)
    assert (labels is not None) == fam.conditional
    if labels is not None:  # each grid row holds one class
        assert all(len(set(labels[r * cols:(r + 1) * cols].tolist())) == 1 for r in range(4))


def test_a_penalty_target_must_exist_for_the_family():
    with pytest.raises(ValueError, match="decoder"):
        make_config("gan", "shapes", reg=RegConfig(target="decoder"))


def test_a_conditional_family_needs_a_labelled_dataset(monkeypatch):
    info = DatasetInfo("blank", "unlabeled test images", (1, 8, 8), None, lambda *a: None)
    monkeypatch.setitem(DATASETS, "blank", info)
    make_config("gan", "blank")  # unconditional: fine
    with pytest.raises(ValueError, match="class labels"):
        make_config("cgan", "blank")


def test_a_colour_dataset_builds_its_models_from_its_own_image_shape(monkeypatch):
    """A 3x32x32 dataset is one registry entry: the models take its shape (this used to fail inside the
    first conv layer with 'expected input[8, 3, 32, 32] to have 1 channels')."""
    def load(root, train, download, seed, size):
        g = torch.Generator().manual_seed(seed)
        n = size or 64
        return Dataset("colour", torch.rand(n, 3, 32, 32, generator=g) * 2 - 1, torch.arange(n) % 3)

    monkeypatch.setitem(DATASETS, "colour", DatasetInfo("colour", "colour test images", (3, 32, 32),
                                                        ("a", "b", "c"), load, offline=True))
    for name in MODEL_NAMES:
        cfg = make_config(name, "colour", steps=2, batch_size=8, log_every=1, n_samples=6,
                          model_overrides={"ch": 8})
        assert cfg.model.image_shape == (3, 32, 32) and cfg.model.num_classes == 3
        res = train(cfg, device="cpu")
        assert res.status == "finished"
        assert res.samples.shape == (6, 3, 32, 32)
