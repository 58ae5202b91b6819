"""What every alert has, whatever its kind; and the selector helper the kinds share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal, Mapping

from pydantic import AfterValidator, Field, model_validator

from sfmon.kinds.rule import Rule
from sfmon.model.base import AlertName, FieldError, LabelName, Labels, NonEmpty, StrictModel, check_promql, comment_at, promql_string
from sfmon.semantics import names
from sfmon.semantics.units import Duration, DurationStr, PositiveDuration

Severity = Literal["critical", "warning", "info"]
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}  # tiers go up this scale
IDENTITY = ("job", "instance")  # what a scraped series is about; never summed away by default


def _selector(value: str) -> str:
    """A vector selector such as `http_requests_total{status=~"5.."}`."""
    import promql_parser

    ast = check_promql(value)
    if not isinstance(ast, promql_parser.VectorSelector) or names.selector_name(ast) is None:
        raise ValueError(f"expected a metric selector like name{{label=\"value\"}}, got {value!r}")
    if ast.offset is not None or ast.at is not None:
        raise ValueError("a selector here may not use offset or @")
    return value.strip()


Selector = Annotated[str, AfterValidator(_selector)]


def scoped(selector: str, job: str | None, suffix: str = "", extra: tuple[str, ...] = ()) -> str:
    """Add `job="<target>"` (a name suffix such as `_bucket`, and `extra` matchers) to a selector."""
    name, parts, labels = _selector_parts(selector)
    matchers = [*parts, *extra]
    if job is not None and "job" not in labels:
        matchers.insert(0, f"job={promql_string(job)}")
    return names.selector(f"{name}{suffix}", matchers)


@lru_cache(maxsize=4096)
def _selector_parts(selector: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Parsed once per distinct selector: alerts of many targets share them, and every
    alert's expression is built several times (checks, rules, rule tests)."""
    import promql_parser

    ast = promql_parser.parse(selector)
    name = names.selector_name(ast)
    ms = ast.matchers.matchers
    if ast.name is None:  # quoted `{"a.b", ...}`: the name is the first __name__ equality matcher
        first = next(i for i, m in enumerate(ms) if m.name == "__name__" and str(m.op) == "MatchOp.Equal")
        ms = [m for i, m in enumerate(ms) if i != first]
    parts = tuple(names.matcher(m.name, _OPS[str(m.op)], m.value) for m in ms)
    return name, parts, tuple(m.name for m in ms if m.name != "__name__")


_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


def _go_template(value: str) -> str:
    """Refuse what Go's template parser refuses (promtool rejects the rule file otherwise)."""
    from sfmon.semantics.gotemplate import TemplateError, check

    try:
        check(value)
    except TemplateError as exc:
        hint = " (write a literal '{{' as {{ \"{{\" }})" if "unclosed action" in str(exc) else ""
        raise ValueError(f"template error: {exc}{hint} (Prometheus' alert templates are Go templates)") from None
    return value


GoTemplate = Annotated[str, AfterValidator(_go_template)]
NonEmptyGoTemplate = Annotated[NonEmpty, AfterValidator(_go_template)]  # a summary


def _distinct(names: list[str] | None) -> list[str] | None:
    for i, name in enumerate(names or ()):
        if name in names[:i]:  # type: ignore[index]
            raise FieldError((i,), f"label {name!r} is listed twice")
    return names


By = Annotated[list[LabelName] | None, AfterValidator(_distinct)]
BY_HELP = (
    "labels to aggregate by (narrows the alert); default: every label of the series is kept "
    "(instance and the target's labels included), only the ones the expression sums over are dropped"
)


def matcher_labels(*selectors: str) -> list[str]:
    """The label names the selectors' matchers name, without `job` and `instance`: the
    dimensions an expression over them sums over by default (`status` in {status=~"5.."})."""
    found: set[str] = set()
    for sel in selectors:
        found.update(_selector_parts(sel)[2])
    return sorted(found - set(IDENTITY))


