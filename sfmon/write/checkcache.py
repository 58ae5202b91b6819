"""A local memo for `sfmon generate --check`, so the pre-commit hook costs next to nothing.

The key hashes everything the rendered bytes depend on: the spec, overlays and --set
values, the templates, sfmon's own source, the libraries that shape the output and the
Python version. The value records the hash of every output file (manifest included) and
the problems reported with it (warnings), to be reported again. A hit still reads and hashes each output file, so a
hand edit in generated/ is caught; any miss falls back to the full load/check/render.
The memo lives in the user's cache directory, never in generated/ or the repo.

Team files and environment overlays are only known once the spec is read, so the entry
also records each such input's hash and what each `include:` glob matched; a hit re-hashes
them and re-runs the globs, so an edited, added or removed team file is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Iterable

from sfmon import paths

# Libraries whose version can change the rendered bytes or the findings.
_LIBS = ("jinja2", "pydantic", "pydantic_core", "ruamel.yaml", "promql_parser", "ryml", "typer")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sfmon" / "check"


def _hash_tree(h: "hashlib._Hash", root: Path, suffixes: tuple[str, ...]) -> None:
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in suffixes and "__pycache__" not in p.parts):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")


def key(spec: Path, overlays: Iterable[Path], sets: Iterable[str], templates: Path, out: Path) -> str | None:
    """The memo key, or None when an input cannot be read (the full path reports it)."""
    h = hashlib.sha256()
    try:
        for label, path in [("spec", spec), *(("overlay", p) for p in overlays)]:
            h.update(label.encode() + b"\0" + path.read_bytes() + b"\0")
        _hash_tree(h, templates, (".j2",))
        _hash_tree(h, paths.PACKAGE, (".py",))  # all of sfmon, not just this package
    except OSError:
        return None
    for value in (*sets, str(out.absolute()), sys.version):
        h.update(b"\1" + value.encode("utf-8", "surrogateescape"))
    for lib in _LIBS:
        try:
            origin = (find_spec(lib) or None) and find_spec(lib).origin  # type: ignore[union-attr]
        except (ImportError, ValueError):
            origin = None
        stat = os.stat(origin) if origin and os.path.exists(origin) else None
        h.update(f"\2{lib}:{origin}:{stat and (stat.st_size, stat.st_mtime_ns)}".encode())
    return h.hexdigest()


def file_hashes(out: Path, rels: Iterable[str]) -> dict[str, str] | None:
    hashes = {}
    for rel in rels:
        try:
            hashes[rel] = hashlib.sha256((out / rel).read_bytes()).hexdigest()
        except OSError:
            return None
    return hashes


def _input_hashes(paths: Iterable[str]) -> dict[str, str] | None:
    return file_hashes(Path("."), paths)


def _globs(patterns: Iterable) -> list:
    from sfmon.spec.includes import file_source

    src = file_source()
    return [[Path(base).as_posix(), pattern, [m.as_posix() for m in src.glob(Path(base), pattern)]] for base, pattern, _ in patterns]


def lookup(memo_key: str | None, out: Path) -> list[dict] | None:
    """The recorded problems if `out` is still exactly what this key rendered (and every
    team file and environment overlay is as it was), else None."""
    if memo_key is None:
        return None
    try:
        entry = json.loads((cache_dir() / f"{memo_key}.json").read_text(encoding="utf-8"))
        recorded: dict[str, str] = entry["files"]
        report: list[dict] = entry["problems"]
        inputs: dict[str, str] = entry.get("inputs", {})
        globs: list = entry.get("globs", [])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    try:
        if inputs and _input_hashes([str(Path(p).absolute()) for p in inputs]) != {str(Path(p).absolute()): h for p, h in inputs.items()}:
            return None
        if globs and _globs([(b, p, m) for b, p, m in globs]) != globs:
            return None
    except (OSError, ValueError, TypeError):
        return None
    return report if file_hashes(out, recorded) == recorded else None


def store(memo_key: str | None, files: dict[str, str], problems: list, inputs=None) -> None:
    """Record that these rendered files (text by path, manifest included) are what the key gives;
    `inputs` (pipeline.Inputs): the team files and environment overlays the load read."""
    if memo_key is None:
        return
    extra, globs = {}, []
    if inputs is not None:
        hashed = _input_hashes([str(Path(p).absolute()) for p in inputs.files])
        if hashed is None:
            return
        extra = hashed
        globs = [[Path(b).as_posix(), p, m] for b, p, m in inputs.patterns]
    entry = {
        "files": {rel: hashlib.sha256(t.encode("utf-8")).hexdigest() for rel, t in files.items()},
        "problems": [{**vars(p), "severity": int(p.severity)} for p in problems],
        "inputs": extra,
        "globs": globs,
    }
    try:
        d = cache_dir()
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".{memo_key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(entry), encoding="utf-8")
        os.replace(tmp, d / f"{memo_key}.json")
    except OSError:
        pass  # a read-only or full cache only costs speed
