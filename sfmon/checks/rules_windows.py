"""Rate windows too short to hold two samples: `rate(x[w])` needs at least two samples of a
series inside `w`, so with w under twice the scrape interval the expression is often empty
and the alert may never fire. A warning on the alert's `window` (or its expression)."""

from __future__ import annotations

from typing import Any, Iterator

from sfmon.checks import Context
from sfmon.problems import Problem, Severity

# Functions over a range that need two samples in it.
_TWO_SAMPLES = {"rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes"}


def windows(ast: Any) -> Iterator[tuple[str, int]]:
    """(function, range in ms) of each two-sample function over a range in a PromQL AST."""
    import promql_parser

    stack = [ast]
    for _ in range(100_000):  # bounded: an expression is far smaller
        if not stack:
            return
        node = stack.pop()
        if isinstance(node, promql_parser.Call):
            for arg in node.args:
                if node.func.name in _TWO_SAMPLES and isinstance(arg, promql_parser.MatrixSelector):
                    yield node.func.name, int(arg.range.total_seconds() * 1000)
                stack.append(arg)
        elif isinstance(node, promql_parser.BinaryExpr):
            stack += [node.lhs, node.rhs]
        elif isinstance(node, promql_parser.AggregateExpr):
            stack += [x for x in (node.expr, node.param) if x is not None]
        elif isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
            stack.append(node.expr)


def check(ctx: Context) -> Iterator[Problem]:
    import promql_parser

    from sfmon.semantics.units import format_duration_ms

    targets = {t.name: t for t in ctx.spec.targets}
    default = ctx.spec.prometheus.scrape_interval
    for i, alert in enumerate(ctx.spec.alerts):
        target = targets.get(alert.target_name() or "")
        interval = (target.scrape_interval if target is not None else None) or default
        field = "window" if "window" in ctx.data["alerts"][i] else "expr" if "expr" in ctx.data["alerts"][i] else "name"
        for rule in alert.rules():
            try:
                found = list(windows(promql_parser.parse(rule.expr)))
            except BaseException as exc:  # the parser's panic; promtool reports the expression
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                continue
            short = [(fn, ms) for fn, ms in found if ms < 2 * interval.ms]
            if short:
                fn, ms = short[0]
                yield ctx.problem(
                    ("alerts", i, field),
                    f"{fn}() over {format_duration_ms(ms)} in alert {alert.name!r} spans fewer than two scrapes "
                    f"(interval {interval}): the rate is often empty and the alert may never fire; "
                    f"use a window of at least {format_duration_ms(2 * interval.ms)} (4x the interval is safer)",
                    Severity.WARNING,
                )
                break
