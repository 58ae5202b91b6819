"""Rule tests for an alert's `guards:` (`and` / `unless` filters), whatever its kind.

A kind builds its cases for the bare expression; this adds what the guards change: every
case gets a series for each `and` guard (so its firing case still fires), and each guard
gets one more case from a firing one, where the guard silences it (the `unless` series is
there, or the `and` series is missing). A guard series shares the `on` labels of the alert's
own series, so it is the matching that is proven, not only the guard's existence.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Mapping

from sfmon.kinds.testgen import Check, Group, Series, SeriesSelector, TestEnv, constant, make_series, solve_labels

if TYPE_CHECKING:  # pragma: no cover
    from sfmon.kinds.base import AlertBase, Guard


def guard_series(guard: "Guard", out: Mapping[str, str]) -> Series | None:
    """A series of the guard's selector that matches the alert's output series `out` on the
    guard's labels (all of them without `on`); None when the selector cannot select one."""
    sel = SeriesSelector.parse(guard.selector)
    if guard.on is None:
        labels = dict(out)
    else:
        shared = {k: out[k] for k in guard.on if out.get(k)}
        labels = solve_labels(shared, sel, present=list(shared))  # type: ignore[assignment]
        if labels is None or any(labels.get(k, "") != out.get(k, "") for k in guard.on):
            return None
    if not sel.matches(sel.name, labels):
        return None
    return make_series(sel.name, labels)


def _own_selectors(alert: "AlertBase") -> list[SeriesSelector]:
    """The selectors the alert's own expression reads (a guard series they select would change
    its value); a raw expression's text is not one."""
    out = []
    for value in alert.selectors().values():
        for text in value if isinstance(value, list) else [value]:
            try:
                out.append(SeriesSelector.parse(text))
            except (AttributeError, ValueError):
                continue
    return out


def guarded(alert: "AlertBase", groups: list[Group], env: TestEnv) -> list[Group]:
    if not alert.guards or not groups:
        return groups
    firing = [g for g in groups if any(c.alerts for c in g.checks)]
    if not firing:
        return groups
    out = next(c.alerts[0].series for c in firing[0].checks if c.alerts)  # the alert's own series
    found = [guard_series(g, out) for g in alert.guards]
    bad = next((g for g, s in zip(alert.guards, found) if s is None), None)
    own = _own_selectors(alert)
    clash = next((g for g, s in zip(alert.guards, found) if s is not None and any(o.matches(s.name, dict(s.labels)) for o in own)), None)
    if bad is not None or clash is not None:
        why = "selects no series sharing its `on` labels with the alert's" if bad else "would select a series the alert itself reads"
        env.notes.append(f"{alert.name}: guard {(bad or clash).selector} {why}; only its quiet cases are generated")  # type: ignore[union-attr]
        return [g for g in groups if g not in firing]

    def with_guards(g: Group, keep: list[bool]) -> tuple[Series, ...]:
        end = max(c.at_ms for c in g.checks)
        added = tuple(
            replace(s, segments=(constant(Decimal(1), end, g.interval_ms),))  # type: ignore[union-attr]
            for guard, s, k in zip(alert.guards, found, keep)
            if k
        )
        return (*g.series, *added)  # type: ignore[return-value]

    ands = [guard.op == "and" for guard in alert.guards]
    result = [replace(g, series=with_guards(g, ands)) for g in groups]
    base = firing[0]
    for i, guard in enumerate(alert.guards):
        keep = list(ands)
        keep[i] = guard.op == "unless"  # an `unless` series present, or an `and` series missing
        how = "is there" if guard.op == "unless" else "is missing"
        result.append(
            Group(
                f"{base.alertname}: silenced when the `{guard.op}` guard's series {guard.selector} {how} (case: {base.name})",
                base.alertname,
                base.interval_ms,
                with_guards(base, keep),
                tuple(Check(c.at_ms) for c in base.checks),
            )
        )
    return result
