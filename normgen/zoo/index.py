"""The pretrained zoo: reading `checkpoints/index.json`, loading entries, verifying the files.

The app reads only the index and the files it names. The index lists, per entry, what was trained
(model, dataset, normalization, penalty target, variant, every lambda, seed, steps), where and how
long, the file's sha256, the judge metrics (normgen.eval.quality) and the weight statistics of the stored
weights, as `load` returns them (`weights`: what a download reproduces; `trained_weights`: a part the file
does not store, from training; normgen.zoo.restat). Layout (format "normgen-zoo/1"):

    {"format": "normgen-zoo/1", "normgen_version": "0.1.0",
     "judges": {"mnist": "judges/mnist.safetensors", ...},
     "floors": {"mnist": {"fd": ..., ...}, ...},      # real train vs real test: the best reachable
     "entries": [{"id": ..., "file": "gan/mnist/<id>.safetensors", "model": "gan", ...}, ...]}

Loading, checking, verifying and merging the files it names lives in normgen.zoo.files; building the zoo
in normgen.zoo.build, the grid in normgen.zoo.spec.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, make_dataclass, replace
from pathlib import Path
from typing import Any

from normgen import __version__
from normgen.models.config import default_model_config
from normgen.regularizers import LAMBDAS, lambda_fields

ZOO_DIR = Path(__file__).resolve().parents[2] / "checkpoints"
ZOO_ENV = "NORMGEN_ZOO"
FORMAT = "normgen-zoo/1"
INDEX_NAME = "index.json"
FIND_MEMO_MAX = 4096  # questions ZooIndex.find remembers per entries list
SAMPLING_NAME = "sampling.json"  # the noise-draw spread of each entry (normgen.zoo.rescore)
SAMPLING_FORMAT = "normgen-sampling/1"
TRAINED_KEY = "trained_weights"  # index key: weight statistics of parts the file does not store (from training)
LOG_EPS = 1e-6  # nearest(): distance in log10(lambda + LOG_EPS), so 0 sits one decade below 1e-5


def zoo_root(root: str | Path | None = None) -> Path:
    """`root` if given, else $NORMGEN_ZOO, else the repository's `checkpoints/` folder."""
    if root is not None:
        return Path(root)
    env = os.environ.get(ZOO_ENV)
    return Path(env).expanduser() if env else ZOO_DIR


SETTING_DEFAULTS = {"loss": "ns", "lipschitz": "none", "layers": "all"}  # index keys added by issue 15


def family_dropout(model: str) -> float:
    """The dropout a family trains with by default (what a baseline of it has)."""
    try:
        return default_model_config(model).dropout
    except ValueError:  # a family this normgen does not know
        return 0.0


