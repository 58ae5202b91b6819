"""`expr`: the escape hatch, any PromQL; sfmon checks its syntax and metric names, and proves
it where sfmon can compute its cases (one series: kinds/exprtests; several: kinds/exprsearch)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from sfmon.kinds.base import AlertBase
from sfmon.kinds.rule import Rule
from sfmon.model.base import Slug, check_promql, result_type


class RawExpr(AlertBase):
    kind: Literal["expr"]
    target: Slug | None = Field(default=None, description="optional: the target this alert is about")
    promql: str = Field(alias="expr")

    @field_validator("promql")
    @classmethod
    def _parses(cls, value: str, info: ValidationInfo) -> str:
        # `name` is validated before this field, so the message can say which alert it is.
        try:
            ast = check_promql(value)
        except ValueError as exc:
            name = info.data.get("name")
            text = str(exc)
            if name and text.startswith("PromQL syntax error: "):
                text = f"PromQL syntax error in alert {name!r}: {text.removeprefix('PromQL syntax error: ')}"
            raise ValueError(text) from None
        result = result_type(ast)
        if result is not None:
            # Prometheus evaluates the rule and fails every time: "rule result is not a vector or scalar".
            raise ValueError(f"an alert expression must give an instant vector or a scalar, not {result}; every evaluation would fail")
        return value.strip()

    def rules(self) -> list[Rule]:
        return [self.alerting_rule(self.promql)]

    def selectors(self) -> dict[str, str | list[str]]:
        return {"expr": self.promql}

    def rule_tests(self, env: Any) -> list[Any]:
        """Firing and quiet cases where the expression is a comparison sfmon can compute
        (sfmon.kinds.exprtests); otherwise none, and the reason goes to the unproven warning."""
        from sfmon.kinds.exprtests import rule_tests

        groups, why = rule_tests(self, env, self.promql)
        if why:
            env.unproven.append(why)
        return groups
