"""Semantic checks of a parsed spec: one module per check, registered in CHECKS.

A check is a module with `ID` (its name in reports) and `check(ctx) -> Iterable[Problem]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from sfmon.derive import Derived
from sfmon.model import Spec
from sfmon.problems import Problem, Severity, hint  # noqa: F401  (checks import hint from here)
from sfmon.spec.sourcemap import SourceMap, dotted


@dataclass
class Context:
    spec: Spec
    data: Any  # the raw YAML data, for field names
    smap: SourceMap
    derived: Derived  # rule tests, route cases, routing tree: computed once, read by the checks
    check_id: str = ""

    def problem(self, loc: Sequence[Any], message: str, severity: Severity = Severity.ERROR, key: bool = False) -> Problem:
        file, line, col = self.smap.where(loc, key=key)
        return Problem(file, line, col, self.check_id, severity, f"{dotted(loc, self.data)}: {message}")


def _registry() -> list[Any]:
    from sfmon.checks import alert_routing, duplicates, metrics, references, routes, routing_tests, rule_tests

    return [duplicates, references, routes, metrics, rule_tests, routing_tests, alert_routing]


def run_checks(ctx: Context) -> list[Problem]:
    problems: list[Problem] = []
    for module in _registry():
        ctx.check_id = module.ID
        problems.extend(module.check(ctx))
    return sorted(problems)