class _Entry:
    """One checkpoint of the zoo, as listed in the index (Entry below): id, file (relative to the zoo root),
    model, dataset, g_norm (the generator's / decoder's normalization: none | batch), d_norm (the
    discriminator's: none | spectral), target (which weights were penalized), variant (loss | proximal |
    decoupled), one λ per registered penalty (keyword-only; regularizers.lambda_fields), seed, steps, device,
    wall_s, sha256, train_size (0 = the whole training split, N = a class-balanced subset), dropout (the
    discriminator's / the VAE's), parts (what the file stores), metrics (judge metrics,
    normgen.eval.quality.evaluate), weights (stored part -> weight statistics of the file) and extra (other
    index keys: status, recipe, tag, ...)."""

    @property
    def is_baseline(self) -> bool:
        """Every lambda 0, the family's own dropout (0, but 0.3 in the colour DCGAN's discriminator) and, for
        the cycle GAN, its default λ_cyc 10 with the L1 cycle norm."""
        return (all(getattr(self, k) == 0 for k in LAMBDAS) and self.dropout == family_dropout(self.model)
                and self.extra.get("lambda_cyc", 10.0) == 10.0 and self.extra.get("cycle_norm", "l1") == "l1")

    @property
    def setting(self) -> tuple[str, str, str]:
        """(loss, lipschitz, layers) it was trained with; entries before issue 15 have the defaults."""
        return tuple(self.extra.get(k, d) for k, d in SETTING_DEFAULTS.items())  # type: ignore[return-value]

    def to_dict(self) -> dict[str, Any]:
        """The index row: the fields above, with `extra`'s keys at the top level."""
        d = asdict(self)
        extra = d.pop("extra")
        return {**d, **extra}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entry:
        """Build from an index row; keys that are not fields are kept in `extra`."""
        names = {f.name for f in fields(cls)} - {"extra"}
        # added later: train_size and dropout, and a penalty registered after the row was written (its λ reads 0)
        optional = ("parts", "metrics", "weights", "train_size", "dropout", *LAMBDAS)
        missing = [n for n in names if n not in d and n not in optional]
        if missing:
            raise ValueError(f"index entry {d.get('id', '?')!r} lacks fields {sorted(missing)}")
        kw: dict[str, Any] = {k: v for k, v in d.items() if k in names}
        kw["extra"] = {k: v for k, v in d.items() if k not in names}
        for k in (*LAMBDAS, "wall_s"):
            kw[k] = float(kw.get(k, 0.0))
        kw["seed"], kw["steps"] = int(kw["seed"]), int(kw["steps"])
        kw["train_size"], kw["dropout"] = int(kw.get("train_size", 0)), float(kw.get("dropout", 0.0))
        kw["parts"] = list(kw.get("parts", []))
        return cls(**kw)


Entry = make_dataclass("Entry", [
    ("id", str), ("file", str), ("model", str), ("dataset", str), ("g_norm", str), ("d_norm", str), ("target", str),
    ("variant", str), *lambda_fields(kw_only=True), ("seed", int), ("steps", int), ("device", str), ("wall_s", float),
    ("sha256", str), ("train_size", int, 0), ("dropout", float, 0.0), ("parts", list, field(default_factory=list)),
    ("metrics", dict, field(default_factory=dict)), ("weights", dict, field(default_factory=dict)),
    ("extra", dict, field(default_factory=dict))], bases=(_Entry,), frozen=True,
    namespace={"__module__": __name__, "__doc__": _Entry.__doc__})


