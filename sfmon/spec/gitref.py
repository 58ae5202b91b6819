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
    where = directory if str(directory) else Path(".")
    out = _run_git([_git(ref), "ls-tree", "-r", "--name-only", "-z", ref], where, f"cannot list {directory} at {ref}")  # paths relative to cwd
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


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
    return _run_git([git, "show", f"{ref}:./{path.name}"], where, f"cannot read {path} at {ref}")


def _run_git(args: list[str], cwd: Path, failing: str) -> bytes:
    """git's stdout, bounded in time; GitError saying `failing` and git's reason otherwise."""
    try:
        proc = subprocess.run(args, cwd=cwd, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise GitError(f"directory {cwd} does not exist") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[1]} did not finish within {TIMEOUT}s") from None
    if proc.returncode != 0:
        detail = " ".join(proc.stderr.decode("utf-8", "replace").split()) or f"exit {proc.returncode}"
        raise GitError(f"{failing}: {detail}")
    return proc.stdout
