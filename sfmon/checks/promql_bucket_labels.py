"""On Prometheus 3, a matcher on an `le` or `quantile` value a scrape never stores.

Prometheus 3 stores a classic histogram's `le` and a summary's `quantile` as floats in
OpenMetrics form (sfmon.semantics.exposition: `le="1"` is scraped as `le="1.0"`), so a
selector written against 2.x's text (`le="1"`, `quantile="1"`, `le=~"1|2"`) selects nothing
a scrape wrote. A warning, only when `prometheus.version` is 3.x, on the spec field holding
the text (an alert's selector field or raw `expr`, its guards, a recording rule's `expr`, a
dashboard query), naming the value 3.x stores. Matchers that select (`=`, and `=~` over
plain alternatives) are checked; a metric a catalog declares as another type is left alone.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from sfmon.checks import Context
from sfmon.problems import Problem, Severity
from sfmon.semantics import regex
from sfmon.semantics.exposition import NORMALISED, never_scraped

# A regex that is plain alternatives of literal text (a point or plus may be escaped; an
# unescaped point matches itself among others, so the text still names that value).
_LITERALS = re.compile(r"(?:[0-9A-Za-z_+-]|\\[.+-]|\.)*(?:\|(?:[0-9A-Za-z_+-]|\\[.+-]|\.)*)*")


def _literals(pattern: str) -> list[str] | None:
    if not _LITERALS.fullmatch(pattern):
        return None
    return [re.sub(r"\\(.)", r"\1", alt) for alt in pattern.split("|")]


def _types(spec: Any) -> dict[str, str]:
    """Each cataloged series name -> its family's type (`x_bucket` -> histogram)."""
    out: dict[str, str] = {}
    for families in spec.catalogs.values():
        for family in families:
            for name in family.series_names():
                out.setdefault(name, family.type)
    return out


def unscraped(ast: Any, types: dict[str, str]) -> Iterator[tuple[str, str, str, str]]:
    """(op, label, value, what 3.x stores) for each selecting matcher on a value Prometheus 3
    never stores, in a parsed expression."""
    import promql_parser

    found: list[tuple[str, str, str, str]] = []

    def visit(node: Any) -> None:
        if not isinstance(node, promql_parser.VectorSelector):
            return
        for m in (m for group in (node.matchers.matchers, *node.matchers.or_matchers) for m in group):
            family = NORMALISED.get(m.name)
            if family is None or types.get(node.name or "", family) != family:
                continue
            op = str(m.op)
            if op == "MatchOp.Equal":
                form = never_scraped(m.name, m.value)
                if form is not None:
                    found.append(("=", m.name, m.value, form))
            elif op == "MatchOp.Re":
                found.extend(("=~", m.name, m.value, form) for form in _regex_misses(m.name, m.value))

    promql_parser.walk(ast, visit, None)
    return iter(found)


def _regex_misses(label: str, pattern: str) -> list[str]:
    """The stored forms of the regex's literal alternatives that the regex itself does not match."""
    alts = _literals(pattern)
    if alts is None:
        return []
    try:
        rx = regex.compile(pattern)
    except regex.RegexError:
        return []
    forms = (never_scraped(label, alt) for alt in alts)
    return [f for f in dict.fromkeys(forms) if f is not None and not rx.fullmatch(f)]


def _queries(ctx: Context) -> Iterator[tuple[tuple[Any, ...], str, str]]:
    """(location, what, PromQL) of every query the spec writes."""
    from sfmon.checks.promql_metrics import substitute

    for i, r in enumerate(ctx.spec.recording_rules):
        yield ("recording_rules", i, "expr"), f"recording rule {r.record}", r.expr
    for i, alert in ctx.spec.enabled_alerts():
        what = f"alert {alert.name!r}"
        for field, value in alert.selectors().items():
            texts = value if isinstance(value, list) else [value]
            for j, text in enumerate(texts):
                yield ("alerts", i, field, *((j,) if isinstance(value, list) else ())), what, text
        for j, guard in enumerate(alert.guards):
            yield ("alerts", i, "guards", j, guard.op), what, guard.selector
    for di, d in enumerate(ctx.spec.dashboards):
        variables = {v.name: v.sample for v in d.variables}
        for ri, row in enumerate(d.rows):
            for pi, p in enumerate(row.panels):
                base = ("dashboards", di, "rows", ri, "panels", pi)
                what = f"panel {p.title!r} of dashboard {d.uid!r}"
                queries = [((*base, "expr"), p.expr)] if p.expr is not None else []
                queries += [((*base, "queries", qi, "expr"), q.expr) for qi, q in enumerate(p.queries)]
                for loc, query in queries:
                    text, unknown = substitute(query, variables)
                    if not unknown:  # promql/metrics reports the unknown variable
                        yield loc, what, text


def check(ctx: Context) -> Iterator[Problem]:
    from sfmon.derive.rule_tests import targets_prometheus3
    from sfmon.model.base import check_promql

    if not targets_prometheus3(ctx.spec):
        return
    types = _types(ctx.spec)
    for loc, what, query in _queries(ctx):
        try:
            ast = check_promql(query)
        except ValueError:
            continue  # promql/metrics reports the syntax error
        for op, label, value, form in unscraped(ast, types):
            kind = "classic histogram's bucket" if label == "le" else "summary's quantile"
            yield ctx.problem(
                loc,
                f'{what} selects {label}{op}"{value}", but Prometheus {ctx.spec.prometheus.version} stores a scraped '
                f'{kind} as {label}="{form}" (3.x normalises {label} to a float): the matcher selects nothing a scrape '
                f'wrote; write {label}="{form}" (or {label}=~"{value}|{form}" while 2.x data is still queried)',
                Severity.WARNING,
            )
