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


def _git(ref: str) -> str:
    if not ref or ref.startswith("-"):
        raise GitError(f"invalid git ref {ref!r}")  # never let a ref be read as an option
    git = shutil.which("git")
    if git is None:
        raise GitMissing("git not found on PATH; install git or compare two files: sfmon diff OLD NEW")
    return git


def listing(ref: str, directory: Path) -> list[str]:
    """Every file under `directory` at `ref`, as posix paths relative to it (for include globs)."""
    git = _git(ref)
    try:
        proc = subprocess.run(
            [git, "ls-tree", "-r", "--name-only", "-z", ref],  # paths relative to cwd: git's default
            cwd=directory if str(directory) else Path("."),
            capture_output=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise GitError(f"directory {directory} does not exist") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git ls-tree did not finish within {TIMEOUT}s") from None
    if proc.returncode != 0:
        detail = " ".join(proc.stderr.decode("utf-8", "replace").split()) or f"exit {proc.returncode}"
        raise GitError(f"cannot list {directory} at {ref}: {detail}")
    return [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def source(ref: str):  # -> includes.Source
    """Spec files as they are at `ref`: team files and environment overlays of `sfmon diff --base`."""
    from sfmon.problems import Problem, Severity, SpecError
    from sfmon.spec.includes import Source
    from sfmon.spec.loader import decode

    def label(path: Path) -> str:
        return f"{ref}:{path.as_posix()}"

    def read(path: Path) -> str:
        try:
            return decode(label(path), show(ref, path))
        except GitError as exc:
            raise SpecError([Problem(label(path), 0, 0, CHECK, Severity.ERROR, str(exc))]) from None

    def files(directory: Path) -> list[str]:
        try:
            return listing(ref, directory)
        except GitError:
            return []

    return Source(read, files, label)


def show(ref: str, path: Path) -> bytes:
    """The bytes of `path` (relative to the current directory, or absolute) at `ref`."""
    git = _git(ref)
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