def _matches(entry: Entry, key: str, want: Any) -> bool:
    have = getattr(entry, key)
    if isinstance(have, float) or isinstance(want, float):
        try:
            return math.isclose(float(have), float(want), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return have == want


def _check_fields(keys: Any) -> None:
    names = {f.name for f in fields(Entry)}
    bad = [k for k in keys if k not in names]
    if bad:
        raise ValueError(f"unknown entry fields {bad}; fields are: {', '.join(sorted(names))}")


@dataclass
class ZooIndex:
    """The parsed index. `root` is the folder the entries' `file` paths are relative to."""

    root: Path
    entries: list[Entry] = field(default_factory=list)
    judges: dict[str, str] = field(default_factory=dict)  # dataset -> judge file (relative)
    floors: dict[str, dict[str, Any]] = field(default_factory=dict)  # dataset -> real-vs-real scores
    normgen_version: str = ""

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def find(self, **fields_: Any) -> list[Entry]:
        """Entries whose given fields all equal the given values (floats by math.isclose).

        Remembered per question while `entries` is the same list at the same length (an Explore view
        asks ~18 questions of 170 entries: the scans were three quarters of its time)."""
        _check_fields(fields_)
        key: tuple | None = (len(self.entries), tuple(sorted(fields_.items())))
        try:
            hash(key)
        except TypeError:  # an unhashable value: asked, not remembered
            key = None
        memo = self.__dict__.get("_find_memo")
        if memo is None or memo[0] is not self.entries:  # a new list (held, so its id is never reused)
            memo = self.__dict__["_find_memo"] = (self.entries, {})
        if key is not None and key in memo[1]:
            return list(memo[1][key])
        found = [e for e in self.entries if all(_matches(e, k, v) for k, v in fields_.items())]
        if key is not None and len(memo[1]) < FIND_MEMO_MAX:
            memo[1][key] = found
        return list(found)

    def nearest(self, model: str, dataset: str, l1: float, l2: float, *, relax: Sequence[str] = (),
                setting: tuple[str, str, str] = ("ns", "none", "all"), **fields_: Any) -> Entry | None:
        """The regularized entry of `model` on `dataset` (and the other given fields) closest to (l1, l2).

        Distance: Euclidean in (log10(l1 + 1e-6), log10(l2 + 1e-6)), so one decade counts the same
        everywhere and lambda = 0 sits just below the smallest grid value. Ties: lower seed first,
        then index order. `relax` names fields of `fields_` to give up, one more at a time in that
        order, while no entry matches (Explore asks for its target and variant, then settles for
        another variant, then another target). A baseline is near no setting: see `baseline`. Unless
        asked, only full-data entries with the family's dropout qualify (train_size 0), trained with
        `setting` (loss, lipschitz, layers: the defaults unless asked).
        """
        want = {"train_size": 0, "dropout": family_dropout(model), **fields_}
        for drop in (None, *relax):
            want.pop(drop, None)
            cands = [e for e in self.find(model=model, dataset=dataset, **want)
                     if not e.is_baseline and e.setting == tuple(setting)]
            if cands:
                break
        else:
            return None

        def dist(e: Entry) -> float:
            return math.hypot(math.log10(e.l1 + LOG_EPS) - math.log10(float(l1) + LOG_EPS),
                              math.log10(e.l2 + LOG_EPS) - math.log10(float(l2) + LOG_EPS))

        return min(cands, key=lambda e: (round(dist(e), 9), e.seed))

    def baseline(self, model: str, dataset: str, g_norm: str | None = None, seed: int | None = None, *,
                 like: Entry | None = None, stores: Iterable[str] = (), **fields_: Any) -> Entry | None:
        """The unregularized entry (every lambda 0) of `model` on `dataset` (and the other given fields).

        `stores`: parts its file must hold (fine-tuning a GAN needs its discriminator). Among several it
        prefers the one most like `like` (the entry it is shown beside: same normalizations, then same
        training seed), then g_norm "none", the default variant "loss", then the lowest seed. Unless
        asked, a full-data baseline (train_size 0; a baseline never has dropout).
        """
        want = {"train_size": 0, **fields_}
        if g_norm is not None:
            want["g_norm"] = g_norm
        if seed is not None:
            want["seed"] = seed
        need = set(stores)
        loss = (like.setting if like is not None else tuple(SETTING_DEFAULTS.values()))[:2]  # same loss as `like`
        cands = [e for e in self.find(model=model, dataset=dataset, **want)
                 if e.is_baseline and need <= set(e.parts) and e.setting[:2] == loss]
        if not cands:
            return None

        def rank(e: Entry) -> tuple:
            near = () if like is None else (e.g_norm != like.g_norm, e.d_norm != like.d_norm, e.seed != like.seed)
            return (*near, e.g_norm != "none", e.variant != "loss", e.seed)

        return min(cands, key=rank)

    def values(self, field_name: str, **filters: Any) -> list[Any]:
        """Sorted distinct values of `field_name` among the entries matching `filters`."""
        _check_fields([field_name])
        return sorted({getattr(e, field_name) for e in self.find(**filters)})

    def judge_path(self, dataset: str) -> Path | None:
        rel = self.judges.get(dataset)
        return self.root / rel if rel else None

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "normgen_version": self.normgen_version, "judges": dict(self.judges),
                "floors": dict(self.floors), "entries": [e.to_dict() for e in self.entries]}


