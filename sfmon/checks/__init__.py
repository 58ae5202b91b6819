"""Semantic checks of a parsed spec: one module per check, registered in CHECKS.

A check is a module with `check(ctx) -> Iterable[Problem]`. Its id in reports is its module
name with the first `_` read as `/` and any other as `-` (`routing_receivers.py` reports
as `routing/receivers`), so an id always tells which file to open.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any, Sequence

from sfmon.model import Spec
from sfmon.problems import Problem, Severity, hint  # noqa: F401  (checks import hint from here)
from sfmon.spec.sourcemap import SourceMap, dotted

# In the order they run; each name is a module of this package.
CHECKS = ("names_unique", "names_references", "routing_receivers", "promql_metrics", "rules_tests", "routing_tests", "routing_alerts")


def check_id(module_name: str) -> str:
    area, _, rest = module_name.rpartition(".")[2].partition("_")
    return f"{area}/{rest.replace('_', '-')}" if rest else area


@dataclass
class Context:
    spec: Spec
    data: Any  # the raw YAML data, for field names
    smap: SourceMap
    check_id: str = ""

    def problem(self, loc: Sequence[Any], message: str, severity: Severity = Severity.ERROR, key: bool = False) -> Problem:
        file, line, col = self.smap.where(loc, key=key)
        return Problem(file, line, col, self.check_id, severity, f"{dotted(loc, self.data)}: {message}")


def _registry() -> list[Any]:
    return [import_module(f"{__name__}.{name}") for name in CHECKS]


def ids() -> list[str]:
    return [check_id(name) for name in CHECKS]


def run_checks(ctx: Context) -> list[Problem]:
    problems: list[Problem] = []
    for module in _registry():
        ctx.check_id = check_id(module.__name__)
        problems.extend(module.check(ctx))
    return sorted(problems)

