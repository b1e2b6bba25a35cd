"""Bad input on the command line: one line on stderr and exit code 2, never argparse's usage block.

Its own module so that every sub-command module can raise `UsageError` without importing the
package that lists them (that would be an import circle)."""

from __future__ import annotations

import argparse

EXIT_USAGE = 2


class UsageError(Exception):
    """A user mistake: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a parse error raises `UsageError` (one line naming the --help to read)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sub = self.prog.split()[1:]  # "normgen train" -> ["train"]
        raise UsageError(f"{message} (see: python -m normgen {' '.join(sub + ['--help'])})")
