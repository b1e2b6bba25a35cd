"""Checkpoints: `*.safetensors` weights plus JSON metadata; `load(path)` rebuilds the model alone.

Metadata (safetensors' str -> str header) holds one key, "normgen", whose JSON value records the
format, the normgen version, the full TrainConfig, which parts were stored, steps and final metrics.
Nothing is ever unpickled: a foreign or damaged file raises CheckpointError with what to do.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from normgen import __version__
from normgen.config import TrainConfig
from normgen.models import GenerativeModel, build_model

FORMAT = "normgen-checkpoint/1"
META_KEY = "normgen"


class CheckpointError(ValueError):
    """A file that is not a usable normgen checkpoint."""


@dataclass
class Checkpoint:
    model: GenerativeModel
    config: TrainConfig
    meta: dict[str, Any]
    path: Path | None = None

    @property
    def parts(self) -> list[str]:
        return list(self.meta.get("parts", []))


def save(
    path: str | Path,
    model: GenerativeModel,
    config: TrainConfig,
    *,
    parts: list[str] | None = None,
    half: bool = False,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write `model` (all parts, or only `parts`) to `path`; `half` stores float16 weights.

    Buffers (BatchNorm running statistics, spectral-norm vectors) travel with their part.
    """
    path = Path(path)
    names = list(model.parts) if parts is None else parts
    unknown = [p for p in names if p not in model.parts]
    if unknown:
        raise ValueError(f"unknown parts {unknown}; this model has {list(model.parts)}")
    tensors: dict[str, torch.Tensor] = {}
    for part in names:
        for k, v in model.parts[part].state_dict().items():
            v = v.detach().cpu()
            if half and v.is_floating_point():
                v = v.half()
            tensors[f"{part}.{k}"] = v.contiguous()
    meta = {
        "format": FORMAT,
        "normgen_version": __version__,
        "torch_version": torch.__version__,
        "config": config.to_dict(),
        "parts": names,
        "dtype": "float16" if half else "float32",
        **(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    save_file(tensors, str(tmp), metadata={META_KEY: json.dumps(meta)})
    tmp.replace(path)  # atomic: a crash never leaves a half-written checkpoint under the real name
    return path


def read_meta(path: str | Path) -> dict[str, Any]:
    """The metadata of a checkpoint, without loading its weights."""
    path = Path(path)
    _check_file(path)
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a safetensors file ({exc}). Use a .safetensors file "
                              "written by normgen (python -m normgen train).") from None
    if META_KEY not in header:
        raise CheckpointError(f"{path}: a safetensors file, but not a normgen checkpoint (no "
                              f"{META_KEY!r} metadata). Train one with: python -m normgen train")
    try:
        meta = json.loads(header[META_KEY])
    except json.JSONDecodeError:
        raise CheckpointError(f"{path}: normgen metadata is damaged (not JSON)") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: unsupported checkpoint format {meta.get('format')!r}; "
                              f"this normgen reads {FORMAT!r}")
    return meta


def load(path: str | Path, *, device: torch.device | str = "cpu") -> Checkpoint:
    """Rebuild the model from the file alone. Parts not stored keep their seeded initialisation."""
    path = Path(path)
    meta = read_meta(path)
    try:
        config = TrainConfig.from_dict(meta["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: checkpoint config is invalid ({exc})") from None
    try:
        tensors = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: weights could not be read ({exc}); the file is damaged or "
                              "truncated. Download or train it again.") from None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = build_model(config.model)
    for part in meta.get("parts", []):
        if part not in model.parts:
            raise CheckpointError(f"{path}: stores part {part!r} that a {config.model.name} model lacks")
        prefix = f"{part}."
        state = {k[len(prefix):]: v.float() if v.is_floating_point() else v
                 for k, v in tensors.items() if k.startswith(prefix)}
        try:
            model.parts[part].load_state_dict(state, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            raise CheckpointError(f"{path}: weights do not fit the stored config ({first})") from None
    if not all(torch.isfinite(p).all() for p in model.parameters()):
        raise CheckpointError(f"{path}: weights contain NaN or inf; the checkpoint is unusable")
    model.to(device).eval()
    return Checkpoint(model, config, meta, path)


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_file(path: Path) -> None:
    if not path.exists():
        raise CheckpointError(f"{path}: no such file")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, expected a .safetensors file")
    if path.stat().st_size < 16:
        raise CheckpointError(f"{path}: file is empty or truncated")
