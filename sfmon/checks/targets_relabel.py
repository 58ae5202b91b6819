"""Static targets relabelled out of their address (promtool refuses the config), and relabel
steps a Prometheus before 3.0 refuses: label names outside [a-zA-Z_][a-zA-Z0-9_]*
(3.x takes UTF-8 names). An unset prometheus.version must hold on 2.x, so it is checked too.
Errors, placed on the field (model/relabel.py has the rules every version shares)."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context
from sfmon.problems import Problem
from sfmon.semantics.relabel import address_problem, process
from sfmon.semantics.versions import parse_version


def _static_targets(ctx: Context, utf8: bool) -> Iterator[Problem]:
    """promtool relabels each static target (the probed ones too) and refuses the config when
    one is left without an address or with a path in it: placed on the target's relabel_configs."""
    bb = ctx.spec.blackbox.address if ctx.spec.blackbox is not None else "blackbox:9115"
    for i, t in enumerate(ctx.spec.targets):
        if not t.relabel_configs and t.probe is None:
            continue
        steps = t.relabel_steps(bb)  # exactly as rendered
        for n, addr in enumerate(t.static_targets()):
            base = {**t.labels, "__address__": addr, "__scheme__": t.scheme, "__metrics_path__": t.scrape_path(), "job": t.name}
            base |= {f"__param_{k}": vs[0] for k, vs in t.scrape_params().items() if vs}
            why = address_problem(process(base, steps, utf8))
            if why:
                where = ("targets", i, "relabel_configs") if t.relabel_configs else ("targets", i, "probe", "targets", n)
                yield ctx.problem(where, f"the static target {addr!r} is left with {why} after relabelling; promtool refuses the config")


def check(ctx: Context) -> Iterator[Problem]:
    v = ctx.spec.prometheus.version
    utf8 = v is not None and (parse_version(v) or (0, 0)) >= (3, 0)
    yield from _static_targets(ctx, utf8)
    if utf8:
        return
    for i, t in enumerate(ctx.spec.targets):
        for key in ("relabel_configs", "metric_relabel_configs"):
            for j, step in enumerate(getattr(t, key)):
                for loc, message in step.legacy_problems():
                    yield ctx.problem(("targets", i, key, j, *loc), message)