def keep_clause(by: list[str] | None, dropped: list[str]) -> str:
    """`by (job, path)` when `by` narrows, else `without (status)`: every other label kept."""
    if by is not None:
        return f"by ({', '.join(map(names.label, by))})"
    return f"without ({', '.join(map(names.label, dropped))})"


def kept(labels: Mapping[str, str], by: list[str] | None, dropped: list[str] | tuple[str, ...]) -> dict[str, str]:
    """The labels of a series that an aggregation `keep_clause(by, dropped)` keeps (non-empty)."""
    if by is not None:
        return {k: labels[k] for k in by if labels.get(k)}
    return {k: v for k, v in labels.items() if v and k not in dropped and k != "__name__"}


@dataclass(frozen=True, slots=True)
class Level:
    """One severity of an alert: the whole alert, or one of its `tiers`. Each level is one
    alerting rule, all with the alert's name."""

    severity: str
    op: str | None  # '>', '<', '==' or None (no threshold)
    value: Decimal | None  # in the expression's unit
    shown: str  # the threshold as the spec writes it, e.g. "above 90%"; "" for none
    for_: Duration
    labels: dict[str, str] = field(default_factory=dict)  # the alert's labels, with the tier's
    summary: str = ""
    description: str = ""
    tier: int | None = None  # index in `tiers`, None for an alert without tiers


def _label_template(value: str) -> str:
    from sfmon.semantics.gotemplate import uses_value

    _go_template(value)
    if uses_value(value):
        # An alert's labels are its identity: Prometheus keys pending and firing state on
        # them, so a label that changes with the value makes a new alert at every change,
        # which restarts `for` (it may never fire) and resolves the old one.
        raise ValueError(
            "a label may not use $value: every new value makes a new alert, which restarts "
            "`for` and resolves the old one; put the value in an annotation"
        )
    return value


AlertLabels = dict[LabelName, Annotated[str, AfterValidator(_label_template)]]


_NUM = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?|Inf|NaN)"
_ITEM = re.compile(rf"^(?:_(?:x[0-9]+)?|stale|{_NUM}(?:[-+]{_NUM.replace('[-+]?', '')})?(?:x[0-9]+)?)$")


def _series_values(value: str) -> str:
    """promtool's expanding notation (`0+10x20`, `1 2 _ stale`), ASCII only."""
    items = value.split(" ")
    if not value.strip() or not value.isascii() or not all(_ITEM.match(i) for i in items if i):
        raise ValueError(f"not promtool's expanding notation (e.g. '0+10x20', '1 2 _ 3'): {value!r}")
    return value


def _series_selector(value: str) -> str:
    import promql_parser

    ast = check_promql(value)
    if not isinstance(ast, promql_parser.VectorSelector) or ast.offset is not None or ast.at is not None:
        raise ValueError(f"expected a series like name{{label=\"value\"}}, got {value!r}")
    if comment_at(value) is not None:  # promtool reads the series and its values as one sequence
        raise ValueError(f"no `#` comment in a test series (promtool's series notation has none): {value!r}")
    return value


class UserTest(StrictModel):
    """A promtool rule test case written in the spec (see docs/spec.md)."""

    name: NonEmpty
    interval: PositiveDuration = Field(default="1m", description="time between the samples of `series`")
    series: dict[Annotated[str, AfterValidator(_series_selector)], Annotated[str, AfterValidator(_series_values)]] = Field(
        min_length=1, description="series selector -> promtool expanding notation, e.g. '0+10x20'"
    )
    at: PositiveDuration = Field(description="evaluation time, e.g. 10m")
    fires: bool = Field(default=True, description="false: the alert must not be firing at `at`")
    tiers: list[Severity] | None = Field(
        default=None, description="an alert with tiers: the tiers firing at `at` (default: every tier)"
    )
    labels: Labels = Field(
        default_factory=dict,
        description="labels of the firing alert from its expression (e.g. job); alertname and the alert's own labels are added",
    )
    annotations: dict[str, str] = Field(
        default_factory=dict,
        description="expected annotation text; unlisted ones are the alert's own, expanded with `labels` (list those using $value)",
    )


