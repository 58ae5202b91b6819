"""Every PromQL query must parse, and every metric it reads must be in a catalog.

Alert expressions (built-in kinds as rendered, raw `expr` as written) and dashboard
queries are parsed with promql-parser. Dashboard variables are replaced by their
`sample` value and Grafana's `$__rate_interval`-style globals by a fixed value first, as
Grafana would before sending the query. A syntax error is an error; a metric name that
no catalog declares is a warning with the nearest known name, placed on the alert field
that names it (the kind's `selectors()`). A spec without catalogs gets no name warnings:
there is nothing to check against.

A recording rule's series is a known metric, with the labels its expression keeps (`sum by
(job)` keeps job): a matcher on a label it drops selects nothing, a warning. Names with a
`:` that nothing defines are recording/references' errors, not warnings here.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

from sfmon.checks import Context
from sfmon.problems import Problem, Severity
from sfmon.semantics import regex

# Series every Prometheus has without any exporter: per-scrape series and the alert state.
BUILTIN_SERIES = frozenset(
    {
        "up",
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
        "ALERTS",
        "ALERTS_FOR_STATE",
    }
)

# Grafana's global variables: what they stand for is all the parser needs.
_GRAFANA_DURATIONS = ("__rate_interval", "__interval", "__range", "__auto")
_GRAFANA_NUMBERS = ("__interval_ms", "__range_s", "__range_ms", "__from", "__to")
_SAMPLE_DURATION = "5m"
_SAMPLE_NUMBER = "300"

# $name, ${name}, ${name:format}, [[name]], [[name:format]]
_VARIABLE_RE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")
# Grafana's Prometheus variable functions whose argument is PromQL (`label_values(label)`
# alone names no metric).
_VARIABLE_QUERY_RE = re.compile(r"^\s*(?:label_values\((.*),\s*\w+\s*\)|query_result\((.*)\))\s*$", re.S)


def known_series(spec: Any) -> set[str]:
    names = set(BUILTIN_SERIES)
    for families in spec.catalogs.values():
        for family in families:
            names.update(family.series_names())
    return names


def substitute(query: str, variables: dict[str, str]) -> tuple[str, list[str]]:
    """The query as Grafana sends it, and the names of variables it uses but nobody defines."""
    unknown: list[str] = []

    def value(m: re.Match) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        if name in variables:
            return variables[name]
        if name in _GRAFANA_DURATIONS:
            return _SAMPLE_DURATION
        if name in _GRAFANA_NUMBERS:
            return _SAMPLE_NUMBER
        unknown.append(name)
        return m.group(0)

    return _VARIABLE_RE.sub(value, query), unknown


def metric_names(ast: Any) -> list[tuple[str, bool]]:
    """(name, is_regex) for every selector: its name, or its `__name__` equality/regex matcher."""
    import promql_parser

    found: list[tuple[str, bool]] = []

    def visit(node: Any) -> None:
        if not isinstance(node, promql_parser.VectorSelector):
            return
        if node.name:
            found.append((node.name, False))
        groups = [node.matchers.matchers, *node.matchers.or_matchers]
        for m in (m for group in groups for m in group):
            if m.name == "__name__" and str(m.op) in ("MatchOp.Equal", "MatchOp.Re"):
                found.append((m.value, str(m.op) == "MatchOp.Re"))

    promql_parser.walk(ast, visit, None)
    return found


def nearest(name: str, known: Iterable[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return match[0] if match else None


def _regex_matches_any(pattern: str, known: set[str]) -> bool:
    try:
        rx = regex.compile(pattern)
    except regex.RegexError:
        return True  # promtool (or the spec's own check) reports the regex itself
    return any(rx.fullmatch(n) for n in known)


class _Queries:
    """Checks queries against the catalogs, collecting problems."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        records = {r.name for g in ctx.derived.rule_groups for r in g.rules if r.kind == "record"}
        self.known = known_series(ctx.spec) | records
        self.check_names = bool(ctx.spec.catalogs)
        self.problems: list[Problem] = []
        from sfmon.derive.rule_tests import recorded_labels

        self.keeps = recorded_labels(ctx.spec)

    def parse(self, loc: tuple, what: str, query: str) -> Any:
        from sfmon.model.base import check_promql

        try:
            return check_promql(query)
        except ValueError as exc:
            detail = str(exc).removeprefix("PromQL syntax error: ")
            self.problems.append(self.ctx.problem(loc, f"PromQL syntax error in {what}: {detail}"))
            return None

    def names(self, loc: tuple, what: str, names: Iterable[tuple[str, bool]]) -> None:
        if not self.check_names:
            return
        for name, is_regex in dict.fromkeys(names):
            if is_regex:
                if not _regex_matches_any(name, self.known):
                    self.warn(loc, f"no cataloged metric matches __name__=~{name!r} in {what}")
            elif name not in self.known and ":" not in name:
                guess = nearest(name, self.known)
                tail = f" (did you mean {guess!r}?)" if guess else "; declare it in a catalog under 'catalogs:'"
                self.warn(loc, f"metric {name!r} in {what} is not in any catalog{tail}")

    def warn(self, loc: tuple, message: str) -> None:
        self.problems.append(self.ctx.problem(loc, message, Severity.WARNING))

    def run(self, loc: tuple, what: str, query: str) -> None:
        ast = self.parse(loc, what, query)
        if ast is not None:
            self.names(loc, what, metric_names(ast))
            self.recorded_labels(loc, what, ast)

    def recorded_labels(self, loc: tuple, what: str, ast: Any) -> None:
        """A matcher on a label the recording rule does not keep selects nothing."""
        import promql_parser

        if not self.keeps:
            return

        def visit(node: Any) -> None:
            if not isinstance(node, promql_parser.VectorSelector) or node.name not in self.keeps:
                return
            kept = self.keeps[node.name]
            if kept is None:
                return
            for m in node.matchers.matchers:
                if m.name != "__name__" and m.name not in kept:
                    shown = ", ".join(sorted(kept)) or "no labels"
                    self.warn(loc, f"{what} matches label {m.name!r} of {node.name}, whose recording rule keeps only {shown}")

        promql_parser.walk(ast, visit, None)


