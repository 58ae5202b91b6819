"""A target label named like the replica label: Prometheus adds an external label only to
series that lack it, so the target's value would hide the replica's and the replicas' series
could not be told apart (a deduplicating store would merge them). An error, on the label."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context
from sfmon.problems import Problem


def check(ctx: Context) -> Iterator[Problem]:
    p = ctx.spec.prometheus
    if p.replicas < 2:
        return
    for i, t in enumerate(ctx.spec.targets):
        if p.replica_label in t.labels:
            yield ctx.problem(
                ("targets", i, "labels", p.replica_label),
                f"the label {p.replica_label!r} is prometheus.replica_label: the target's value would hide "
                "each replica's, so the replicas' series would not differ",
                key=True,
            )