def load_index(root: str | Path | None = None) -> ZooIndex:
    """Read `root/index.json`. A missing file or folder gives an empty index; a malformed one
    raises ValueError naming the file."""
    root = zoo_root(root)
    path = root / INDEX_NAME
    if not path.is_file():
        return ZooIndex(root=root)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("the top level is not a JSON object")
        if raw.get("format") != FORMAT:
            raise ValueError(f"format is {raw.get('format')!r}, this normgen reads {FORMAT!r}")
        records = load_sampling(root)
        entries = [with_sampling(Entry.from_dict(d), records.get(d.get("id"))) for d in raw.get("entries", [])]
        return ZooIndex(root=root, entries=entries, judges=dict(raw.get("judges", {})),
                        floors=dict(raw.get("floors", {})), normgen_version=str(raw.get("normgen_version", "")))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"{path}: malformed zoo index ({exc})") from None


def write_sampling(root: Path, records: dict[str, dict]) -> Path:
    """Write ROOT/sampling.json atomically, records sorted by entry id."""
    path = root / SAMPLING_NAME
    tmp = path.with_name(f".{SAMPLING_NAME}.{os.getpid()}.tmp")
    data = {"format": SAMPLING_FORMAT, "entries": dict(sorted(records.items()))}
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load_sampling(root: str | Path | None = None) -> dict[str, dict]:
    """The records of `root/sampling.json` by entry id ({} when there is none); a malformed file raises
    ValueError naming it."""
    path = zoo_root(root) / SAMPLING_NAME
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        recs = raw["entries"]
        if not isinstance(recs, dict) or not all(isinstance(r, dict) for r in recs.values()):
            raise ValueError("'entries' is not an object of records")
        return dict(recs)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{path}: malformed sampling file ({exc})") from None


def _mean(vals: list[float]) -> float:
    return sum(vals) / len(vals)


def with_sampling(e: Entry, rec: dict | None) -> Entry:
    """`e` with its noise-draw record applied when the record belongs to its file (same sha256): FD and
    the confident share become the mean over the draws (`fd_first` / `confident_first` keep the build's
    single draw), `fd_sampling` / `confident_sampling` their min-max range, `fd_draws` the values; and a
    full-data entry's generalization numbers, where the index has none; the second judge's FD (`fd2`,
    `fd2_sampling`), copying in judge features and a VAE's IWAE bound (issue 25)."""
    if not rec or rec.get("sha256") != e.sha256:
        return e
    m = dict(e.metrics)
    fd2 = [float(v) for v in rec.get("fd2_draws", [])]
    if len(fd2) >= 2 and all(math.isfinite(v) for v in fd2):  # the second judge, on the same noise draws
        m.update(fd2=_mean(fd2), fd2_draws=fd2, fd2_sampling=max(fd2) - min(fd2))
    for k, v in (*(rec.get("copying") or {}).items(), *(rec.get("iwae") or {}).items()):
        m.setdefault(k, v)
    fd, conf = [float(v) for v in rec.get("fd_draws", [])], [float(v) for v in rec.get("confident_draws", [])]
    if len(fd) < 2 or not all(math.isfinite(v) for v in fd):
        return replace(e, metrics=m)
    m.setdefault("fd_first", m.get("fd"))
    m.update(fd=_mean(fd), fd_draws=fd, fd_sampling=max(fd) - min(fd), draws=len(fd))
    if len(conf) == len(fd):
        m.setdefault("confident_first", m.get("confident_pct"))
        m.update(confident_pct=_mean(conf), confident_sampling=max(conf) - min(conf))
    for k, v in (rec.get("generalization") or {}).items():
        m.setdefault(k, v)
    return replace(e, metrics=m)


def write_index(index: ZooIndex, root: str | Path | None = None) -> Path:
    """Write the index atomically (temp file + rename), entries sorted by id for stable diffs."""
    root = zoo_root(root if root is not None else index.root)
    root.mkdir(parents=True, exist_ok=True)
    index.normgen_version = index.normgen_version or __version__
    data = index.to_dict()
    data["entries"] = sorted(data["entries"], key=lambda d: d["id"])
    path = root / INDEX_NAME
    tmp = path.with_name(f".{INDEX_NAME}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path

