"""Discovery settings the targeted Prometheus release refuses though a newer one takes them:
a node selector on the Kubernetes pod role (accepted from NODE_SELECTOR_ON_POD, the first
release sfmon has proven it with; Prometheus 3.5 refuses it). An unset prometheus.version
must hold on 2.x. Errors, placed on the selector."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context
from sfmon.model.discovery import NODE_SELECTOR_ON_POD
from sfmon.problems import Problem
from sfmon.semantics.versions import parse_version


def check(ctx: Context) -> Iterator[Problem]:
    v = ctx.spec.prometheus.version
    release = (parse_version(v) if v is not None else None) or (2, 0)
    if tuple(release[:2]) >= NODE_SELECTOR_ON_POD:
        return
    want = ".".join(map(str, NODE_SELECTOR_ON_POD))
    for i, t in enumerate(ctx.spec.targets):
        for j, k in enumerate(t.discovery.kubernetes if t.discovery is not None else ()):
            for n, sel in enumerate(k.selectors):
                if k.role == "pod" and sel.role == "node":
                    yield ctx.problem(
                        ("targets", i, "discovery", "kubernetes", j, "selectors", n, "role"),
                        f"pod role supports only pod selectors before Prometheus {want} (set prometheus.version to {want} or later)",
                    )
