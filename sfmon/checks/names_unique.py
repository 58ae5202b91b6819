"""Names that must be unique: targets, alerts, receivers, dashboards, panels, variables, families."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from sfmon.checks import Context
from sfmon.problems import Problem


def _dupes(ctx: Context, items: Iterable[tuple[tuple, str]], what: str) -> Iterator[Problem]:
    seen: dict[str, tuple] = {}
    for loc, name in items:
        if name in seen:
            first = ctx.smap.locate(seen[name])[0]
            yield ctx.problem(loc, f"duplicate {what} {name!r} (first defined on line {first})")
        else:
            seen[name] = loc


def check(ctx: Context) -> Iterator[Problem]:
    s = ctx.spec
    yield from _dupes(ctx, ((("targets", i, "name"), t.name) for i, t in enumerate(s.targets)), "target")
    yield from _dupes(ctx, ((("alerts", i, "name"), a.name) for i, a in enumerate(s.alerts)), "alert")
    yield from _dupes(ctx, ((("receivers", i, "name"), r.name) for i, r in enumerate(s.receivers)), "receiver")
    yield from _dupes(ctx, ((("dashboards", i, "uid"), d.uid) for i, d in enumerate(s.dashboards)), "dashboard uid")
    for cname, families in s.catalogs.items():
        yield from _dupes(
            ctx, ((("catalogs", cname, i, "name"), f.name) for i, f in enumerate(families)), "metric family"
        )
    for di, d in enumerate(s.dashboards):
        panels: list[tuple[Any, str]] = [
            (("dashboards", di, "rows", ri, "panels", pi, "title"), p.title)
            for ri, row in enumerate(d.rows)
            for pi, p in enumerate(row.panels)
        ]
        yield from _dupes(ctx, panels, "panel title")
        yield from _dupes(
            ctx, ((("dashboards", di, "variables", vi, "name"), v.name) for vi, v in enumerate(d.variables)), "variable"
        )
    # Two rules of one group writing one series overwrite each other at every evaluation.
    records: dict[tuple[str, str], int] = {}
    for i, r in enumerate(s.recording_rules):
        key = (r.group or s.project, r.record)
        if key in records:
            first = ctx.smap.locate(("recording_rules", records[key], "record"))[0]
            yield ctx.problem(
                ("recording_rules", i, "record"),
                f"duplicate recording rule {r.record!r} in group {key[0]!r} (first defined on line {first})",
            )
        else:
            records[key] = i
    for ai, a in enumerate(s.alerts):
        yield from _dupes(ctx, ((("alerts", ai, "tests", ti, "name"), t.name) for ti, t in enumerate(a.tests)), "test")
