"""Reads a file as it was at a git ref (`git show REF:path`), for `sfmon diff --base`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

TIMEOUT = 60
CHECK = "spec/gitref"  # the check id of a ref or path git cannot show


class GitMissing(Exception):
    pass


class GitError(Exception):
    pass


def show(ref: str, path: Path) -> bytes:
    """The bytes of `path` (relative to the current directory, or absolute) at `ref`."""
    if not ref or ref.startswith("-"):
        raise GitError(f"invalid git ref {ref!r}")  # never let a ref be read as an option
    git = shutil.which("git")
    if git is None:
        raise GitMissing("git not found on PATH; install git or compare two files: sfmon diff OLD NEW")
    # `REF:./name` is resolved against the working directory, so run git beside the file.
    where = path.parent if str(path.parent) else Path(".")
    try:
        proc = subprocess.run(
            [git, "show", f"{ref}:./{path.name}"],
            cwd=where,
            capture_output=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise GitError(f"directory {where} does not exist") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git show did not finish within {TIMEOUT}s") from None
    if proc.returncode != 0:
        detail = " ".join(proc.stderr.decode("utf-8", "replace").split()) or f"exit {proc.returncode}"
        raise GitError(f"cannot read {path} at {ref}: {detail}")
    return proc.stdout
