"""The failover drill: the default spec rendered as an HA stack (tests/live/failover-overlay.yaml:
two Prometheus replicas, two Alertmanager peers) and run on 127.0.0.1 with the real binaries,
each started with the command line sfmon's docker-compose.yml gives it (container paths and
host names swapped for this run's files and ports), plus a third Prometheus as the remote
store (its remote-write receiver on). An error-rate fault fires HighErrorRate; once it has
notified and the other peer has the notification in its log (by gossip), one Prometheus and
the Alertmanager peer that notified are killed (SIGKILL, as in a crash); the fault stays on
for a repeat, then heals.

What must hold, per receiver of the alert (the default routing's four critical ones):
- each notification exactly once: a *duplicate* is a delivery to the same receiver and
  integration, for the same group (alertname; the drill raises one alert of one job, and the
  routing groups by alertname and job) and status as the previous delivery there, sooner
  than the repeat interval less one group interval after it. A repeat comes no sooner than
  a repeat interval later; a peer that missed the other's notification sends within its
  peer-timeout wait and a group interval;
- delivered: the first firing notification (before the kill), a repeat after the kill (by the
  surviving peer) and the resolved one (after the heal); *lost* counts those that never came;
- one alert in each notification, without the replica label: the two replicas' alerts are
  one alert to the cluster;
- *sent* (the peers' own count of notifications delivered, alertmanager_notifications_total
  less the failed ones) equals *received* (what the sinks got);
- the remote store holds the alert's and the app's series from both replicas, told apart by
  the replica label, and every sample the surviving replica has.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from harness import (
    CRITICAL,
    DRILL_OVERLAY,
    PLAIN_HTTP_OVERLAY,
    START_TIMEOUT,
    Fatal,
    HttpSink,
    Notification,
    Proc,
    SmtpSink,
    Stack,
    _drill_spec,
    content_problems,
    free_port,
    get_json,
    http,
    running,
    wait_until,
    want,
)

# Live, and version-sensitive (clustering, remote write): Debian's servers and the newest build.
pytestmark = [pytest.mark.live, pytest.mark.matrix("newest")]

FAILOVER_OVERLAY = Path(__file__).with_name("failover-overlay.yaml")
ALERT = "HighErrorRate"
REPEAT = 6.0  # s: every route's repeat_interval here (the spec's are hours)
# Peer i of the cluster waits i x peer-timeout before it notifies, and notifies only if peer 0's
# notification has not reached it by gossip: the cluster's deduplication.
PEER_TIMEOUT = 2.0
CLUSTER_CLOCK = ["--cluster.gossip-interval=100ms", "--cluster.pushpull-interval=1s", f"--cluster.peer-timeout={PEER_TIMEOUT:g}s"]
FIRE = 30.0  # s: the fault notifies within scrape + window + `for` + group_wait, with room for a busy machine
# Container ports in the compose file -> this run's port names (service, or service-cluster).
CONTAINER_PORTS = {"9090": "{}", "9093": "{}", "9094": "{}-cluster"}


def _set_path(at: tuple[Any, ...]) -> str:
    """("routing", "routes", 0) -> "routing.routes[0]" (a --set path)."""
    return "".join(f"[{p}]" if isinstance(p, int) else ("." if i else "") + p for i, p in enumerate(at))


class FailoverStack(Stack):
    """The drill stack with two replicas, two peers and the store; the same sinks, app and
    stand-in exporters as every drill (no Redis: the stand-in serves its catalog)."""

    def __init__(self, tmp: Path, prometheus: str, alertmanager: str):
        super().__init__(tmp, redis=False, prometheus=prometheus, alertmanager=alertmanager)
        self.replicas, self.peers = ["prometheus-0", "prometheus-1"], ["alertmanager-0", "alertmanager-1"]
        for name in (*self.replicas, *self.peers, *(f"{p}-cluster" for p in self.peers), "store"):
            self.ports[name] = free_port()
        # The spec's self-scrape targets (one address each) scrape the first replica and peer.
        self.ports["prometheus"], self.ports["alertmanager"] = self.ports["prometheus-0"], self.ports["alertmanager-0"]
        self.compose: dict[str, Any] = {}
        self.started_in = 0.0

    @property
    def overlays(self) -> list[Path]:
        return [PLAIN_HTTP_OVERLAY, DRILL_OVERLAY, FAILOVER_OVERLAY, self.overlay]

    def live_overlay(self, base: Any) -> dict[str, Any]:
        out = super().live_overlay(base)
        # Neither: the Alertmanagers are sfmon's choice with peers (every peer), and each
        # replica's listen address is its compose command's, swapped below for its own port.
        del out["prometheus"]["alertmanagers"], out["prometheus"]["listen_address"]
        out["prometheus"]["remote_write"] = [
            {"url": self.url("store", "/api/v1/write"), "name": "store", "queue": {"batch_send_deadline": "1s"}}
        ]
        return out

    def render(self) -> None:
        from sfmon.model.alertmanager import walk_routes

        routes = walk_routes(_drill_spec().routing.routes)
        self.sets = [f"routing.repeat_interval={REPEAT:g}s"] + [
            f"{_set_path(at)}.repeat_interval={REPEAT:g}s" for at, route in routes if route.repeat_interval is not None
        ]
        super().render()
        assert self.spec.prometheus.replica_names() == self.replicas and self.spec.alertmanager.peer_names() == self.peers
        self.compose = YAML(typ="safe").load((self.out / "docker-compose.yml").read_text())["services"]
        for replica in self.replicas:  # each replica sends to every peer: by name, here by port
            config = self._mounts(replica)["/etc/prometheus/prometheus.yml"]
            text = config.read_text()
            for peer in self.peers:
                text, n = re.subn(rf'(?m)^(\s+- )"{peer}:9093"$', rf'\g<1>"127.0.0.1:{self.ports[peer]}"', text)
                assert n == 1, f"{config.name} should name {peer}:9093 once among its Alertmanagers, not {n} times"
            config.write_text(text)

    def _mounts(self, service: str) -> dict[str, Path]:
        """The service's volumes: container path -> the generated file or this run's data dir."""
        out = {}
        for volume in self.compose[service]["volumes"]:
            source, target = volume.split(":")[:2]
            out[target] = self.out / source[2:] if source.startswith("./") else self.tmp / source
        return out

    def command(self, service: str, binary: str, extra: list[str]) -> list[str]:
        """The compose service's command for 127.0.0.1: a mounted path becomes the file or
        directory it mounts, `0.0.0.0:PORT` this service's port, `SERVICE:PORT` that
        service's. Anything else naming a host is a change the drill must learn about."""
        mounts, args = self._mounts(service), [binary]
        for arg in self.compose[service]["command"]:
            flag, _, value = arg.partition("=")
            if value in mounts:
                value = str(mounts[value])
            elif m := re.fullmatch(r"([A-Za-z0-9.-]+):(\d+)", value):
                host = service if m.group(1) == "0.0.0.0" else m.group(1)
                assert host in self.compose and m.group(2) in CONTAINER_PORTS, f"{service}: cannot run {arg!r} on 127.0.0.1"
                value = f"127.0.0.1:{self.ports[CONTAINER_PORTS[m.group(2)].format(host)]}"
            args.append(f"{flag}={value}" if value else flag)
        return args + extra + ["--log.level=warn"]

    # -- processes --

    def start(self) -> "FailoverStack":
        began = time.monotonic()
        self.sink, self.smtp = HttpSink(), SmtpSink(*self.smtp_login)
        self.render()
        self.start_store()
        for name in self.replicas:  # first: Prometheus hands targets to its scrapers only ~5 s after start
            self.procs[name] = Proc(name, self.command(name, self.prometheus_bin, []), self.logs).start()
        self._start_fake()
        self.start_app()
        for name in self.peers:
            web = f"--web.listen-address=127.0.0.1:{self.ports[name]}"  # compose publishes the default :9093
            self.procs[name] = Proc(name, self.command(name, self.alertmanager_bin, [web, *CLUSTER_CLOCK]), self.logs).start()
        for name in ("store", *self.replicas, *self.peers):
            self.wait_ready(name, self.url(name, "/-/ready"))
        self.wait_ready("app", self.url("app", "/health"))
        wait_until(lambda: all(self.settled(p) for p in self.peers), START_TIMEOUT, "both Alertmanager peers in one settled cluster")
        wait_until(lambda: all(self.all_up(r) for r in self.replicas), START_TIMEOUT, "every target up in both replicas")
        self.started_in = time.monotonic() - began
        return self

    def start_store(self) -> None:
        config = self.tmp / "store.yml"
        config.write_text("global:\n  scrape_interval: 1m\n")  # scrapes nothing: it only receives
        self.procs["store"] = Proc("store", [
            self.prometheus_bin, f"--config.file={config}", f"--storage.tsdb.path={self.tmp / 'store-data'}",
            f"--web.listen-address=127.0.0.1:{self.ports['store']}", "--web.enable-remote-write-receiver", "--log.level=warn",
        ], self.logs).start()  # fmt: skip

    def kill(self, name: str) -> None:
        self.procs[name].kill()

    # -- what the servers say --

    def all_up(self, replica: str) -> bool:
        targets = get_json(self.url(replica, "/api/v1/targets"))["data"]["activeTargets"]
        return len(targets) == len(self.spec.targets) and all(t["health"] == "up" for t in targets)

    def cluster(self, peer: str) -> dict[str, Any]:
        proc = self.procs[peer]
        if not proc.running():
            raise Fatal(f"{peer} exited:\n{proc.tail()}")
        return get_json(self.url(peer, "/api/v2/status"))["cluster"]

    def settled(self, peer: str) -> bool:
        cluster = self.cluster(peer)
        return cluster["status"] == "ready" and len(cluster.get("peers") or []) == len(self.peers)

    def counter(self, peer: str, name: str) -> int:
        """One of the peer's counters, summed over its labels."""
        status, body = http("GET", self.url(peer, "/metrics"))
        assert status == 200, body[:200]
        found = re.findall(rf"(?m)^{name}(?:\{{[^}}]*\}})? (\S+)$", body.decode())
        assert found, f"{peer} exports no {name}"
        return int(sum(map(float, found)))

    def sent(self, peer: str) -> int:
        """Notifications this peer delivered: attempts less failures."""
        return self.counter(peer, "alertmanager_notifications_total") - self.counter(peer, "alertmanager_notifications_failed_total")

    def merged(self, peer: str) -> int:
        """Notification-log entries this peer learnt from the others by gossip (each new one
        it passes on, and counts)."""
        return self.counter(peer, "alertmanager_nflog_gossip_messages_propagated_total")

    def stored_replicas(self, expr: str) -> set[str | None]:
        """The replica label values of `expr`'s series in the store, now."""
        return {s["metric"].get(self.spec.prometheus.replica_label) for s in self.query("store", expr, time.time())}

    def query(self, server: str, expr: str, at: float) -> list[dict[str, Any]]:
        url = self.url(server, f"/api/v1/query?query={urllib.parse.quote(expr)}&time={at:.3f}")
        return get_json(url)["data"]["result"]


