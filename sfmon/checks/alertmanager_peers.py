"""With several Alertmanager peers, Prometheus must send every alert to every peer: the
cluster shares only its notification log, not the alerts (Alertmanager's README, "High
Availability": do not load balance between Prometheus and its Alertmanagers). A
`prometheus.alertmanagers` list that names the compose alias `alertmanager` (each send
reaches one peer, as DNS picks) or only some of the peers leaves a peer without the alert:
when the other dies, notifications wait for Prometheus to resend (a warning; omitting the
list sends to every peer)."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context, Severity
from sfmon.problems import Problem

ALIAS = "alertmanager"  # every peer's network alias in the compose output (render/views.py)


def check(ctx: Context) -> Iterator[Problem]:
    peers = ctx.spec.alertmanager.peer_names()
    p = ctx.spec.prometheus
    if not peers or "alertmanagers" not in p.model_fields_set:
        return
    hosts = [a.rpartition(":")[0] for a in p.alertmanagers]
    for i, host in enumerate(hosts):
        if host == ALIAS:
            yield ctx.problem(
                ("prometheus", "alertmanagers", i),
                f"{ALIAS!r} is the network alias of all {len(peers)} Alertmanager peers: each alert would reach one of them, "
                "not every peer as the cluster needs; omit prometheus.alertmanagers to send to each peer",
                Severity.WARNING,
            )
    missing = [peer for peer in peers if peer not in hosts]
    if missing and set(hosts) <= set(peers):
        yield ctx.problem(
            ("prometheus", "alertmanagers"),
            f"names {len(peers) - len(missing)} of the {len(peers)} Alertmanager peers, not {', '.join(missing)}: "
            "an alert must reach every peer; omit prometheus.alertmanagers to send to each",
            Severity.WARNING,
        )
