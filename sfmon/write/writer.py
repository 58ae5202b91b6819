"""Puts rendered files into the output directory atomically, or reports how it differs.

The new tree is built in a sibling staging directory (unchanged files and files sfmon does
not own are hard-linked from the current tree), then swapped in with one
renameat2(RENAME_EXCHANGE). Any failure before the swap leaves the old tree untouched; a
crash after it leaves the new one. A manifest lists the files sfmon owns, so pruning never
removes a user's file. An flock on the parent directory keeps concurrent runs apart.
"""

from __future__ import annotations

import ctypes
import difflib
import errno
import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from sfmon.problems import Problem, Severity

MANIFEST = ".sfmon-manifest"
_STAGING = ".sfmon-staging-"
DRIFT = "write/drift"  # check ids of the problems this module reports
FAILED = "write/failed"


class NotOwned(Exception):
    """Rendering would overwrite files that are in the output directory but not sfmon's."""

    def __init__(self, out: Path, paths: list[str]):
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        super().__init__(
            f"{out}/ holds {shown}, which sfmon did not write (not in {MANIFEST}); "
            "move or delete it, then run again"
        )
        self.paths = paths


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def manifest_text(paths: list[str]) -> str:
    lines = ["# Files written by sfmon; it removes them when they are no longer rendered."]
    return "\n".join(lines + sorted(paths)) + "\n"


def owned(out: Path) -> set[str]:
    try:
        text = (out / MANIFEST).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return set()
    return {ln for ln in text.splitlines() if ln and not ln.startswith("#") and _safe_rel(ln)}


def _safe_rel(rel: str) -> bool:
    p = Path(rel)
    return not p.is_absolute() and ".." not in p.parts


def with_manifest(files: dict[str, str]) -> dict[str, str]:
    return {**files, MANIFEST: manifest_text(list(files))}


def compare(out: Path, files: dict[str, str], stop_at_first: bool = False) -> Changes:
    """How `out` differs from `files` (which includes the manifest)."""
    changes = Changes()
    for rel, text in files.items():
        try:
            current = (out / rel).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            changes.added.append(rel)
        except IsADirectoryError:
            changes.changed.append(rel)
        else:
            if current != text.encode("utf-8"):
                changes.changed.append(rel)
        if stop_at_first and changes:
            return changes
    changes.removed = sorted(owned(out) - set(files))
    return changes


def unified_diff(out: Path, files: dict[str, str], changes: Changes) -> str:
    chunks: list[str] = []
    for rel in sorted([*changes.added, *changes.changed, *changes.removed]):
        old = _read(out / rel) if rel not in changes.added else ""
        new = files.get(rel, "")
        chunks.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{out.name}/{rel}" if rel not in changes.added else "/dev/null",
                tofile=f"b/{out.name}/{rel}" if rel not in changes.removed else "/dev/null",
            )
        )
    return "".join(c if c.endswith("\n") else c + "\n\\ No newline at end of file\n" for c in chunks)


def drift_problems(out: Path, changes: Changes) -> list[Problem]:
    """One error per output file that differs from the render, for machine formats."""
    return [
        Problem(f"{out}/{rel}", 0, 0, DRIFT, Severity.ERROR, f"{what}: run `sfmon generate` and commit the result")
        for what, rels in (("missing", changes.added), ("stale", changes.changed), ("no longer generated", changes.removed))
        for rel in rels
    ]


def failure_problems(out: Path, exc: NotOwned | OSError) -> list[Problem]:
    """Why `write` refused or failed; it raises before the swap, so `out` is as it was."""
    why = str(exc) if isinstance(exc, NotOwned) else f"cannot write: {exc.strerror or exc}"
    return [Problem(str(out), 0, 0, FAILED, Severity.ERROR, f"{why}; {out}/ is unchanged")]


