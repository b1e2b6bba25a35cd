"""`python -m normgen space deploy`: the file set a Space gets (no tests, scripts, docs or caches), every
binary routed through large-file storage, the front matter the Hub reads, no network in a dry run, and the
Hub calls of a real deploy (made on a stand-in HfApi: nothing leaves the machine)."""

from __future__ import annotations

import contextlib
import fnmatch
import io
import socket
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from normgen.cli import main
from normgen.cli import space as S
from normgen.cli import space_files as F

ROOT = F.ROOT


def _run(*argv: str) -> tuple[int, str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(list(argv))
    return rc, buf.getvalue()


def _listed(stdout: str) -> dict[str, tuple[str, int]]:
    """path -> (route, size) from the dry run's rows."""
    rows = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in ("lfs", "git"):
            rows[parts[2]] = (parts[0], int(parts[1].replace(",", "")))
    return rows


@pytest.fixture
def no_network(monkeypatch):
    """Any Hub client or socket connection fails the test."""
    import huggingface_hub

    def refuse(*a, **k):
        raise AssertionError("a dry run must not talk to a server")

    monkeypatch.setattr(huggingface_hub, "HfApi", refuse)
    monkeypatch.setattr(S, "make_api", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def expected() -> set[str]:
    """What a Space needs, found another way: git's tracked files under the four paths (when this is a
    git checkout), else the folders' files without caches."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", *F.SPACE_PATHS],
                             cwd=ROOT, capture_output=True, text=True, check=True, timeout=60).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return {p for p in out if (ROOT / p).is_file()}


def test_the_dry_run_lists_exactly_what_a_space_needs(no_network, expected):
    rc, out = _run("space", "deploy", "--repo-id", "someone/normgen", "--dry-run")
    assert rc == 0
    listed = _listed(out)
    assert {"app.py", "requirements.txt", "README.md", ".gitattributes"} <= set(listed)
    assert set(listed) - {"README.md", ".gitattributes"} == expected
    assert {p for p in expected if p.startswith("checkpoints/")} and {p for p in expected if p.startswith("normgen/")}
    for p in listed:
        assert not p.startswith(("tests/", "scripts/", "docs/", ".ci/", "runs/", ".venv/")), p
        assert "__pycache__" not in p and not p.endswith(".pyc"), p
    for p, (_, size) in listed.items():  # sizes as on disk (the generated two: as written)
        if p not in ("README.md", ".gitattributes"):
            assert size == (ROOT / p).stat().st_size, p
    total = sum(size for _, size in listed.values())
    lfs = [p for p, (route, _) in listed.items() if route == "lfs"]
    assert f"{len(listed)} files, {F.human_size(total)}: {len(lfs)} through large-file storage" in out
    assert "nothing sent" in out


def test_caches_and_hidden_files_are_left_out(tmp_path):
    for name in ("app.py", "requirements.txt"):
        (tmp_path / name).write_text("gradio==6.31.0\n" if name == "requirements.txt" else "print(1)\n")
    (tmp_path / "normgen" / "__pycache__").mkdir(parents=True)
    (tmp_path / "normgen" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "normgen" / "x.py").write_text("")
    (tmp_path / "normgen" / ".DS_Store").write_bytes(b"\0")
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "m.safetensors").write_bytes(b"\x08\0\0\0\0\0\0\0{}      ")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("")
    paths = [f.path for f in F.space_files(tmp_path)]
    assert paths == [".gitattributes", "README.md", "app.py", "checkpoints/m.safetensors", "normgen/x.py",
                     "requirements.txt"]


def test_every_binary_is_routed_through_large_file_storage():
    files = F.space_files()
    for f in files:
        data = f.source.read_bytes()[:8000] if f.source else b""
        binary = b"\0" in data or Path(f.path).suffix in {".safetensors", ".png", ".npz", ".pt"}
        assert f.lfs == (binary or f.size > F.LARGE_BYTES), f.path
    assert all(f.lfs for f in files if f.path.endswith(".safetensors"))
    assert not any(f.lfs for f in files if f.path.endswith((".py", ".md", ".txt")))
    # the git route: .gitattributes sends exactly those files through LFS
    rules = [line.split()[0] for line in F.gitattributes(files).splitlines() if line and not line.startswith("#")]
    assert all(line.endswith(F.LFS_ATTRS) for line in F.gitattributes(files).splitlines()[1:])

    def matched(path: str) -> bool:
        return any(fnmatch.fnmatch(Path(path).name, r) if "/" not in r else path == r for r in rules)

    assert [f.path for f in files if f.lfs and not matched(f.path)] == []
    assert [f.path for f in files if not f.lfs and matched(f.path)] == []


def test_a_binary_suffix_shared_with_text_files_is_routed_by_path(tmp_path):
    files = [F.SpaceFile("a/x.bin", 10, True, None), F.SpaceFile("a/y.bin", 10, False, None),
             F.SpaceFile("m.png", 10, True, None), F.SpaceFile("big.json", F.LARGE_BYTES + 1, True, None)]
    rules = [line.split()[0] for line in F.gitattributes(files).splitlines()[1:]]
    assert rules == ["*.json", "*.png", "a/x.bin"]


def test_the_front_matter_parses_and_pins_the_gradio_of_requirements():
    readme = F.space_readme()
    assert readme.startswith("---\n")
    front, body = readme[4:].split("\n---\n", 1)
    meta = yaml.safe_load(front)
    pin = next(line.split("==")[1].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
               if line.startswith("gradio=="))
    assert meta["sdk"] == "gradio" and meta["sdk_version"] == pin == "6.31.0"
    assert meta["app_file"] == "app.py" and (ROOT / meta["app_file"]).is_file()
    assert meta["python_version"] == "3.11" and isinstance(meta["python_version"], str)
    assert meta["suggested_hardware"] == "cpu-basic"
    assert {"title", "emoji", "colorFrom", "colorTo", "short_description", "license"} <= set(meta)
    assert len(meta["short_description"]) <= 60  # the Hub's limit
    assert "# normgen" in body and "](docs/" not in body  # no link to a file the Space does not hold


def test_the_out_folder_holds_the_same_files_and_parses(tmp_path, no_network):
    out = tmp_path / "space"
    rc, printed = _run("space", "deploy", "--out", str(out))
    assert rc == 0 and "wrote" in printed
    files = F.space_files()
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == [f.path for f in files]
    for f in files:
        if f.source is not None:
            assert (out / f.path).read_bytes() == f.source.read_bytes(), f.path
    from huggingface_hub import metadata_load

    assert metadata_load(out / "README.md")["sdk_version"] == "6.31.0"
    assert "*.safetensors filter=lfs diff=lfs merge=lfs -text" in (out / ".gitattributes").read_text()
    with pytest.raises(FileExistsError):
        F.write_folder(out)


class FakeHub:
    """huggingface_hub.HfApi's four calls a deploy makes, recorded; the upload's folder is read while it
    exists."""

    def __init__(self, hardware: str | None = None):
        self.calls: list[tuple[str, tuple, dict]] = []
        self.hardware = hardware
        self.uploaded: list[str] = []

    def create_repo(self, *a, **k):
        self.calls.append(("create_repo", a, k))
        return f"https://huggingface.co/spaces/{a[0]}"

    def get_space_runtime(self, *a, **k):
        self.calls.append(("get_space_runtime", a, k))
        return SimpleNamespace(hardware=self.hardware, requested_hardware=self.hardware)

    def request_space_hardware(self, *a, **k):
        self.calls.append(("request_space_hardware", a, k))

    def upload_folder(self, **k):
        self.calls.append(("upload_folder", (), k))
        folder = Path(k["folder_path"])
        self.uploaded = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("private", [False, True])
def test_a_deploy_creates_the_space_sets_its_hardware_and_uploads_the_file_set(monkeypatch, private):
    hub = FakeHub()
    monkeypatch.setattr(S, "make_api", lambda: hub)
    rc, out = _run("space", "deploy", "--repo-id", "someone/normgen", *(["--private"] if private else []))
    assert rc == 0 and "https://huggingface.co/spaces/someone/normgen" in out
    names = [c[0] for c in hub.calls]
    assert names == ["create_repo", "get_space_runtime", "request_space_hardware", "upload_folder"]
    _, args, kw = hub.calls[0]
    assert args == ("someone/normgen",)
    assert kw == {"repo_type": "space", "space_sdk": "gradio", "private": True if private else None,
                  "exist_ok": True}
    assert hub.calls[2][1] == ("someone/normgen", "cpu-basic")
    up = hub.calls[3][2]
    assert up["repo_id"] == "someone/normgen" and up["repo_type"] == "space" and up["delete_patterns"] == ["*"]
    assert hub.uploaded == [f.path for f in F.space_files()]
    assert not Path(up["folder_path"]).exists()  # the staging folder is gone


def test_a_space_with_hardware_keeps_it(monkeypatch):
    hub = FakeHub(hardware="t4-small")
    S.deploy(hub, "someone/normgen", private=False, log=lambda s: None)
    assert [c[0] for c in hub.calls] == ["create_repo", "get_space_runtime", "upload_folder"]


def test_no_token_is_one_line_and_no_call(monkeypatch, tmp_path, capsys):
    from huggingface_hub import constants

    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "token"))  # an empty login cache
    monkeypatch.setattr(socket.socket, "connect", lambda *a: pytest.fail("network"))
    assert main(["space", "deploy", "--repo-id", "someone/normgen"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "HF_TOKEN" in err[0]


@pytest.mark.parametrize("argv", [["space", "deploy"], ["space", "deploy", "--repo-id", "normgen", "--dry-run"],
                                  ["space", "deploy", "--repo-id", "a/b/c", "--dry-run"]])
def test_bad_arguments_are_one_line(argv, capsys, no_network):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--repo-id" in err[0]


def test_no_token_argument_exists():
    rc = None
    with pytest.raises(SystemExit) as e, contextlib.redirect_stdout(io.StringIO()) as buf:
        rc = main(["space", "deploy", "--help"])
    assert e.value.code == 0 and rc is None
    assert "--token" not in buf.getvalue() and "HF_TOKEN" in buf.getvalue()


def _space_start():
    import importlib.util

    spec = importlib.util.spec_from_file_location("space_start", ROOT / "scripts" / "space_start.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_space_start_finds_every_served_picture_in_component_values():
    """scripts/space_start.py (run by .ci/run) fetches these: FileData values, galleries and <img> in HTML."""
    s = _space_start()
    value = [{"image": {"path": "/tmp/a.png", "url": "http://h/gradio_api/file=/tmp/a.png"}, "caption": "x"},
             '<div><img src="/gradio_api/file=/tmp/b.png"><a href=\'/gradio_api/file=/tmp/c.json\'>c</a></div>',
             {"url": "https://example.org/not-a-file"}, "plain text", 3]
    assert s.file_urls(value) == ["http://h/gradio_api/file=/tmp/a.png", "/gradio_api/file=/tmp/b.png",
                                  "/gradio_api/file=/tmp/c.json"]
    assert s.file_urls({"components": []}) == []
