"""Metric and label names: the legacy set every Prometheus reads bare, and the UTF-8 names
Prometheus 3 reads quoted (`{"http.server.duration", "service.name"="api"}`); how PromQL
writes either, and which of them the spec's targeted releases read.

Prometheus 3.0 validates names as UTF-8 (prometheus/common model.NameValidationScheme), so
promtool 3.x accepts quoted names in rule files and test series; 2.x refuses them. A label
name also reaches Alertmanager on every alert, whose label validation and matcher parser read
UTF-8 names from 0.27 on."""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any, Iterable, Iterator

from sfmon.semantics.versions import parse_version

LEGACY_METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LEGACY_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")

PROMETHEUS_UTF8 = (3, 0)
ALERTMANAGER_UTF8 = (0, 27)
# The rule manager evaluates an alert or recording rule by re-parsing its expression's
# String() (rules/alerting.go Eval: query(ctx, r.vector.String(), ...)); before 3.10 the
# printer wrote on()/ignoring()/group_left()/group_right() labels bare, so a UTF-8 name there
# parses in `promtool check rules` but fails every evaluation (promtool 3.5.1: "parse error:
# unexpected character: '.'"). Fixed by prometheus/prometheus#17687, first tagged v3.10.0.
PROMETHEUS_UTF8_MATCHING = (3, 10)


def legacy_metric(name: str) -> bool:
    return LEGACY_METRIC.match(name) is not None


def legacy_label(name: str) -> bool:
    return LEGACY_LABEL.match(name) is not None


def label(name: str) -> str:
    """A label name as PromQL writes it: bare when legacy, else a quoted string."""
    return name if legacy_label(name) else encode_basestring(name)


def matcher(name: str, op: str, value: str) -> str:
    return f"{label(name)}{op}{encode_basestring(value)}"


def selector(name: str, matchers: Iterable[str] = ()) -> str:
    """`name{m,...}`; a UTF-8 name goes inside the braces, quoted: `{"a.b",m,...}`."""
    ms = list(matchers)
    if legacy_metric(name):
        return name + (f"{{{','.join(ms)}}}" if ms else "")
    return f"{{{','.join([encode_basestring(name), *ms])}}}"


def series(name: str, matchers: Iterable[str] = ()) -> str:
    """`selector`, braces always (`up{}`): how promtool's series notation and sfmon's rule
    tests write a series."""
    ms = list(matchers)
    return selector(name, ms) if ms or not legacy_metric(name) else f"{name}{{}}"


def selector_name(ast: Any) -> str | None:
    """A vector selector's metric name: bare (`ast.name`) or quoted, which the parser reads
    as a `__name__` equality matcher."""
    if ast.name is not None:
        return ast.name
    for m in ast.matchers.matchers:
        if m.name == "__name__" and str(m.op) == "MatchOp.Equal":
            return m.value
    return None


# --- which names the targeted releases read ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """What the spec being loaded targets: `prometheus.version`, `alertmanager.version` (None:
    unset, read as the Debian releases sfmon defaults to)."""

    prometheus: tuple[int, int] | None = None
    alertmanager: tuple[int, int] | None = None
    enforced: bool = True

    def refusal(self, what: str, name: str) -> str | None:
        """Why the targeted releases cannot read this non-legacy name, or None when they can."""
        if not self.enforced:
            return None
        shown = f"{what} {name!r}"
        legacy = ("letters, digits, _ and :" if what == "metric name" else "letters, digits and _") + ", not starting with a digit"
        needs: list[str] = []
        if self.prometheus is None or self.prometheus < PROMETHEUS_UTF8:
            has = f"prometheus.version {'.'.join(map(str, self.prometheus))}" if self.prometheus else "the spec targets no prometheus.version (2.42, then)"
            needs.append(f"Prometheus 3.0 or later ({has})")
        if what == "label name" and (self.alertmanager is None or self.alertmanager < ALERTMANAGER_UTF8):
            has = f"alertmanager.version {'.'.join(map(str, self.alertmanager))}" if self.alertmanager else "no alertmanager.version is set (0.25, then)"
            needs.append(f"Alertmanager 0.27 or later, which every alert's labels reach ({has})")
        if not needs:
            return None
        return f"{shown} is no legacy {what} ({legacy}): only as a quoted UTF-8 name can it be read, which needs " + " and ".join(needs)

    def matching_refusal(self, name: str) -> str | None:
        """Why a UTF-8 label name cannot be an on()/ignoring()/group_left() label of a rule."""
        why = self.refusal("label name", name)
        if why or not self.enforced or (self.prometheus or (0, 0)) >= PROMETHEUS_UTF8_MATCHING:
            return why
        has = ".".join(map(str, self.prometheus or ()))
        return (
            f"label name {name!r} in on()/ignoring()/group_left()/group_right() needs Prometheus 3.10 or later "
            f"(prometheus.version {has}): earlier releases write these labels unquoted when they evaluate the rule, "
            "so every evaluation fails (prometheus/prometheus#17687)"
        )


# Unenforced outside loading: render reads only specs the loader accepted.
_READING: ContextVar[Reading] = ContextVar("sfmon_names_reading", default=Reading(enforced=False))


def reading() -> Reading:
    return _READING.get()


def _release(raw: Any) -> tuple[int, int] | None:
    v = parse_version(raw) if isinstance(raw, str) else None
    return (v.major, v.minor) if v is not None else None


@contextmanager
def targeting(data: Any) -> Iterator[Reading]:
    """While a spec's raw data is validated: the names its targeted releases read."""

    def version(section: str) -> Any:
        part = data.get(section) if isinstance(data, dict) else None
        return part.get("version") if isinstance(part, dict) else None

    r = Reading(_release(version("prometheus")), _release(version("alertmanager")))
    token = _READING.set(r)
    try:
        yield r
    finally:
        _READING.reset(token)


