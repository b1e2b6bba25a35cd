"""What a visitor may read of a server-side problem: the reason, never where files live on the server.

Exceptions from the data loaders, the checkpoint reader or a training process often quote absolute paths
(the data root, the zoo folder, the process's temp folder). A page shows them with `no_paths`: each
absolute path becomes its last name (`/srv/app/data/MNIST/raw` -> `raw`), so the visitor still learns
which file or folder is missing, and the server's layout stays private (issue 23)."""

from __future__ import annotations

import re

# an absolute POSIX path of two or more parts, or a Windows drive path; stops at whitespace, quotes,
# brackets and the punctuation that ends a sentence or a list
_PATH = re.compile(r"(?<![\w.:/])(?:[A-Za-z]:\\|/)(?:[^\s'\"`(),;:\[\]{}<>/\\]+[/\\])+[^\s'\"`(),;:\[\]{}<>/\\]*")


def _last_name(match: re.Match[str]) -> str:
    parts = [p for p in re.split(r"[/\\]", match.group(0)) if p]
    last = parts[-1] if parts else ""
    if last.endswith("."):  # a path that ends a sentence keeps its full stop outside
        return last[:-1].rstrip(".") + "."
    return last or "a server folder"


def no_paths(text: str) -> str:
    """`text` with every absolute path replaced by its last name."""
    return _PATH.sub(_last_name, text)


__all__ = ["no_paths"]