@pytest.fixture
def ha(tmp_path: Path, prometheus_bin: str, alertmanager_bin: str) -> Any:
    yield from running(FailoverStack(tmp_path, prometheus_bin, alertmanager_bin))


def tally(got: list[Notification], killed_at: float, healed_at: float, group_interval: float) -> dict[str, list[str]]:
    """Duplicated, lost and stray notifications of `got` (in arrival order); see the module doc."""
    duplicated, lost, stray = [], [], []
    last: dict[tuple[str, str, str, str], float] = {}
    for n in got:
        key = (n.receiver, n.integration, n.alertname, n.status)
        # A repeat comes a repeat interval after the previous at the earliest (Alertmanager's
        # dedup stage); a peer that missed the other's notification sends within its
        # peer-timeout wait plus a group interval.
        if key in last and n.at - last[key] < REPEAT - group_interval:
            duplicated.append(f"{key} {n.at - last[key]:.2f}s after the previous")
        last[key] = n.at
    for receiver in sorted(CRITICAL):
        mine = [n for n in got if n.receiver == receiver]
        for what, ok in (
            ("firing before the kill", any(n.status == "firing" and n.at < killed_at for n in mine)),
            ("a repeat after the kill", any(n.status == "firing" and killed_at < n.at for n in mine)),
            ("resolved after the heal", any(n.status == "resolved" and healed_at < n.at for n in mine)),
        ):
            if not ok:
                lost.append(f"{receiver}: {what}")
        statuses = " ".join(n.status for n in mine)
        if not re.fullmatch(r"(firing )+resolved", statuses):
            stray.append(f"{receiver}: {statuses}, want firing (and repeats), then one resolved")
    stray += [f"{n.receiver}: {n.status} {n.alertname}" for n in got if n.receiver not in CRITICAL or n.alertname != ALERT]
    return {"duplicated": duplicated, "lost": lost, "stray": stray}


