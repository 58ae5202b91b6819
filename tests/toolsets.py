"""The toolsets the version-sensitive tests run against: Debian's promtool/amtool (the default
a user gets) and the Prometheus 3 / newest Alertmanager builds of scripts/install-go-tools.

A test marked `matrix` that uses the `toolset` fixture (directly or through `promtool`,
`amtool`, `prometheus_bin`, `alertmanager_bin`) runs once per active toolset; any other test
runs on Debian's tools only. Which toolsets are active:

- SFMON_TOOLSETS=debian,prom-3.5.1,... (set by `make test` when Go is installed): exactly
  those; one whose binaries are missing skips on a laptop and fails in CI (CI set);
- unset: Debian's, and every built toolset found in the cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALL = ROOT / "scripts" / "install-go-tools"
TOOLS = ("promtool", "prometheus", "amtool", "alertmanager")


@dataclass(frozen=True)
class Toolset:
    name: str
    paths: tuple[tuple[str, str | None], ...]  # (tool, path or None when not found)
    how: str  # how to get the missing binaries

    def path(self, tool: str) -> str | None:
        found = dict(self.paths)[tool]
        return found if found and os.access(found, os.X_OK) else None


def _debian() -> Toolset:
    # Debian names its Alertmanager binary prometheus-alertmanager.
    names = {"alertmanager": ("prometheus-alertmanager", "alertmanager")}
    paths = tuple((t, next(filter(None, map(shutil.which, names.get(t, (t,)))), None)) for t in TOOLS)
    return Toolset("debian", paths, "apt-get install prometheus prometheus-alertmanager")


@cache
def built() -> tuple[Toolset, ...]:
    """The toolsets scripts/install-go-tools builds (whether or not they are built yet)."""
    lines = subprocess.run(["bash", str(INSTALL), "paths"], capture_output=True, text=True, check=True, timeout=30).stdout
    out = []
    for line in lines.splitlines():
        name, prom, am = line.split()
        paths = (("promtool", f"{prom}/promtool"), ("prometheus", f"{prom}/prometheus"),
                 ("amtool", f"{am}/amtool"), ("alertmanager", f"{am}/alertmanager"))
        out.append(Toolset(name, paths, "make tools (needs Go: scripts/install-go-tools)"))
    return tuple(out)


@cache
def all_toolsets() -> dict[str, Toolset]:
    return {t.name: t for t in (_debian(), *built())}


@cache
def active() -> tuple[str, ...]:
    """The names of the toolsets this run uses, Debian's first."""
    chosen = os.environ.get("SFMON_TOOLSETS", "").strip()
    if chosen:
        names = tuple(n.strip() for n in chosen.split(",") if n.strip())
        unknown = [n for n in names if n not in all_toolsets()]
        if unknown:
            raise ValueError(f"SFMON_TOOLSETS names unknown toolsets {unknown}; known: {sorted(all_toolsets())}")
        return names
    return ("debian", *(t.name for t in built() if all(t.path(tool) for tool in TOOLS)))


def distinct(names: tuple[str, ...], tools: tuple[str, ...]) -> tuple[str, ...]:
    """The first of each group of toolsets that share the same binaries for `tools`."""
    seen, out = set(), []
    for name in names:
        key = tuple(dict(all_toolsets()[name].paths)[t] for t in tools)
        if key not in seen:
            seen.add(key)
            out.append(name)
    return tuple(out)
