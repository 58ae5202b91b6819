"""The rules that are not alerts: recording rules, and the settings of rule groups."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema, field_validator, model_validator

from sfmon.kinds.rule import Rule
from sfmon.model.base import METRIC_NAME_RE, LabelName, NonEmpty, StrictModel, check_promql
from sfmon.semantics.units import PositiveDuration


def _record_name(value: str) -> str:
    # rulefmt: model.IsValidMetricName (tests/test_recording.py checks the table with promtool).
    if not METRIC_NAME_RE.match(value):
        raise ValueError(
            f"invalid recording rule name {value!r}: Prometheus takes a metric name "
            "(letters, digits, _ and :, not starting with a digit), e.g. job:http_requests:rate5m"
        )
    return value


def _literal(value: str) -> str:
    if "{{" in value:
        # Prometheus expands templates in alerting rules only: this text would be the label's value.
        raise ValueError("a recording rule's label is written as is: Prometheus expands no templates in recording rules")
    return value


RecordName = Annotated[str, AfterValidator(_record_name), WithJsonSchema({"type": "string", "pattern": METRIC_NAME_RE.pattern})]

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
        check_promql(value)
        return value.strip()

    def rule(self) -> Rule:
        return Rule("record", self.record, self.expr, None, dict(self.labels), {}, self.group)


class RuleGroupSettings(StrictModel):
    interval: PositiveDuration | None = Field(
        default=None, description="how often the group is evaluated; default: prometheus.evaluation_interval"
    )
    limit: int | None = Field(
        default=None, ge=0, description="at most this many alerts or series per rule, else the evaluation fails; 0: no limit"
    )
