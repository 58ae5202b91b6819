"""Label matchers (`=`, `!=`, `=~`, `!~`) with Prometheus/Alertmanager semantics: regexes
are anchored, a missing label matches as the empty string."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Mapping


def fullmatch(pattern: str, value: str) -> bool:
    """Anchored regex match; a pattern Python cannot compile matches nothing."""
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return False


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str  # = != =~ !~
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        v = labels.get(self.name, "")
        if self.op == "=":
            return v == self.value
        if self.op == "!=":
            return v != self.value
        hit = fullmatch(self.value, v)
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        return f"{self.name}{self.op}{json.dumps(self.value, ensure_ascii=False)}"
