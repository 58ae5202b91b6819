"""An inhibit rule whose `equal` names a label no alert carries: Alertmanager compares the
label on both alerts, a label missing on both counts as equal, so the rule mutes targets
regardless of what `equal` was meant to tie them to (or the name is a typo). A warning.

The labels an alert may carry are counted generously (every label the spec mentions for
alerts, targets, catalogs and external labels), so a warning means no alert can have it."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context
from sfmon.problems import Problem, Severity, hint


def label_names(ctx: Context) -> set[str]:
    s = ctx.spec
    names = {"alertname", "severity", "job", "instance", *s.prometheus.external_labels}
    for t in s.targets:
        names.update(t.labels)
    for families in s.catalogs.values():
        for f in families:
            names.update(f.labels)
            if f.type == "histogram":
                names.add("le")
            if f.type == "summary":
                names.add("quantile")
    for a in s.alerts:
        names.update(a.labels)
        names.update(getattr(a, "by", None) or ())
    return names


def check(ctx: Context) -> Iterator[Problem]:
    known = None
    for i, rule in enumerate(ctx.spec.routing.inhibit):
        for j, label in enumerate(rule.equal):
            known = known if known is not None else label_names(ctx)
            if label not in known:
                yield ctx.problem(
                    ("routing", "inhibit", i, "equal", j),
                    f"no alert carries a label {label!r}: it is missing on both alerts, which Alertmanager counts as "
                    f"equal, so this rule mutes regardless of it{hint(label, sorted(known))}",
                    Severity.WARNING,
                )
