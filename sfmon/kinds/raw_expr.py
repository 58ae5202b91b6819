"""`expr`: the escape hatch, any PromQL; sfmon checks its syntax and metric names."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from sfmon.kinds.base import AlertBase
from sfmon.modelbase import Slug, check_promql


def _promql(value: str) -> str:
    check_promql(value)
    return value.strip()


class RawExpr(AlertBase):
    kind: Literal["expr"]
    target: Slug | None = Field(default=None, description="optional: the target this alert is about")
    promql: Annotated[str, AfterValidator(_promql)] = Field(alias="expr")

    def expr(self) -> str:
        return self.promql
