"""Relabel steps a Prometheus before 3.0 refuses: label names outside [a-zA-Z_][a-zA-Z0-9_]*
(3.x takes UTF-8 names). An unset prometheus.version must hold on 2.x, so it is checked too.
Errors, placed on the field (model/relabel.py has the rules every version shares)."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context
from sfmon.problems import Problem
from sfmon.semantics.versions import parse_version


def check(ctx: Context) -> Iterator[Problem]:
    v = ctx.spec.prometheus.version
    if v is not None and (parse_version(v) or (0, 0)) >= (3, 0):
        return
    for i, t in enumerate(ctx.spec.targets):
        for key in ("relabel_configs", "metric_relabel_configs"):
            for j, step in enumerate(getattr(t, key)):
                for loc, message in step.legacy_problems():
                    yield ctx.problem(("targets", i, key, j, *loc), message)
