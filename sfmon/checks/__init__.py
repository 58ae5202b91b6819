"""Semantic checks of a parsed spec: one module per check, registered in CHECKS.

A check is a module with `check(ctx) -> Iterable[Problem]`. Its id in reports is its module
name with the first `_` read as `/` and any other as `-` (`routing_receivers.py` reports
as `routing/receivers`), so an id always tells which file to open.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import import_module
from typing import Any, Sequence

from sfmon.derive import Derived
from sfmon.model import Spec
from sfmon.problems import Problem, Severity, hint  # noqa: F401  (checks import hint from here)
from sfmon.spec.sourcemap import SourceMap, dotted

# In the order they run; each name is a module of this package.
CHECKS = (
    "names_unique", "names_case", "names_references", "targets_timeout", "targets_relabel", "targets_probes", "targets_discovery", "targets_replica", "alertmanager_peers", "outputs_operator", "routing_receivers", "routing_repeats",
    "routing_inhibit", "promql_metrics", "promql_bucket_labels", "recording_references", "recording_cycles", "rules_windows", "rules_tests",
    "rules_unproven", "routing_intervals", "routing_tests", "routing_alerts",
)  # fmt: skip

ACKNOWLEDGE = "spec/acknowledge"  # the id of problems with the spec's own `acknowledge` list


def check_id(module_name: str) -> str:
    area, _, rest = module_name.rpartition(".")[2].partition("_")
    return f"{area}/{rest.replace('_', '-')}" if rest else area


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
    return [import_module(f"{__name__}.{name}") for name in CHECKS]


def ids() -> list[str]:
    return [check_id(name) for name in CHECKS]


def run_checks(ctx: Context) -> list[Problem]:
    problems: list[Problem] = []
    for module in _registry():
        ctx.check_id = check_id(module.__name__)
        problems.extend(module.check(ctx))
    return sorted(_acknowledged(ctx, problems))


# --- acknowledgements ---------------------------------------------------------------------

def _where(ctx: Context, where: str) -> str | None:
    """`where` as the problems spell their path (`alerts[3].expr`), or None if it names
    nothing in the spec. Read as `--set` paths are: a `[name]` step picks the list item with
    that name or uid."""
    from sfmon.spec.overlay import find_item, parse_path

    path = parse_path(where)
    if isinstance(path, int) or where.startswith("."):
        return None
    out, node = "", ctx.data
    for part in path:
        if isinstance(part, str):
            if not isinstance(node, dict) or part not in node:
                return None
            node, out = node[part], f"{out}.{part}" if out else part
            continue
        index = find_item(node, part) if isinstance(node, list) else None
        if index is None:
            return None
        node, out = node[index], f"{out}[{index}]"
    return out or None


def _under(problem: Problem, path: str) -> bool:
    """Whether the problem is at `path` or below it: Context.problem starts every message
    with the dotted path of its location."""
    return problem.message.startswith(path) and problem.message[len(path) : len(path) + 1] in (":", ".", "[")


def _acknowledged(ctx: Context, problems: list[Problem]) -> list[Problem]:
    """Mark the warnings the spec acknowledges; report acknowledgements that try to hide an
    error, name no check, or match nothing (stale: the warning they were written for is gone)."""
    known = ids()
    out = list(problems)
    ctx.check_id = ACKNOWLEDGE
    for i, ack in enumerate(ctx.spec.acknowledge):
        if ack.check not in known:
            out.append(ctx.problem(("acknowledge", i, "check"), f"unknown check {ack.check!r}" + hint(ack.check, known)))
            continue
        path = _where(ctx, ack.where) if ack.where is not None else ""
        if path is None:
            out.append(
                ctx.problem(("acknowledge", i, "where"), f"stale: {ack.where} names nothing in the spec", Severity.WARNING)
            )
            continue
        matched = [j for j, p in enumerate(out) if p.check == ack.check and (not path or _under(p, path))]
        for j in matched:
            if out[j].severity == Severity.WARNING:
                out[j] = replace(out[j], acknowledged=ack.reason)
            elif out[j].severity >= Severity.ERROR:
                p = out[j]
                out.append(ctx.problem(("acknowledge", i), f"an error cannot be acknowledged, fix it: {p.location()}: {p.message}"))
        if not matched:
            at = f" at {ack.where}" if ack.where else ""
            out.append(
                ctx.problem(
                    ("acknowledge", i),
                    f"stale: no {ack.check} warning{at} to acknowledge; remove this entry",
                    Severity.WARNING,
                )
            )
    return out
