"""Alerts no test case proves: none shows where the alert fires and where it stays quiet
(a raw `expr` sfmon cannot compute, a threshold no value can cross). A warning, so a team
can acknowledge an alert it proves elsewhere; validate's summary counts the proven ones."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context
from sfmon.problems import Problem


def check(ctx: Context) -> Iterator[Problem]:
    for note in ctx.derived.rule_tests.unproven:
        yield ctx.problem(note.loc, note.message, note.severity)
