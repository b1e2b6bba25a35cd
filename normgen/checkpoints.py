"""Checkpoints: `*.safetensors` weights plus JSON metadata; `load(path)` rebuilds the model alone.

Metadata (safetensors' str -> str header) holds one key, "normgen", whose JSON value records the
format, the normgen version, the full TrainConfig, which parts were stored, steps and final metrics.
Nothing is ever unpickled: a foreign or damaged file raises CheckpointError with what to do.

A checkpoint is untrusted input (the app loads zoo files, the CLI loads whatever it is given), so
`load` validates everything, in this order and before any tensor is allocated: the header's and the
metadata's size and nesting, the metadata's schema, the stored config's limits (ModelConfig checks
its own fields), the parts against the family's, then every tensor's name, shape and dtype against a
model built on the meta device (no memory), and its total size. Only then are weights read; NaN or
inf weights are refused after. Every violation is one CheckpointError line naming the file.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch.overrides import TorchFunctionMode

from normgen import __version__
from normgen.config import TrainConfig
from normgen.models import GenerativeModel, build_model, family

FORMAT = "normgen-checkpoint/1"
META_KEY = "normgen"
# what a file may ask of the reader; the shipped zoo's largest: a 2.8 KiB header, 808 characters of
# metadata nested 4 deep (meta > config > model > image_shape), models of under 1M numbers
HEADER_MAX = 1 << 20  # bytes of the safetensors header (tensor index + metadata), read before parsing
META_MAX = 64 * 1024  # characters of the normgen metadata JSON
META_DEPTH = 10  # nesting of that JSON: checked before json.loads, whose recursion a deep one exhausts
MAX_ELEMENTS = 100_000_000  # numbers in the whole model's state (400 MB as float32)
FLOAT_DTYPES = ("F16", "BF16", "F32", "F64")  # safetensors' names of the dtypes a weight may be stored in
EXACT_DTYPES = {torch.int64: "I64"}  # non-float state (BatchNorm's step counter) must keep its dtype
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


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
    """Write `model` (all parts, or only `parts`) to `path`; `half` stores bfloat16 weights.

    bfloat16, not float16: it keeps float32's exponent range, so a strongly penalized model's small weights
    (1e-8 and below) survive storage; float16 rounds everything under 6e-8 to exactly 0, and the shipped
    files of the L2 entries read 16-85% exact zeros that the trained weights never had.
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
                v = v.bfloat16()
            tensors[f"{part}.{k}"] = v.contiguous()
    meta = {
        "format": FORMAT,
        "normgen_version": __version__,
        "torch_version": torch.__version__,
        "config": config.to_dict(),
        "parts": names,
        "dtype": "bfloat16" if half else "float32",
        **(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    save_file(tensors, str(tmp), metadata={META_KEY: json.dumps(meta)})
    tmp.replace(path)  # atomic: a crash never leaves a half-written checkpoint under the real name
    return path


def read_meta(path: str | Path) -> dict[str, Any]:
    """The metadata of a checkpoint, without loading its weights; its size, nesting and schema checked."""
    path = Path(path)
    _check_file(path)
    _check_header_size(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a safetensors file ({exc}). Use a .safetensors file "
                              "written by normgen (python -m normgen train).") from None
    if META_KEY not in header:
        raise CheckpointError(f"{path}: a safetensors file, but not a normgen checkpoint (no "
                              f"{META_KEY!r} metadata). Train one with: python -m normgen train")
    return _parse_meta(path, header[META_KEY])


def load(path: str | Path, *, device: torch.device | str = "cpu") -> Checkpoint:
    """Rebuild the model from the file alone. Parts not stored keep their seeded initialisation.

    Everything the file claims is checked before anything is allocated (see the module docstring)."""
    path = Path(path)
    meta = read_meta(path)
    config = _stored_config(path, meta)
    expected = _expected_state(path, config, meta["parts"])
    _check_tensors(path, expected)
    try:
        tensors = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: weights could not be read ({exc}); the file is damaged or "
                              "truncated. Download or train it again.") from None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = build_model(config.model)
    for part in meta["parts"]:
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


def _shown(value: Any) -> str:
    """A value for a one-line message, cut short (a crafted file must not make a huge message)."""
    r = " ".join(repr(value).split())
    return r if len(r) <= 60 else f"{r[:57]}..."


def _check_header_size(path: Path) -> None:
    """The header's declared length, read from its first 8 bytes, before safetensors parses it."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
    if n > size - 8:
        raise CheckpointError(f"{path}: not a safetensors file (its header claims {n:,} bytes; the file has "
                              f"{size:,}). Use a .safetensors file written by normgen.")
    if n > HEADER_MAX:
        raise CheckpointError(f"{path}: safetensors header of {n:,} bytes; normgen reads at most {HEADER_MAX:,} "
                              "(a normgen checkpoint's is a few KiB)")


def _json_depth(text: str) -> int:
    """How deep `text`'s arrays and objects nest, counted without parsing (strings skipped)."""
    depth = deepest = 0
    for m in _BRACKET.finditer(_JSON_STRING.sub('""', text)):
        depth += 1 if m.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _parse_meta(path: Path, text: str) -> dict[str, Any]:
    """The normgen metadata JSON: size and nesting bounded before parsing, then its schema."""
    if len(text) > META_MAX:
        raise CheckpointError(f"{path}: normgen metadata is {len(text):,} characters; at most {META_MAX:,} "
                              "are read")
    depth = _json_depth(text)
    if depth > META_DEPTH:
        raise CheckpointError(f"{path}: normgen metadata nests {depth:,} levels deep; at most {META_DEPTH} "
                              "are read")
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError):
        raise CheckpointError(f"{path}: normgen metadata is damaged (not JSON)") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: normgen metadata must be a JSON object, got {_shown(meta)}")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: unsupported checkpoint format {_shown(meta.get('format'))}; "
                              f"this normgen reads {FORMAT!r}")
    if not isinstance(meta.get("config"), dict):
        raise CheckpointError(f"{path}: metadata 'config' must be a JSON object (the training config), "
                              f"got {_shown(meta.get('config'))}")
    parts = meta.get("parts")
    if (not isinstance(parts, list) or not parts or not all(isinstance(p, str) for p in parts)
            or len(set(parts)) != len(parts)):
        raise CheckpointError(f"{path}: metadata 'parts' must be a non-empty list of distinct part names "
                              f"(such as [\"generator\"]), got {_shown(parts)}")
    return meta