def _alerts(q: _Queries) -> None:
    for i, alert in q.ctx.spec.enabled_alerts():
        what = f"alert {alert.name!r}"
        found: list[tuple[str, bool]] = []
        for rule in alert.rules():
            loc = ("alerts", i, *rule.loc)
            ast = q.parse(loc, f"the expression sfmon built for {what}", rule.expr)
            if ast is not None:
                found += metric_names(ast)
                q.recorded_labels(loc, what, ast)
        found = list(dict.fromkeys(found))  # the tiers of an alert share its metrics
        # Cataloged names report nothing, so only the others are placed on the fields that
        # name them (a parse of each selector, for the few alerts that have one).
        unknown = {f for f in found if f[1] or f[0] not in q.known} if q.check_names else set()
        if not unknown:
            continue
        placed: set[tuple[str, bool]] = set()
        for loc, selector in _selector_fields(alert):
            names = [f for f in metric_names(_parsed(selector)) if f in unknown]
            placed.update(names)
            q.names(("alerts", i, *loc), what, names)
        q.names(("alerts", i, "name"), what, [f for f in found if f in unknown and f not in placed])


def _recording_rules(q: _Queries) -> None:
    for i, r in enumerate(q.ctx.spec.recording_rules):
        q.run(("recording_rules", i, "expr"), f"recording rule {r.record}", r.expr)


def _selector_fields(alert: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(location within the alert, selector) for each selector the kind names by field."""
    for field, value in alert.selectors().items():
        if isinstance(value, list):
            yield from (((field, j), text) for j, text in enumerate(value))
        else:
            yield (field,), value
    for j, guard in enumerate(alert.guards):
        yield ("guards", j, guard.op), guard.selector


def _parsed(selector: str) -> Any:
    import promql_parser

    return promql_parser.parse(selector)


def _dashboards(q: _Queries) -> None:
    for di, d in enumerate(q.ctx.spec.dashboards):
        variables = {v.name: v.sample for v in d.variables}
        for vi, v in enumerate(d.variables):
            m = _VARIABLE_QUERY_RE.match(v.query)
            inner = next((g for g in m.groups() if g is not None), None) if m else None
            if inner is not None:
                others = {k: s for k, s in variables.items() if k != v.name}
                _query(q, ("dashboards", di, "variables", vi, "query"), f"variable ${v.name} of dashboard {d.uid!r}", inner, others)
        for ri, row in enumerate(d.rows):
            for pi, p in enumerate(row.panels):
                base = ("dashboards", di, "rows", ri, "panels", pi)
                what = f"panel {p.title!r} of dashboard {d.uid!r}"
                if p.expr is not None:
                    _query(q, (*base, "expr"), what, p.expr, variables)
                for qi, query in enumerate(p.queries):
                    _query(q, (*base, "queries", qi, "expr"), f"query {qi + 1} of {what}", query.expr, variables)


def _query(q: _Queries, loc: tuple, what: str, query: str, variables: dict[str, str]) -> None:
    text, unknown = substitute(query, variables)
    if unknown:
        for name in dict.fromkeys(unknown):
            guess = nearest(name, variables)
            tail = f" (did you mean ${guess}?)" if guess else "; define it under the dashboard's 'variables:'"
            q.problems.append(q.ctx.problem(loc, f"unknown dashboard variable ${name} in {what}{tail}"))
        return
    q.run(loc, what, text)


def check(ctx: Context) -> Iterator[Problem]:
    q = _Queries(ctx)
    _recording_rules(q)
    _alerts(q)
    _dashboards(q)
    return iter(q.problems)