def soft_wait(late: list[str], probe: Any, timeout: float, what: str) -> None:
    """wait_until, noting a timeout in `late` instead of failing: the counts come first."""
    try:
        wait_until(probe, timeout, what, interval=0.25)
    except AssertionError as exc:
        late.append(str(exc))


def test_failover_notifies_once_resolves_and_keeps_both_replicas_samples(ha: FailoverStack, toolset: Any, record_property: Any) -> None:
    group_interval = ha.spec.routing.group_interval.ms / 1000
    killed_replica, surviving_replica = ha.replicas
    late: list[str] = []

    def arrived(status: str, after: float) -> bool:
        got = ha.notifications()
        return all(any(n.receiver == r and n.status == status and n.at > after for n in got) for r in CRITICAL)

    with ha.traffic(threads=3, pause=0.02):
        ha.set_faults(error_ratio=0.5)  # 1 in 2 requests fail: over the spec's 5%
        faulted_at = time.monotonic()
        ha.wait_notifications(want(CRITICAL, "firing", ALERT), FIRE)
        # Every delivery so far counted by a peer and known to the other by gossip, then the
        # peer that notified is killed. (Killed before its notification log has left, the
        # other peer notifies again: Alertmanager's at-least-once. Not what this drill is about.)
        wait_until(lambda: sum(ha.sent(p) for p in ha.peers) >= len(ha.notifications()), 5, "the peers to count the notifications")
        notifier = max(ha.peers, key=ha.sent)
        survivor = next(p for p in ha.peers if p != notifier)
        wait_until(lambda: ha.merged(survivor) >= ha.sent(notifier), 5, f"{survivor} to learn of {notifier}'s notifications")
        first = {p: ha.sent(p) for p in ha.peers}
        # ... and while the alert fires in both replicas, each firing known to the store.
        wait_until(lambda: ha.stored_replicas(f'ALERTS{{alertname="{ALERT}",alertstate="firing"}}') == set(ha.replicas), 10,
                   f"{ALERT} firing in both replicas, in the store")  # fmt: skip
        ha.kill(killed_replica)
        ha.kill(notifier)
        killed_at, killed_wall = time.monotonic(), time.time()

        # The fault stays on: the survivor repeats the notification in the killed peer's stead.
        soft_wait(late, lambda: arrived("firing", killed_at), REPEAT + 20, f"a repeat of {ALERT} at every receiver after the kill")
        ha.set_faults(error_ratio=0)
        healed_at = time.monotonic()
        soft_wait(late, lambda: arrived("resolved", healed_at), FIRE, f"{ALERT} resolved at every receiver")
        resolved_at = time.monotonic()
        time.sleep(PEER_TIMEOUT + group_interval + 0.5)  # long enough for a duplicate or a stray to show up
    got = ha.notifications()
    sent = first[notifier] + ha.sent(survivor)  # the killed peer's last count: no repeat was due before its kill
    bad = tally(got, killed_at, healed_at, group_interval)

    # The remote store: both replicas' series, and every sample of the surviving replica.
    at = time.time() - 3  # samples older than this have left the survivor's queue (batch_send_deadline 1s)
    label = ha.spec.prometheus.replica_label
    stored = {s["metric"].get(label): [float(t) for t, _ in s["values"]] for s in ha.query("store", 'up{job="api"}[5m]', at)}
    alerts = {s["metric"].get(label) for s in ha.query("store", f'ALERTS{{alertname="{ALERT}",alertstate="firing"}}[5m]', at)}
    own = [float(t) for s in ha.query(surviving_replica, 'up{job="api"}[5m]', at) for t, _ in s["values"]]
    samples_lost = sorted(set(own) - set(stored.get(surviving_replica, [])))
    killed_gap = killed_wall - max(stored.get(killed_replica, [0.0]))

    line = (
        f"failover drill ({toolset.name}): notifications sent {sent}, received {len(got)}, duplicated {len(bad['duplicated'])}, "
        f"lost {len(bad['lost'])} (first round: {notifier} {first[notifier]}, {survivor} {first[survivor]}); "
        f"remote store: up{{job=\"api\"}} from {surviving_replica} {len(own)} samples, {len(samples_lost)} missing, "
        f"from {killed_replica} {len(stored.get(killed_replica, []))}, the last {killed_gap:.1f}s before its kill; "
        f"stack up {ha.started_in:.1f}s, fault to kill {killed_at - faulted_at:.1f}s, "
        f"kill to repeat {healed_at - killed_at:.1f}s, heal to resolve {resolved_at - healed_at:.1f}s"
    )
    print(line)
    record_property("failover_counts", line)

    assert not late and not bad["lost"], (late, bad["lost"], line)
    assert not bad["duplicated"], (bad["duplicated"], line)
    assert not bad["stray"], bad["stray"]
    assert sent == len(got), line
    assert first[survivor] == 0, f"{survivor} notified too before the kill: the cluster did not deduplicate ({first})"
    problems = content_problems(ha.spec, got)
    for n in got:
        labels = {frozenset(a["labels"].items()) for a in n.alerts}
        if n.integration != "slack" and len(labels) != 1:
            problems.append(f"{n.receiver} ({n.integration}) {n.status}: {len(labels)} alerts, want the one: {n.alerts}")
        problems += [f"{n.receiver} ({n.integration}): the alert carries {label}" for a in n.alerts if label in a["labels"]]
    assert not problems, "\n".join(problems)

    assert set(stored) == set(ha.replicas), f"the store's up{{job=\"api\"}} series by {label}: {sorted(map(str, stored))}"
    assert alerts == set(ha.replicas), f"the store's {ALERT} ALERTS series by {label}: {sorted(map(str, alerts))}"
    assert len(own) > 10 and not samples_lost, f"{len(samples_lost)} of {len(own)} samples of {surviving_replica} not in the store"
    assert 0 < killed_gap < 5, f"{killed_replica}'s last stored sample is {killed_gap:.1f}s before its kill"
