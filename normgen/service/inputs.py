"""Inputs of the app (no gradio): validation, the choices the controls offer, the zoo index cache.

Every public endpoint of the app passes its raw inputs through these checks, because the API can
be called without the UI: a bad value raises `InputError` (a ValueError) whose message says what
is allowed, and the UI layer turns it into `gr.Error`. Explore lives in `normgen.service.explorer`,
training sessions in `normgen.service.sessions`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from normgen.data import DATASETS, default_data_root
from normgen.models import FAMILIES, MODEL_NAMES, family
from normgen.models.config import G_NORMS
from normgen.regularizers import LAMBDA_MAX, VARIANTS
from normgen.render.figures import fmt_lambda
from normgen.zoo.index import INDEX_NAME, ZooIndex, load_index, zoo_root

G_NORM_LABELS = {"none": "none", "batch": "batch norm"}  # the controls' names for models.config.G_NORMS
SEED_MAX = 2**31 - 1
DEFAULT_MODEL, DEFAULT_DATASET = "gan", "mnist"  # the first screen, when the zoo / this server has them
OFFLINE_DATASET = next(d.name for d in DATASETS.values() if d.offline)  # trains anywhere: the fallback


class InputError(ValueError):
    """A bad value from a user or an API client; the message says what is allowed."""


# ----------------------------------------------------------------------------------------------
# validation


def check_choice(name: str, value: Any, allowed: tuple[str, ...] | list[str]) -> str:
    """`value` must be one of `allowed` (exact strings)."""
    if not isinstance(value, str) or value not in allowed:
        raise InputError(f"{name} must be one of: {', '.join(allowed)}; got {value!r}")
    return value


def check_model(model: Any) -> str:
    return check_choice("model", model, MODEL_NAMES)


def check_dataset(dataset: Any) -> str:
    return check_choice("dataset", dataset, DATASETS)


def check_g_norm(g_norm: Any) -> str:
    return check_choice("g_norm (generator normalization)", g_norm, G_NORMS)


def check_variant(variant: Any) -> str:
    return check_choice("variant", variant, VARIANTS)


def model_label(name: str) -> str:
    """A family's label on screen (the raw name of a family this normgen does not know)."""
    return FAMILIES[name].label if name in FAMILIES else name


def dataset_label(name: str) -> str:
    """A dataset's label on screen (the raw name of a dataset this normgen does not know)."""
    return DATASETS[name].label if name in DATASETS else name



def target_choices(model: str) -> tuple[str, ...]:
    """The penalty targets of `model`, its sampling part (the default) first, "both" last."""
    fam = family(model)
    return (fam.sampler_part, *(t for t in fam.targets() if t != fam.sampler_part))


def check_target(model: str, target: Any) -> str:
    """The penalty target must be a part of `model` or "both"."""
    return check_choice(f"target for the {model_label(model)}", target, target_choices(model))


def parse_lambda(name: str, value: Any) -> float:
    """A lambda: a number (or a numeric string such as "1e-4") in [0, LAMBDA_MAX]; NaN/inf rejected."""
    if isinstance(value, bool) or value is None:
        raise InputError(f"{name} must be a number in [0, {LAMBDA_MAX:g}], got {value!r}")
    try:
        v = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number in [0, {LAMBDA_MAX:g}] such as 1e-4, got {value!r}") from None
    if not math.isfinite(v) or not 0.0 <= v <= LAMBDA_MAX:
        raise InputError(f"{name} must be a finite number in [0, {LAMBDA_MAX:g}], got {value!r}")
    return v


def parse_int(name: str, value: Any, lo: int, hi: int) -> int:
    """An integer in [lo, hi]; floats are accepted only when they are whole numbers (3.0)."""
    if isinstance(value, bool) or value is None:
        raise InputError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
    try:
        v = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}") from None
    if not math.isfinite(v) or v != int(v) or not lo <= v <= hi:
        raise InputError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
    return int(v)


def parse_seed(value: Any) -> int:
    return parse_int("seed", value, 0, SEED_MAX)


