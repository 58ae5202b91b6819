"""Alert rule tests sfmon could not derive or build from the spec (they are left out of
tests/alerts.test.yml, so a reviewer must know)."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context
from sfmon.problems import Problem


def check(ctx: Context) -> Iterator[Problem]:
    for note in ctx.derived.rule_tests.notes:
        yield ctx.problem(note.loc, note.message, note.severity)
