"""Relabelling as Prometheus' config loader reads it (model/relabel/relabel.go, `Config.Validate`):
the same actions (case-insensitive, rendered lower case), the same defaults, the same refusals.

Label names: Prometheus 2.x takes the legacy names (`[a-zA-Z_][a-zA-Z0-9_]*`); 3.x takes any
UTF-8 name. The model accepts what the newest accepts; `legacy_problems` is what a 2.x
Prometheus (or an unknown version, which must hold on 2.x) refuses besides, checked by the spec
with `prometheus.version` (tests/test_relabel.py, cases from upstream relabel_test.go and
config_test.go, cross-checked with each promtool the matrix has).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Iterator

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from sfmon.model.base import ConfigRegex, FieldError, StrictModel

ACTIONS = (
    "replace", "keep", "drop", "keepequal", "dropequal", "hashmod",
    "labelmap", "labeldrop", "labelkeep", "lowercase", "uppercase",
)  # fmt: skip

LEGACY_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# A target label (or labelmap replacement) with $1 / ${name} references (Go's \w is ASCII).
RELABEL_TARGET = re.compile(r"(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+", re.ASCII)

DEFAULT_SEPARATOR = ";"
DEFAULT_REGEX = "(.*)"
DEFAULT_REPLACEMENT = "$1"


def _action(value: Any) -> Any:
    if isinstance(value, str):
        if value.lower() in ACTIONS:
            return value.lower()  # Prometheus lower-cases the action before it looks it up
        raise ValueError(f"unknown relabel action {value!r}: one of {', '.join(ACTIONS)}")
    return value


def _utf8_name(value: str) -> str:
    # 3.x: any non-empty UTF-8 string is a label name (a YAML string is UTF-8 unless it holds a lone surrogate).
    if not value:
        raise ValueError("label name must not be empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{value!r} is not a valid label name (invalid UTF-8)") from None
    return value


SourceLabel = Annotated[str, AfterValidator(_utf8_name)]
RelabelRegex = ConfigRegex


class RelabelConfig(StrictModel):
    """One relabel_configs / metric_relabel_configs step, with Prometheus' fields and defaults."""

    source_labels: list[SourceLabel] | None = Field(default=None, description="labels whose values, joined by `separator`, are the input")
    separator: str = Field(default=DEFAULT_SEPARATOR)
    regex: RelabelRegex = Field(default=DEFAULT_REGEX, description="RE2, anchored at both ends as Prometheus anchors it")
    modulus: Annotated[int, Field(ge=0, le=2**64 - 1)] = Field(default=0, description="hashmod: the modulus (required, not 0)")
    target_label: str = Field(default="", description="the label written (replace may use $1 / ${name})")
    replacement: str = Field(default=DEFAULT_REPLACEMENT)
    action: Annotated[str, BeforeValidator(_action)] = Field(default="replace", description=f"one of {', '.join(ACTIONS)} (any case)")

    @model_validator(mode="after")
    def _valid(self) -> "RelabelConfig":
        for loc, message in self._problems():
            raise FieldError(loc, message)
        return self

    def _problems(self) -> Iterator[tuple[tuple[Any, ...], str]]:
        """Config.Validate, in its order, with names valid as 3.x reads them."""
        a, t = self.action, self.target_label
        if a == "hashmod" and self.modulus == 0:
            yield ("modulus",), "relabel configuration for hashmod requires non-zero modulus"
        if a in ("replace", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal") and t == "":
            yield ("target_label",), f"relabel configuration for {a} action requires 'target_label' value"
        if a in ("lowercase", "uppercase", "keepequal", "dropequal") and self.replacement != DEFAULT_REPLACEMENT:
            yield ("replacement",), f"'replacement' can not be set for {a} action"
        if a == "labelmap" and self.replacement == "":
            yield ("replacement",), f"{self.replacement!r} is invalid 'replacement' for {a} action"
        if a in ("dropequal", "keepequal"):
            # Go compares the regex by pointer: any regex written, even (.*), counts as set.
            if "regex" in self.model_fields_set or self.modulus != 0 or self.separator != DEFAULT_SEPARATOR:
                yield ("action",), f"{a} action requires only 'source_labels' and `target_label`, and no other fields"
        if a in ("labeldrop", "labelkeep"):
            if self.source_labels is not None or t != "" or self.modulus != 0 or self.separator != DEFAULT_SEPARATOR or self.replacement != DEFAULT_REPLACEMENT:
                yield ("action",), f"{a} action requires only 'regex', and no other fields"

    def legacy_problems(self) -> Iterator[tuple[tuple[Any, ...], str]]:
        """What Prometheus 2.x refuses besides: label names outside [a-zA-Z_][a-zA-Z0-9_]*, and
        target labels / labelmap replacements that are not such names with $1 / ${name} in them
        (3.x takes any UTF-8 name, `$` references included)."""
        for i, name in enumerate(self.source_labels or ()):
            if not LEGACY_NAME.fullmatch(name):
                yield ("source_labels", i), f"{name!r} is not a valid label name before Prometheus 3.0 (set prometheus.version to 3.x for UTF-8 names)"
        a, t = self.action, self.target_label
        if a in ("replace", "lowercase", "uppercase", "keepequal", "dropequal") and t and not RELABEL_TARGET.fullmatch(t):
            yield ("target_label",), f"{t!r} is invalid 'target_label' for {a} action before Prometheus 3.0"
        if a == "hashmod" and t and not LEGACY_NAME.fullmatch(t):
            yield ("target_label",), f"{t!r} is invalid 'target_label' for {a} action before Prometheus 3.0"
        if a == "labelmap" and self.replacement and not RELABEL_TARGET.fullmatch(self.replacement):
            yield ("replacement",), f"{self.replacement!r} is invalid 'replacement' for {a} action before Prometheus 3.0"

    def rendered(self) -> dict[str, Any]:
        """The fields the spec sets, in Prometheus' order (defaults stay implicit, so a
        keepequal without regex stays without one)."""
        keys = ("source_labels", "separator", "regex", "modulus", "target_label", "replacement", "action")
        return {k: getattr(self, k) for k in keys if k in self.model_fields_set or k == "action"}