def parse_float(name: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or value is None:
        raise InputError(f"{name} must be a number in [{lo:g}, {hi:g}], got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number in [{lo:g}, {hi:g}], got {value!r}") from None
    if not math.isfinite(v) or not lo <= v <= hi:
        raise InputError(f"{name} must be a number in [{lo:g}, {hi:g}], got {value!r}")
    return v


# ----------------------------------------------------------------------------------------------
# the zoo index, cached by file identity (a rebuilt index is re-read on the next call)

_INDEX_CACHE: dict[str, tuple[tuple, ZooIndex]] = {}


def get_index(root: str | Path | None = None) -> ZooIndex:
    """The zoo index at `root` (default: $NORMGEN_ZOO or checkpoints/), re-read when the file changes.

    A malformed index raises ValueError naming the file; a missing one is an empty index.
    """
    r = zoo_root(root)
    path = r / INDEX_NAME
    try:
        st = path.stat()
        key: tuple = (st.st_mtime_ns, st.st_size)
    except OSError:
        key = ("missing",)
    hit = _INDEX_CACHE.get(str(r))
    if hit is not None and hit[0] == key:
        return hit[1]
    index = load_index(r)
    _INDEX_CACHE[str(r)] = (key, index)
    return index


def zoo_problem(root: str | Path | None = None) -> str | None:
    """None when the zoo has entries; otherwise a sentence saying what is missing and what to do."""
    r = zoo_root(root)
    try:
        index = get_index(r)
    except ValueError as exc:
        return f"The pretrained zoo's index could not be read: {exc}. Rebuild it with `make zoo`."
    if len(index):
        return None
    where = f"`{r / INDEX_NAME}`"
    if not r.exists():
        return (f"No pretrained checkpoints: the folder `{r}` does not exist. Build the zoo with "
                "`make zoo` (or point $NORMGEN_ZOO at one), or train a setting yourself in the **Train** tab.")
    if not (r / INDEX_NAME).exists():
        return (f"No pretrained checkpoints: {where} is missing. Build the zoo with `make zoo`, "
                "or train a setting yourself in the **Train** tab.")
    return (f"No pretrained checkpoints: {where} lists no entries yet. Build the zoo with `make zoo`, "
            "or train a setting yourself in the **Train** tab.")


def zoo_choices(index: ZooIndex, model: str | None = None, dataset: str | None = None) -> dict[str, list]:
    """What the Explore controls can offer: models, datasets, g_norms, L1 and L2 lambdas
    (always 0 plus the zoo's values), targets and variants, for `model` on `dataset` when given."""
    filt: dict[str, Any] = {"group": 0.0, "act": 0.0}  # Explore shows L1 / L2 settings only
    if model:
        filt["model"] = model
    if dataset:
        filt["dataset"] = dataset
    return {
        "model": index.values("model"),
        "dataset": index.values("dataset", **({"model": model} if model else {})),
        "g_norm": index.values("g_norm", **filt),
        "l1": sorted({0.0, *index.values("l1", **filt)}),
        "l2": sorted({0.0, *index.values("l2", **filt)}),
        "target": index.values("target", **filt),
        "variant": index.values("variant", **filt),
        "seed": index.values("seed", **filt),
    }


# ----------------------------------------------------------------------------------------------
# datasets on this server


def dataset_status(data_root: str | Path | None = None) -> dict[str, str | None]:
    """name -> None if it can be trained on here, else the reason why not (a dataset made offline
    always can; the others need their torchvision files in their folder under the data root)."""
    root = Path(data_root) if data_root else default_data_root()
    files = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
    out: dict[str, str | None] = {}
    for name, info in DATASETS.items():
        if info.offline:
            out[name] = None
            continue
        raw = root / str(info.folder) / "raw"
        ok = all((raw / f).exists() or (raw / f"{f}.gz").exists() for f in files)
        out[name] = None if ok else (
            f"{info.label} is not on this server (no {info.folder}/raw files under {root}; "
            f"set $NORMGEN_DATA to a folder that has them)")
    return out


def env_number(name: str, default: float) -> float:
    """A positive number from the environment (for caps a host may raise), else `default`."""
    try:
        v = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return v if math.isfinite(v) and v > 0 else default


def query_string(state: dict[str, Any]) -> str:
    """`?model=gan&dataset=mnist&...` for the shareable link (lambdas written as 1e-4)."""
    from urllib.parse import urlencode

    parts = {k: fmt_lambda(v) if k in ("l1", "l2") and isinstance(v, float) else v
             for k, v in state.items() if v is not None}
    return "?" + urlencode(parts)


PAGE_KEYS = ("model", "dataset", "g_norm", "l1", "l2", "target", "variant", "seed")


def parse_query(params: dict[str, str]) -> dict[str, Any]:
    """The page state from URL query parameters; unknown or bad values are dropped, never raised
    (a shared link with a typo still opens the page with the defaults)."""
    out: dict[str, Any] = {}
    checks = {"model": check_model, "dataset": check_dataset, "g_norm": check_g_norm, "variant": check_variant,
              "l1": lambda v: parse_lambda("l1", v), "l2": lambda v: parse_lambda("l2", v), "seed": parse_seed}
    for key, check in checks.items():
        if key in params:
            try:
                out[key] = check(params[key])
            except InputError:
                pass
    if "target" in params and params["target"] in target_choices(out.get("model", DEFAULT_MODEL)):
        out["target"] = params["target"]
    if params.get("tab") in ("explore", "train", "compare", "learn"):
        out["tab"] = params["tab"]
    return out
