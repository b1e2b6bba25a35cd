"""`python -m normgen space deploy`: put the app on a Hugging Face Space (docs/deploy.md).

e.g. python -m normgen space deploy --repo-id USER/normgen --dry-run   # list what would go, talk to no one
     python -m normgen space deploy --repo-id USER/normgen             # create the Space if missing, upload
     python -m normgen space deploy --out ../normgen-space             # a folder to `git push` yourself

The token is huggingface_hub's own: $HF_TOKEN or a prior `hf auth login`; never an argument (it would
land in the shell's history).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from normgen.cli.space_files import ROOT, human_size, listing, space_files, write_folder
from normgen.cli.usage import UsageError

HARDWARE = "cpu-basic"  # free: 2 vCPU, 16 GB, the size the app is tuned for
COMMIT_MESSAGE = "Deploy normgen (python -m normgen space deploy)"


def make_api() -> Any:
    """The Hub client (its own token lookup: $HF_TOKEN, then the login cache). A function so that tests
    hand in a stand-in and no call leaves the machine."""
    from huggingface_hub import HfApi, get_token

    if get_token() is None:
        raise UsageError("no Hugging Face token: set HF_TOKEN (a write token) or run `hf auth login` first")
    return HfApi()


def deploy(api: Any, repo_id: str, *, private: bool, root: Path = ROOT, log=print) -> str:
    """Create the Space if missing (Gradio SDK, cpu-basic hardware unless it has some), then upload the file
    set in one commit. The Space then holds exactly that set: files an earlier deploy left that are no
    longer part of it are deleted in the same commit. Returns the Space's address."""
    url = api.create_repo(repo_id, repo_type="space", space_sdk="gradio", private=True if private else None,
                          exist_ok=True)
    runtime = api.get_space_runtime(repo_id)
    if runtime.hardware is None and runtime.requested_hardware is None:
        api.request_space_hardware(repo_id, HARDWARE)
        log(f"requested {HARDWARE} hardware")
    with tempfile.TemporaryDirectory(prefix="normgen-space-") as tmp:
        files = write_folder(Path(tmp), root)
        log(f"uploading {len(files)} files ({human_size(sum(f.size for f in files))}) to {repo_id}")
        api.upload_folder(repo_id=repo_id, repo_type="space", folder_path=tmp, commit_message=COMMIT_MESSAGE,
                          delete_patterns=["*"])
    return str(url)


def cmd_deploy(a: argparse.Namespace) -> int:
    if a.out:
        files = write_folder(Path(a.out))
        lfs = sum(f.lfs for f in files)
        print(f"wrote {len(files)} files ({human_size(sum(f.size for f in files))}) to {a.out}; its "
              f".gitattributes routes the {lfs} binaries through large-file storage. Push it with git "
              f"(git lfs install first): see docs/deploy.md")
        return 0
    if not a.repo_id:
        raise UsageError("--repo-id USER/NAME is required (or --out FOLDER for the git route)")
    if a.repo_id.count("/") != 1 or not all(a.repo_id.split("/")):
        raise UsageError(f"--repo-id must look like USER/NAME, got {a.repo_id!r}")
    if a.dry_run:
        print(listing(space_files()))
        print(f"dry run: nothing sent; without --dry-run this goes to https://huggingface.co/spaces/{a.repo_id}"
              f"{' (private)' if a.private else ''}")
        return 0
    from huggingface_hub.errors import HfHubHTTPError

    try:
        url = deploy(make_api(), a.repo_id, private=a.private)
    except HfHubHTTPError as exc:
        print(f"normgen: error: the Hub refused: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    print(f"deployed: {url} (the Space builds for a few minutes, then starts)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("space", help="put the app on a Hugging Face Space",
                       description="Hugging Face Space tools (see docs/deploy.md).")
    space_sub = p.add_subparsers(dest="space_command", required=True, parser_class=type(p))
    d = space_sub.add_parser("deploy", help="create the Space if missing and upload what it needs",
                             description="Upload app.py, normgen/, checkpoints/, requirements.txt and a README "
                                         "with the Space's front matter (no tests, scripts or local runs); "
                                         "binaries go through large-file storage. The token comes from "
                                         "$HF_TOKEN or `hf auth login`.")
    d.add_argument("--repo-id", default=None, help="the Space, USER/NAME (or ORG/NAME)")
    d.add_argument("--dry-run", action="store_true", help="list every file, its size and route; send nothing")
    d.add_argument("--private", action="store_true", help="create the Space private (an existing one keeps "
                                                          "its visibility)")
    d.add_argument("--out", default=None, help="write the Space's files (with a .gitattributes for git LFS) "
                                               "into this new folder instead of uploading")
    d.set_defaults(handler=cmd_deploy)
