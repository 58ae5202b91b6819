"""Every recording-rule-like name a query reads (one with a `:`, e.g. job:http_requests:rate5m)
must be written by a recording rule or declared in a catalog: nothing else makes such a
series, so an alert on it never fires and a panel on it stays empty.

Read in alert expressions (placed on the field that names the series), recording rule
expressions and dashboard queries (Grafana variables replaced as promql/metrics does).
An error when the spec has recording rules (they live here, so a miss is a typo); a
warning when it has none, as its recorded series may come from another rule file (declare
them in a catalog, or acknowledge the warning).
"""

from __future__ import annotations

from typing import Any, Iterator

from sfmon.checks import Context, hint
from sfmon.checks.promql_metrics import known_series, metric_names, substitute
from sfmon.problems import Problem, Severity


def _colon_names(query: str) -> list[str]:
    from sfmon.model.base import check_promql

    if ":" not in query:
        return []  # a recorded name has a colon, so the text has one: most queries need no parse
    try:
        ast = check_promql(query)
    except ValueError:
        return []  # promql/metrics reports the syntax error
    return [name for name, regex in metric_names(ast) if not regex and ":" in name]


class _Refs:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        # Kinds may record series too: every recording rule of the rule groups counts.
        self.records = {r.name for g in ctx.derived.rule_groups for r in g.rules if r.kind == "record"}
        self.known = self.records | known_series(ctx.spec)
        self.severity = Severity.ERROR if self.records else Severity.WARNING

    def check(self, loc: tuple[Any, ...], what: str, query: str) -> Iterator[Problem]:
        for name in dict.fromkeys(_colon_names(query)):
            if name not in self.known:
                yield self.ctx.problem(
                    loc,
                    f"{what} reads {name}, which no recording rule writes and no catalog declares"
                    + (hint(name, self.records) or "; add it under 'recording_rules:'"),
                    self.severity,
                )


def check(ctx: Context) -> Iterator[Problem]:
    refs = _Refs(ctx)
    s = ctx.spec
    for i, r in enumerate(s.recording_rules):
        yield from refs.check(("recording_rules", i, "expr"), f"recording rule {r.record}", r.expr)
    for i, alert in s.enabled_alerts():
        what = f"alert {alert.name!r}"
        placed = False
        for field, value in alert.selectors().items():
            for j, text in enumerate(value) if isinstance(value, list) else [(None, value)]:
                loc = ("alerts", i, field) if j is None else ("alerts", i, field, j)
                problems = list(refs.check(loc, what, text))
                placed = placed or bool(problems)
                yield from problems
        if not placed:
            for rule in alert.rules():
                yield from refs.check(("alerts", i, "name"), what, rule.expr)
    for di, d in enumerate(s.dashboards):
        variables = {v.name: v.sample for v in d.variables}
        for ri, row in enumerate(d.rows):
            for pi, p in enumerate(row.panels):
                base = ("dashboards", di, "rows", ri, "panels", pi)
                what = f"panel {p.title!r} of dashboard {d.uid!r}"
                queries = ([((*base, "expr"), p.expr)] if p.expr is not None else []) + [
                    ((*base, "queries", qi, "expr"), q.expr) for qi, q in enumerate(p.queries)
                ]
                for loc, query in queries:
                    text, unknown = substitute(query, variables)
                    if not unknown:
                        yield from refs.check(loc, what, text)