def _stored_config(path: Path, meta: dict[str, Any]) -> TrainConfig:
    """The TrainConfig the file records (its limits checked by the config classes), with `parts` the
    family's."""
    try:
        config = TrainConfig.from_dict(meta["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: checkpoint config is invalid ({_one_line(exc)})") from None
    fam = family(config.model.name)
    unknown = [p for p in meta["parts"] if p not in fam.part_names]
    if unknown:
        raise CheckpointError(f"{path}: metadata 'parts' lists {_shown(unknown)}; a {fam.label} has only "
                              f"{', '.join(fam.part_names)}")
    return config


def _expected_state(path: Path, config: TrainConfig, parts: list[str]) -> dict[str, tuple[tuple, torch.dtype]]:
    """name -> (shape, dtype) of every tensor the stored parts hold, from a model built on the meta
    device (shapes without memory); the whole model's size is bounded first."""
    with torch.device("meta"), _NoInitOnMeta():
        model = build_model(config.model)
    n = sum(t.numel() for t in model.state_dict().values())
    if n > MAX_ELEMENTS:
        raise CheckpointError(f"{path}: the stored config builds a model of {n:,} numbers; at most "
                              f"{MAX_ELEMENTS:,} are loaded")
    return {f"{part}.{k}": (tuple(v.shape), v.dtype)
            for part in parts for k, v in model.parts[part].state_dict().items()}


class _NoInitOnMeta(TorchFunctionMode):
    """Skips random initialisation of meta tensors (they hold no values to write). Without it a meta
    build runs torch's Python reference kernels, whose first call imports torch._dynamo (1-2 s on a
    CLI `sample`). Other ops on meta tensors, such as spectral norm's power iteration, still run (and
    may pay that import): shapes never depend on this mode. Torch function modes are thread-local."""

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if func in _RANDOM_INITS:
            t = args[0] if args else kwargs.get("tensor")
            if isinstance(t, torch.Tensor) and t.is_meta:
                return t
        return func(*args, **kwargs)


_RANDOM_INITS = frozenset({torch.nn.init.normal_, torch.nn.init.trunc_normal_, torch.Tensor.normal_})


def _check_tensors(path: Path, expected: dict[str, tuple[tuple, torch.dtype]]) -> None:
    """Every stored tensor's name, shape and dtype against `expected`, from the header alone."""
    try:
        with safe_open(str(path), framework="pt") as f:
            names = set(f.keys())
            found = {k: (tuple(f.get_slice(k).get_shape()), f.get_slice(k).get_dtype()) for k in names}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: weights could not be read ({_one_line(exc)}); the file is damaged") from None
    missing, extra = sorted(expected.keys() - names), sorted(names - expected.keys())
    if missing or extra:
        what = "; ".join(f"{label} {_shown(ks[:3])}{' ...' if len(ks) > 3 else ''}"
                         for label, ks in (("missing", missing), ("unexpected", extra)) if ks)
        raise CheckpointError(f"{path}: weights do not fit the stored config ({what})")
    for name, (shape, dtype) in expected.items():
        got_shape, got_dtype = found[name]
        if got_shape != shape:
            raise CheckpointError(f"{path}: weights do not fit the stored config ({name} has shape "
                                  f"{list(got_shape)}; the config builds {list(shape)})")
        allowed = FLOAT_DTYPES if dtype.is_floating_point else (EXACT_DTYPES.get(dtype, str(dtype)),)
        if got_dtype not in allowed:
            kind = "floating point" if dtype.is_floating_point else "stored as"
            raise CheckpointError(f"{path}: tensor {name} has dtype {got_dtype}; it must be {kind} "
                                  f"({', '.join(allowed)})")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
