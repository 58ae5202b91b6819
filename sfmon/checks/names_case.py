"""Alert names that differ only in case: Alertmanager, silences and most people read them as
one alert, Prometheus as two. A warning on the later one."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context
from sfmon.problems import Problem, Severity


def check(ctx: Context) -> Iterator[Problem]:
    first: dict[str, tuple[int, str]] = {}
    for i, a in enumerate(ctx.spec.alerts):
        folded = a.name.casefold()
        if folded in first and first[folded][1] != a.name:
            j, other = first[folded]
            yield ctx.problem(
                ("alerts", i, "name"),
                f"alert {a.name!r} differs from {other!r} (alerts[{j}]) only in case; silences and people mistake one for the other",
                Severity.WARNING,
            )
        first.setdefault(folded, (i, a.name))
