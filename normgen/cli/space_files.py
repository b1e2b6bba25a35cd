"""What a Hugging Face Space of normgen holds: the file set, how each file is stored, the Space's README.

A Space runs `app.py` from a fresh environment built from `requirements.txt`; it needs the package and the
shipped zoo and nothing else (no tests, scripts, screenshots or local runs). The Hub refuses a git push
whose binaries are not in its large-file storage (Xet / LFS) once they pass a size threshold, so every
binary here is *routed* there: `huggingface_hub`'s folder upload does it by itself, and the folder written
for the git route carries a `.gitattributes` that does it for `git push`.

No network here: `normgen.cli.space` talks to the Hub.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]  # the project folder: app.py, normgen/, checkpoints/
SPACE_PATHS = ("app.py", "requirements.txt", "normgen", "checkpoints")  # what the Space runs, nothing else
SKIP_DIRS = frozenset({"__pycache__"})
SKIP_SUFFIXES = frozenset({".pyc", ".pyo"})
# known binaries, whatever their first bytes say; any other file is binary when its first 8,000 bytes hold
# a NUL byte (git's own test)
BINARY_SUFFIXES = frozenset({".safetensors", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".npz", ".npy", ".pt",
                             ".pth", ".bin", ".ckpt", ".pkl", ".zip", ".gz", ".tar", ".mp4", ".pdf"})
LARGE_BYTES = 10 * 1024 * 1024  # the Hub refuses any plain git file over 10 MB, text or not
LFS_ATTRS = "filter=lfs diff=lfs merge=lfs -text"
GENERATED = ("README.md", ".gitattributes")  # written here, not copied

# The Space's card (README.md front matter, see https://huggingface.co/docs/hub/spaces-config-reference).
# sdk_version is read from requirements.txt's gradio pin so the two never disagree.
SPACE_CARD = {
    "title": "normgen",
    "emoji": "🧮",
    "colorFrom": "indigo",
    "colorTo": "yellow",
    "sdk": "gradio",
    "python_version": "3.11",
    "app_file": "app.py",
    "pinned": False,
    "suggested_hardware": "cpu-basic",  # 2 vCPU, 16 GB: the app is sized for it (docs/deploy.md)
    "short_description": "See what L1, L2 and group lasso do to GANs and VAEs",
    "tags": ["regularization", "education", "gan", "vae"],
    "license": "mit",
}

SPACE_README_BODY = """
# normgen

**See what L1, L2, elastic-net and group-lasso regularization do to image generators.**

Pick a model (GAN, VAE, conditional GAN, a colour DCGAN on CIFAR-10), drag the log-scale λ sliders and
compare sample grids drawn from the same fixed noise: the unregularized baseline beside the regularized
model, with the measured weight histogram, sparsity, per-layer norms and sample-quality scores. Train a
short run live, open a guided lesson, or watch a cycle GAN whose cycle loss is itself a norm.