class Guard(StrictModel):
    """A filter on the alert's expression: `and` fires only where its series exists, `unless` only where it does not.

    The guard series is matched on the labels in `on`."""

    and_: Selector | None = Field(default=None, alias="and", description="fire only where this series exists")
    unless: Selector | None = Field(default=None, description="do not fire where this series exists")
    on: list[Annotated[LabelName, AfterValidator(names.check_matching_label)]] | None = Field(
        default=None,
        description="labels the guard series must share with the alert's series; [] for any guard series; unset: all labels",
    )

    @model_validator(mode="after")
    def _one_operator(self) -> Any:
        if (self.and_ is None) == (self.unless is None):
            raise ValueError("set exactly one of 'and' or 'unless'")
        return self

    @property
    def op(self) -> str:
        return "and" if self.and_ is not None else "unless"

    @property
    def selector(self) -> str:
        return self.and_ if self.and_ is not None else self.unless  # type: ignore[return-value]

    def apply(self, expr: str) -> str:
        matching = "" if self.on is None else f" on({', '.join(map(names.label, self.on))})"
        return f"({expr}) {self.op}{matching} {self.selector}"


class AlertBase(StrictModel):
    name: AlertName
    severity: Literal["critical", "warning", "info"]
    for_: DurationStr = Field(default="0s", alias="for")
    keep_firing_for: DurationStr = Field(
        default="0s", description="keep firing this long after the condition clears (Prometheus >= 2.42)"
    )
    enabled: bool = Field(
        default=True,
        description="false: not rendered, tested or routed, e.g. switched off per environment by an overlay",
    )
    group: str | None = Field(default=None, description="rule group; default: '<project>'")
    summary: Annotated[NonEmpty, AfterValidator(_go_template)]
    description: GoTemplate = ""
    runbook_url: GoTemplate = ""
    labels: AlertLabels = Field(default_factory=dict, description="extra labels (Go templates; not $value)")
    annotations: dict[LabelName, GoTemplate] = Field(default_factory=dict, description="extra annotations (Go templates)")
    tests: list[UserTest] = Field(default_factory=list)
    guards: list[Guard] = Field(
        default_factory=list,
        description=(
            "filters on the expression, in order: `(expr) and on(labels) selector` / `unless`; generated tests "
            "add the guard series, tests under `tests:` list them themselves"
        ),
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Every kind's rules() and levels(), wherever it defines them (a mixin too), are
        computed once per alert object (sfmon/kinds/memo.py): a run reads them ~10 times."""
        super().__pydantic_init_subclass__(**kwargs)
        from sfmon.kinds.memo import per_object

        for name in ("rules", "levels"):
            method = getattr(cls, name)
            if not getattr(method, "__sfmon_memo__", False):
                setattr(cls, name, per_object(method))

    # Set by subclasses: the spec field that names the target (None: no target).
    def target_name(self) -> str | None:
        return getattr(self, "target", None)

    def rules(self) -> list[Rule]:  # pragma: no cover - every kind overrides
        """The Prometheus rules of this alert, alerting and recording, in file order."""
        raise NotImplementedError

    def selectors(self) -> dict[str, str | list[str]]:  # pragma: no cover - every kind overrides
        """Spec field -> the selector (or expression) it contributes to the rules, as the rules
        use it (scoped to the target; a histogram's `_bucket`); a list field gives a list.
        Checks read them to place a problem with a metric on the field that names it."""
        raise NotImplementedError

    def levels(self) -> list[Level]:
        """The alert's severities, least severe first: one, or one per tier."""
        op, value = self.threshold() or (None, None)
        return [Level(self.severity, op, value, "", self.for_, dict(self.labels), self.summary, self.description)]  # type: ignore[arg-type]

    def alerting_rule(self, expr: str, level: Level | None = None) -> Rule:
        """A rule named after the alert: `expr` with the level's (default: the alert's)
        severity, `for`, labels and annotations."""
        lv = level or self.levels()[0]
        annotations = {"summary": lv.summary}
        if lv.description:
            annotations["description"] = lv.description
        if self.runbook_url:
            annotations["runbook_url"] = self.runbook_url
        for guard in self.guards:
            expr = guard.apply(expr)
        return Rule(
            "alert",
            self.name,
            expr,
            lv.for_ if lv.for_.ms else None,
            {"severity": lv.severity, **lv.labels},
            {**annotations, **self.annotations},
            self.group,
            () if lv.tier is None else ("tiers", lv.tier),
            keep_firing_for=self.keep_firing_for if self.keep_firing_for.ms else None,
        )

    def alert_rules(self) -> list[Rule]:
        """The alerting rules named after the alert, one per level in the order of levels():
        what its tests expect and what Alertmanager receives."""
        return [r for r in self.rules() if r.kind == "alert" and r.name == self.name]

    def alert_rule(self) -> Rule:
        """The alerting rule of the alert's first (least severe) level."""
        return self.alert_rules()[0]

    def threshold(self) -> tuple[str, Decimal] | None:
        """('>' or '<', value in the expression's unit) for kinds with a threshold; with
        tiers, the least severe tier's (levels() has every tier's)."""
        return None

    def identity(self, labels: Mapping[str, str]) -> dict[str, str]:
        """Which of a scraped series' labels (job, instance, the target's) the alert keeps:
        what Alertmanager sees of them. A raw expression's shape is unknown: its job only."""
        return {"job": labels["job"]} if "job" in labels else {}

    def rule_tests(self, env: Any) -> list[Any]:
        """promtool test groups derived from the kind and its threshold (sfmon.kinds.testgen).
        Empty for a raw expression: its author writes `tests:`."""
        return []


class Threshold(StrictModel):
    """Mixin check: exactly one of above / below (an alert with `tiers` sets them per tier)."""

    @model_validator(mode="after")
    def _one_direction(self) -> Any:
        if getattr(self, "tiers", None) is not None:
            return self
        above, below = getattr(self, "above", None), getattr(self, "below", None)
        if (above is None) == (below is None):
            raise ValueError("set exactly one of 'above' or 'below'")
        return self

    def threshold(self) -> tuple[str, Decimal]:
        """('>', above) or ('<', below); tiered kinds read their levels instead (Tiered)."""
        above, below = getattr(self, "above", None), getattr(self, "below", None)
        return (">", above) if above is not None else ("<", below)  # type: ignore[return-value]


class OneMetric:
    """Mixin for a kind whose one alerting rule is its `expr()` over the `metric` of its
    `target`: its rules and its selectors."""

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.expr())]  # type: ignore[attr-defined]

    def selectors(self) -> dict[str, str | list[str]]:
        return {"metric": scoped(self.metric, self.target)}  # type: ignore[attr-defined]

    def identity(self, labels: Mapping[str, str]) -> dict[str, str]:
        """Each series alone keeps all its labels; `by` keeps those (route tests read this)."""
        return kept(labels, getattr(self, "by", None), ())

    def metric_series(self, env: Any) -> tuple[Any, dict[str, str], dict[str, str]] | None:
        """For generated tests: the parsed selector, the labels of one series it matches (the
        target's, with every `by` label present) and what the alert keeps of them (all, or
        the `by` labels); None, with a note in `env`, when no series can match."""
        from sfmon.kinds.testgen import SeriesSelector, grouped, solve_labels

        by = getattr(self, "by", None)
        sel = SeriesSelector.parse(scoped(self.metric, self.target))  # type: ignore[attr-defined]
        labels = solve_labels(env.target_labels(self.target), sel, present=by or [])  # type: ignore[attr-defined]
        if labels is None:
            env.notes.append(f"{self.name}: no series labels satisfy {self.metric}; no tests generated")  # type: ignore[attr-defined]
            return None
        return sel, labels, labels if by is None else grouped(labels, by)


def compare(op: str, value: Decimal) -> str:
    from sfmon.semantics.units import fmt_number

    return f"{op} {fmt_number(value)}"


def aggregated(aggregate: str, by: list[str] | None, inner: str) -> str:
    """`inner` as it is (each series keeps its identity), or aggregated `by` the labels given."""
    return inner if by is None else f"{aggregate} by ({', '.join(map(names.label, by))}) ({inner})"
