"""The one type for every finding: spec errors, check results and tool output."""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass
from typing import Iterable


class Severity(enum.IntEnum):
    # Ordered so that max() gives the worst finding.
    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int  # 1-based; 0 when the source gives no position
    column: int  # 1-based; 0 when unknown
    check: str
    severity: Severity
    message: str
    acknowledged: str = ""  # the spec's reason, when it acknowledges this warning

    def location(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column or 1}"
        return self.file

    def __str__(self) -> str:
        return f"{self.location()}: {self.severity}: {self.message} [{self.check}]"


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity >= Severity.ERROR for p in problems)


class SpecError(Exception):
    """Raised by the loader when the spec cannot become a model; carries the findings."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class RenderError(SpecError):
    """Raised by render when a template (the user's override, or ours) cannot be rendered;
    its problems point at the template. A bug in sfmon's own code is not one of these."""


def hint(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the nearest of `choices`, or ''."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