The pretrained models and how they were trained: [checkpoints/README.md](checkpoints/README.md).
This Space was deployed with `python -m normgen space deploy` (see the project's `docs/deploy.md`).
"""


@dataclass(frozen=True)
class SpaceFile:
    """One file of the Space: where it goes, how big it is, and how the Hub stores it."""

    path: str  # POSIX path inside the Space repository
    size: int  # bytes
    lfs: bool  # True: large-file storage (Xet / LFS); False: a plain git file
    source: Path | None  # the file copied; None for a generated one (README.md, .gitattributes)


def is_binary(path: Path) -> bool:
    """A known binary suffix, or a NUL byte in the first 8,000 bytes (as git decides)."""
    if path.suffix.lower() in BINARY_SUFFIXES:
        return True
    with path.open("rb") as f:
        return b"\0" in f.read(8000)


def copied_files(root: Path = ROOT) -> list[Path]:
    """Every file the Space needs from `root`, sorted: app.py, requirements.txt, everything under
    normgen/ and checkpoints/ except caches (__pycache__, *.pyc) and hidden files (.DS_Store, ...)."""
    found: list[Path] = []
    for name in SPACE_PATHS:
        top = root / name
        if not top.exists():
            raise FileNotFoundError(f"{top} is missing: run this from a normgen checkout (a Space needs "
                                    f"{', '.join(SPACE_PATHS)})")
        if top.is_file():
            found.append(top)
            continue
        for p in sorted(top.rglob("*")):
            rel = p.relative_to(root).parts
            if (p.is_file() and not any(part in SKIP_DIRS or part.startswith(".") for part in rel)
                    and p.suffix not in SKIP_SUFFIXES):
                found.append(p)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def gradio_pin(root: Path = ROOT) -> str:
    """The gradio version requirements.txt pins (`gradio==X.Y.Z`): the Space's sdk_version."""
    text = (root / "requirements.txt").read_text()
    m = re.search(r"^gradio==([0-9][0-9A-Za-z.]*)\s*$", text, re.MULTILINE)
    if not m:
        raise ValueError("requirements.txt pins no gradio version (gradio==X.Y.Z): a Space's sdk_version needs it")
    return m.group(1)


def space_readme(root: Path = ROOT) -> str:
    """The Space's README.md: YAML front matter (the Space's settings) and a short card."""
    card = {**SPACE_CARD, "sdk_version": gradio_pin(root)}
    order = ["title", "emoji", "colorFrom", "colorTo", "sdk", "sdk_version", "python_version", "app_file"]
    card = {k: card[k] for k in order} | {k: v for k, v in card.items() if k not in order}
    front = yaml.safe_dump(card, sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n{SPACE_README_BODY}"


def gitattributes(files: list[SpaceFile]) -> str:
    """One `pattern filter=lfs ...` line per binary kind: `*.suffix` where every file with that suffix is
    stored in large-file storage, else the file's own path (and every large text file by path)."""
    lfs_suffixes = {Path(f.path).suffix for f in files if f.lfs and Path(f.path).suffix}
    mixed = {Path(f.path).suffix for f in files if not f.lfs} & lfs_suffixes
    patterns = sorted(f"*{s}" for s in lfs_suffixes - mixed)
    patterns += sorted(f.path for f in files if f.lfs and Path(f.path).suffix not in lfs_suffixes - mixed)
    lines = [f"{p.replace(' ', '[[:space:]]')} {LFS_ATTRS}" for p in patterns]
    return "# every binary through large-file storage (the Hub refuses plain git binaries)\n" + "\n".join(lines) + "\n"


def space_files(root: Path = ROOT) -> list[SpaceFile]:
    """The whole Space, sorted by path: the copied files, then README.md and .gitattributes (generated)."""
    root = Path(root)
    files = []
    for p in copied_files(root):
        size = p.stat().st_size
        files.append(SpaceFile(p.relative_to(root).as_posix(), size, is_binary(p) or size > LARGE_BYTES, p))
    readme = space_readme(root).encode()
    files.append(SpaceFile("README.md", len(readme), False, None))
    attrs = gitattributes(files).encode()
    files.append(SpaceFile(".gitattributes", len(attrs), False, None))
    return sorted(files, key=lambda f: f.path)


def write_folder(out: Path, root: Path = ROOT) -> list[SpaceFile]:
    """Write the Space into `out` (new or empty): the same files an upload sends. Returns them."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: give a new or empty folder")
    files = space_files(root)
    generated = {"README.md": space_readme(root), ".gitattributes": gitattributes(files)}
    for f in files:
        dest = out / f.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        if f.source is None:
            dest.write_text(generated[f.path], encoding="utf-8")
        else:
            shutil.copy2(f.source, dest)
    return files


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def listing(files: list[SpaceFile]) -> str:
    """Every file with its route and size, then the totals (what `--dry-run` prints)."""
    rows = [f"{'lfs' if f.lfs else 'git'}  {f.size:>10,}  {f.path}{'  (generated)' if f.source is None else ''}"
            for f in files]
    lfs = [f for f in files if f.lfs]
    total = sum(f.size for f in files)
    rows.append(f"{len(files)} files, {human_size(total)}: {len(lfs)} through large-file storage (Xet/LFS, "
                f"{human_size(sum(f.size for f in lfs))}), {len(files) - len(lfs)} as plain git files")
    return "\n".join(rows)