def check_metric(name: str) -> None:
    if not legacy_metric(name):
        why = reading().refusal("metric name", name)
        if why:
            raise ValueError(why)


def check_label(name: str) -> None:
    if not legacy_label(name):
        why = reading().refusal("label name", name)
        if why:
            raise ValueError(why)


def check_matching_label(name: str) -> str:
    """A label of on()/ignoring()/group_left()/group_right(): UTF-8 from Prometheus 3.10."""
    if not legacy_label(name):
        why = reading().matching_refusal(name)
        if why:
            raise ValueError(why)
    return name


@lru_cache(maxsize=2048)
def matching_labels(expr: str) -> tuple[str, ...]:
    """The non-legacy labels an expression's vector matching names (on, ignoring, group_*)."""
    import promql_parser

    found: set[str] = set()
    for node in nodes(promql_parser.parse(expr), promql_parser):
        modifier = getattr(node, "modifier", None)
        if isinstance(modifier, promql_parser.BinModifier):
            found.update(getattr(modifier.matching, "labels", None) or ())
            found.update(modifier.group_labels or ())
    return tuple(sorted(n for n in found if not legacy_label(n)))


@lru_cache(maxsize=2048)
def expr_names(expr: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The non-legacy (metric names, label names) an expression writes: selectors' names and
    matchers, `by`/`without`, `on`/`ignoring` and `group_left`/`group_right` labels."""
    import promql_parser

    metrics: set[str] = set()
    labels: set[str] = set()
    _walk(promql_parser.parse(expr), promql_parser, metrics, labels)
    return tuple(sorted(n for n in metrics if not legacy_metric(n))), tuple(sorted(n for n in labels if not legacy_label(n)))


_CHILDREN = ("lhs", "rhs", "expr", "param", "args", "vector_selector")


def nodes(ast: Any, pp: Any) -> Iterator[Any]:
    """Every node of a parsed expression (`pp`: the promql_parser module), bounded by its
    nesting; a vector selector's matchers are read from the selector itself."""
    stack = [(ast, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > 200 or node is None or isinstance(node, (str, int, float)):
            continue
        yield node
        if isinstance(node, pp.VectorSelector):
            continue
        for attr in reversed(_CHILDREN):
            child = getattr(node, attr, None)
            for c in reversed(child) if isinstance(child, (list, tuple)) else (child,):
                stack.append((c, depth + 1))


def _walk(ast: Any, pp: Any, metrics: set[str], labels: set[str]) -> None:
    for node in nodes(ast, pp):
        if isinstance(node, pp.VectorSelector):
            ms = node.matchers
            for m in [*ms.matchers, *(m for group in ms.or_matchers for m in group)]:
                if m.name != "__name__":
                    labels.add(m.name)
                elif str(m.op) == "MatchOp.Equal":  # `{"a.b"}` (a regex on __name__ is only a value)
                    metrics.add(m.value)
            if node.name is not None:
                metrics.add(node.name)
            continue
        modifier = getattr(node, "modifier", None)
        if modifier is not None:
            labels.update(getattr(modifier, "labels", None) or ())
            labels.update(getattr(getattr(modifier, "matching", None), "labels", None) or ())
            labels.update(getattr(modifier, "group_labels", None) or ())


def check_expr(expr: str) -> None:
    """Refuse (ValueError) a UTF-8 name the targeted releases cannot read."""
    r = reading()
    if not r.enforced:
        return
    metrics, labels = expr_names(expr)
    for n in metrics:
        check_metric(n)
    for n in labels:
        check_label(n)
    for n in matching_labels(expr):
        check_matching_label(n)