def write_file(path: Path, text: str) -> None:
    """Replace one file atomically: readers see the old content or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


@contextmanager
def _locked(parent: Path) -> Iterator[None]:
    fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write(out: Path, files: dict[str, str], hook: Callable[[str], None] | None = None) -> Changes:
    """Make `out` hold exactly `files` (+ manifest) plus the user's own files.

    `hook(step)` is called between steps; tests use it to simulate a crash anywhere.
    """
    step = hook or (lambda _name: None)
    files = with_manifest(files)
    # A symlinked output directory is written where it points, and stays a symlink.
    out = Path(os.path.realpath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    with _locked(out.parent):
        _sweep(out.parent)
        changes = compare(out, files)
        if not changes and out.is_dir():
            return changes
        _refuse_foreign(out, changes)
        staging = Path(f"{out.parent}/{_STAGING}{out.name}-{os.getpid()}")
        try:
            staging.mkdir()
            step("staging-created")
            mine = owned(out)
            if out.is_dir():
                _carry_over(out, staging, mine, files, changes)
            step("user-files-linked")
            for rel, text in files.items():
                if (staging / rel).exists():
                    continue  # unchanged, linked above
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "w", encoding="utf-8", newline="") as fh:
                    fh.write(text)
                    fh.flush()
                    os.fsync(fh.fileno())
                step(f"wrote:{rel}")
            _fsync_dir(staging)
            step("before-swap")
            if out.is_dir():
                _exchange(staging, out)
            else:
                os.rename(staging, out)
            _fsync_dir(out.parent)
            step("after-swap")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return changes


def _refuse_foreign(out: Path, changes: Changes) -> None:
    """Never overwrite what sfmon did not write: once it owns a directory (it has a
    manifest), a file of the user's where a rendered file goes is refused; so is, always,
    a directory or file standing where a rendered file or its parent directory must be."""
    managed = (out / MANIFEST).is_file()
    mine = owned(out)
    foreign = {rel for rel in changes.changed if managed and rel != MANIFEST and rel not in mine}
    for rel in [*changes.added, *changes.changed]:
        path = out / rel
        if path.is_dir():
            foreign.add(rel)
        for parent in list(Path(rel).parents)[:-1]:
            if os.path.lexists(out / parent) and not (out / parent).is_dir():
                foreign.add(parent.as_posix())
    if foreign:
        raise NotOwned(out, sorted(foreign))


def _carry_over(out: Path, staging: Path, mine: set[str], files: dict[str, str], changes: Changes) -> None:
    """Link into staging the user's files and the owned files whose content is unchanged.
    The user's symlinks and empty directories come along too."""
    dirty = set(changes.added) | set(changes.changed)
    for root, dirs, names in os.walk(out):
        dirs[:] = [d for d in dirs if not (Path(root) == out and d.startswith(_STAGING))]
        if not dirs and not names and Path(root) != out:
            (staging / Path(root).relative_to(out)).mkdir(parents=True, exist_ok=True)
        names += [d for d in dirs if os.path.islink(os.path.join(root, d))]  # not walked: linked as they are
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
        for name in names:
            src = Path(root) / name
            rel = src.relative_to(out).as_posix()
            keep = (rel not in mine and rel not in files) or (rel in files and rel not in dirty)
            if not keep:
                continue
            dst = staging / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dst, follow_symlinks=False)
            except OSError:
                shutil.copy2(src, dst, follow_symlinks=False)


def _sweep(parent: Path) -> None:
    """Remove staging directories that a killed run left behind."""
    for leftover in parent.glob(f"{_STAGING}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> None:
    """Atomically swap two directories (Linux renameat2); fall back to two renames."""
    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is not None:
        rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
        if rc == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(err, os.strerror(err), str(b))
    # Not atomic: a crash between the two renames leaves `b` missing and the old tree in `a`'s sibling.
    old = a.with_name(a.name + "-old")
    os.rename(b, old)
    os.rename(a, b)
    os.rename(old, a)
