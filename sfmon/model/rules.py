"""The rules that are not alerts: recording rules, and the settings of rule groups."""

from __future__ import annotations

from typing import Annotated, Any, Mapping

from pydantic import AfterValidator, Field, WithJsonSchema, field_validator, model_validator

from sfmon.kinds.rule import Rule
from sfmon.model.outputs import RulerNamespace
from sfmon.model.base import METRIC_NAME_RE, LabelName, NonEmpty, StrictModel, check_promql, result_type
from sfmon.semantics import names
from sfmon.semantics.units import PositiveDuration


def _record_name(value: str) -> str:
    # rulefmt: model.IsValidMetricName (tests/test_recording.py checks the table with promtool):
    # a legacy name, or from Prometheus 3.0 any UTF-8 name, which PromQL reads quoted.
    if not METRIC_NAME_RE.match(value):
        if "{" in value or "}" in value:  # rulefmt refuses them even where it takes UTF-8 names
            raise ValueError(f"invalid recording rule name {value!r}: braces present in the recording rule name; should it be in expr?")
        why = names.reading().refusal("metric name", value) if 0 < len(value) <= 1000 else "at most 1,000 characters"
        if not value or why:
            raise ValueError(
                f"invalid recording rule name {value!r}: Prometheus takes a metric name "
                "(letters, digits, _ and :, not starting with a digit), e.g. job:http_requests:rate5m"
                + (f"; {why}" if value else "")
            )
    return value


def _literal(value: str) -> str:
    if "{{" in value:
        # Prometheus expands templates in alerting rules only: this text would be the label's value.
        raise ValueError("a recording rule's label is written as is: Prometheus expands no templates in recording rules")
    return value


RecordName = Annotated[str, AfterValidator(_record_name), WithJsonSchema({"type": "string", "pattern": r"\S"})]  # legacy, or UTF-8 for Prometheus 3

# Keys an alert has and a recording rule must not: Prometheus refuses `for`, `keep_firing_for`
# and annotations on one; the others are sfmon's alert fields.
_ALERT_ONLY = ("for", "keep_firing_for", "annotations", "severity", "summary", "alert")


class RecordingRule(StrictModel):
    """A series Prometheus computes at every evaluation and stores under `record`."""

    record: RecordName = Field(description="the series name it writes, e.g. job:http_requests:rate5m")
    expr: str = Field(description="PromQL; its result is stored under `record`")
    group: NonEmpty | None = Field(default=None, description="rule group; default: '<project>'")
    labels: dict[LabelName, Annotated[str, AfterValidator(_literal)]] = Field(
        default_factory=dict, description="labels added to every recorded series (plain text, no templates)"
    )

    @model_validator(mode="before")
    @classmethod
    def _not_an_alert(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in _ALERT_ONLY:
                if key in data:
                    raise ValueError(f"`{key}` belongs to alerts: a recording rule writes a series and never fires")
        return data

    @field_validator("expr")
    @classmethod
    def _parses(cls, value: str) -> str:
        result = result_type(check_promql(value))
        if result is not None:
            # As for an alert: Prometheus fails every evaluation ("rule result is not a vector or scalar").
            raise ValueError(f"a recording rule's expression must give an instant vector or a scalar, not {result}; every evaluation would fail")
        return value.strip()

    def rule(self) -> Rule:
        return Rule("record", self.record, self.expr, None, dict(self.labels), {}, self.group)

    def keeps(self, recorded: Mapping[str, set[str] | None] | None = None) -> set[str] | None:
        """The labels of the series it records, when its expression says (see kept_labels;
        `recorded`: what the recorded series it reads keep)."""
        kept = kept_labels(self.expr, recorded)
        return None if kept is None else kept | {k for k, v in self.labels.items() if v}


class RuleGroupSettings(StrictModel):
    interval: PositiveDuration | None = Field(
        default=None, description="how often the group is evaluated; default: prometheus.evaluation_interval"
    )
    limit: int | None = Field(
        # le: Prometheus reads it into a Go int (64 bits); a larger number fails to unmarshal
        default=None, ge=0, le=2**63 - 1,
        description="at most this many alerts or series per rule, else the evaluation fails; 0: no limit",
    )
    namespace: RulerNamespace | None = Field(
        default=None, description="outputs.ruler: the ruler namespace (file) of the group; default: outputs.ruler.namespace"
    )


def kept_labels(expr: str, recorded: Mapping[str, set[str] | None] | None = None) -> set[str] | None:
    """The labels every series of `expr`'s result can have, when the expression says so
    (`sum by (job) (...)` keeps job; a ratio of two such keeps theirs; a recorded series in
    `recorded` keeps its own), else None: a bare selector or `without` keeps labels only the
    scraped series know."""
    import promql_parser

    return _kept(promql_parser.parse(expr), promql_parser, recorded or {})


def _kept(node: Any, p: Any, recorded: Mapping[str, set[str] | None]) -> set[str] | None:
    if isinstance(node, p.VectorSelector):
        kept = recorded.get(node.name) if node.name else None
        return None if kept is None else set(kept)
    if isinstance(node, (p.ParenExpr, p.UnaryExpr)):
        return _kept(node.expr, p, recorded)
    if isinstance(node, p.NumberLiteral):
        return set()
    if isinstance(node, p.AggregateExpr):
        op, mod = str(node.op), node.modifier
        if op in ("topk", "bottomk", "count_values"):
            return None
        if mod is None:
            return set()
        return set(mod.labels) if str(mod.type).endswith("By") else None
    if isinstance(node, p.Call):
        name = node.func.name
        if name == "histogram_quantile" and len(node.args) == 2:
            inner = _kept(node.args[1], p, recorded)
            return None if inner is None else inner - {"le"}
        if name in ("abs", "ceil", "floor", "round", "clamp", "clamp_min", "clamp_max", "sqrt", "exp", "ln", "log2", "log10"):
            return _kept(node.args[0], p, recorded)
        return None
    if isinstance(node, p.BinaryExpr):
        lhs, rhs = _kept(node.lhs, p, recorded), _kept(node.rhs, p, recorded)
        if isinstance(node.lhs, p.NumberLiteral):
            return rhs
        if isinstance(node.rhs, p.NumberLiteral) or str(node.op) in ("and", "unless"):
            return lhs
        if str(node.op) == "or":
            return None if lhs is None or rhs is None else lhs | rhs
        matching = node.modifier.matching if node.modifier is not None else None
        if matching is not None and str(matching.type).endswith("Include") and "OneToOne" in str(node.modifier.card):
            return set(matching.labels) if lhs is None else lhs & set(matching.labels)
        if lhs is None:
            return None
        return lhs - set(matching.labels) if matching is not None and "OneToOne" in str(node.modifier.card) else lhs
    return None
