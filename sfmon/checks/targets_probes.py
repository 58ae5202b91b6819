"""Probes that must point at something: a probe's module in blackbox.modules, and the probe
alert kinds (probe_failed, probe_slow, cert_expiry) on targets that are probes."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context, hint
from sfmon.problems import Problem

PROBE_KINDS = ("probe_failed", "probe_slow", "cert_expiry")


def check(ctx: Context) -> Iterator[Problem]:
    s = ctx.spec
    modules = s.blackbox.modules if s.blackbox is not None else {}
    for i, t in enumerate(s.targets):
        if t.probe is None:
            continue
        if s.blackbox is None:
            yield ctx.problem(("targets", i, "probe"), "a probe needs the exporter it runs on: add blackbox: {address, modules}")
        elif t.probe.module not in modules:
            yield ctx.problem(("targets", i, "probe", "module"), f"unknown blackbox module {t.probe.module!r}" + hint(t.probe.module, modules))
    probes = {t.name for t in s.targets if t.probe is not None}
    names = {t.name for t in s.targets}
    for i, a in enumerate(s.alerts):
        target = a.target_name()
        if a.kind in PROBE_KINDS and target in names and target not in probes:
            yield ctx.problem(("alerts", i, "target"), f"{a.kind} needs a probe target; {target!r} has no probe" + hint(target, probes))
