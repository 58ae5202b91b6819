"""What each template needs, computed from the spec: the route tree, panel layout, secrets.

Kept apart from the templates so that the templates only lay out text.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sfmon.derive import Derived
from sfmon.derive import routing_tree
from sfmon.kinds.rule import RuleGroup
from sfmon.model import Dashboard, Panel, Spec
from sfmon.model.base import YAML_V2_NULLS
from sfmon.model.prometheus import Target
from sfmon.model.receivers import INTEGRATIONS


def _literal_regex(text: str) -> str:
    """An RE2 regex matching exactly `text`: a UTF-8 label name's `.` must not match any
    character. Only RE2's metacharacters are escaped (Go refuses `\\` before a space); `null`
    and `~` are grouped, as yaml.v2 would read them as no regex (model/base.YAML_V2_NULLS)."""
    escaped = "".join("\\" + c if c in "\\.+*?()|[]{}^$" else c for c in text)
    return f"(?:{escaped})" if escaped in YAML_V2_NULLS else escaped


def prometheus_view(spec: Spec, rule_files: list[str], replica: str | None = None) -> dict[str, Any]:
    """`rule_files`: relative to prometheus.yml, from the output table. `replica`: the value
    of the replica label in this replica's file (the one way the replicas' files differ)."""
    p = spec.prometheus
    external = {**p.external_labels, p.replica_label: replica} if replica is not None else p.external_labels
    return {
        "p": p, "jobs": [scrape_job(spec, t) for t in spec.targets], "rule_files": rule_files,
        "external_labels": external, "alertmanagers": alertmanager_addresses(spec),
        # Alerts leave without the replica label: the replicas' copies of one alert are then
        # one alert to Alertmanager (one notification; resolved by whichever replica is left).
        "alert_labeldrop": _literal_regex(p.replica_label) if replica is not None else None,
    }  # fmt: skip


def alertmanager_addresses(spec: Spec) -> list[str]:
    """Where Prometheus sends alerts: the spec's list, or, when it names none and there are
    several Alertmanager peers, every peer (each alert goes to all; the cluster notifies once)."""
    peers = spec.alertmanager.peer_names()
    if peers and "alertmanagers" not in spec.prometheus.model_fields_set:
        return [f"{peer}:9093" for peer in peers]
    return list(spec.prometheus.alertmanagers)


FILE_SD = "file_sd/{}.json"  # relative to prometheus.yml, which Prometheus resolves it against


def scrape_job(spec: Spec, t: Target) -> dict[str, Any]:
    """One scrape config: its static targets, params and relabelling (Target.relabel_steps)."""
    return {
        "target": t,
        "static": t.static_targets(),
        "params": t.scrape_params(),
        "relabel": t.relabel_steps(spec.blackbox.address if spec.blackbox is not None else "blackbox:9115"),
        "metric_relabel": [r.rendered() for r in t.metric_relabel_configs],
        "file_sd": FILE_SD.format(t.name),
    }


def file_sd_views(spec: Spec) -> dict[str, dict[str, Any]]:
    """Target name -> its file_sd groups (Prometheus' JSON target group format)."""
    return {
        t.name: {"groups": [{"targets": list(g.targets), "labels": {**t.labels, **g.labels}} for g in t.discovery.file.groups]}
        for t in spec.targets
        if t.discovery is not None and t.discovery.file is not None
    }


def blackbox_view(spec: Spec) -> dict[str, Any]:
    return {"b": spec.blackbox}


def rules_view(groups: tuple[RuleGroup, ...]) -> dict[str, Any]:
    return {"groups": groups}


def alertmanager_view(spec: Spec, templates: list[str]) -> dict[str, Any]:
    """`templates`: the notification template globs, relative to alertmanager.yml (output table)."""
    g = spec.alertmanager.global_
    return {
        "smtp": g.smtp,
        "h": g.http_config,
        "templates": templates,
        "r": spec.routing,
        "root": routing_tree.root(spec),
        "inhibits": routing_tree.inhibit_rules(spec),
        "receivers": spec.receivers,
        "integrations": list(INTEGRATIONS.values()),
        # `time_intervals:` (Alertmanager 0.24 on; every release sfmon targets), not the
        # deprecated top-level `mute_time_intervals:`.
        "time_intervals": [{"name": t["name"], "spans": t["time_intervals"]} for t in routing_tree.time_intervals(spec)],
    }


def silences_view(spec: Spec) -> dict[str, Any]:
    from sfmon.derive.silences import silences

    return {"silences": silences(spec)}


def notification_keys(spec: Spec) -> list[str]:
    """The integrations the spec's receivers use for which sfmon writes message templates,
    in registry order."""
    used = {key for rc in spec.receivers for key in rc.integrations()}
    return [key for key, integ in INTEGRATIONS.items() if key in used and integ.generated]


def notifications_view(spec: Spec) -> dict[str, dict[str, Any]]:
    """notifications/<name>.tmpl: `sfmon` (what every integration's templates share), then one
    file per integration the receivers use."""
    keys = notification_keys(spec)
    if not keys:
        return {}
    m = spec.alertmanager.messages
    return {name: {"key": name, "m": m, "links": list(m.links.items())} for name in ("sfmon", *keys)}


# --- Tests ----------------------------------------------------------------------------------


def _reads_external_labels(derived: Derived) -> bool:
    from sfmon.semantics.gotemplate import reads_external_labels

    return any(
        reads_external_labels(t)
        for group in derived.rule_groups
        for rule in group.rules
        for t in (*rule.labels.values(), *rule.annotations.values())
        if "{{" in t
    )


def rule_tests_view(spec: Spec, derived: Derived, rule_files: list[str]) -> dict[str, Any]:
    """`rule_files`: relative to the rule test file, from the output table."""
    from sfmon.semantics.units import format_duration_ms

    tests, own = derived.rule_tests, spec.prometheus.evaluation_interval
    interval = own if own.ms == tests.evaluation_interval_ms else format_duration_ms(tests.evaluation_interval_ms)
    return {
        "rule_files": rule_files,
        "evaluation_interval": interval,
        # what $externalLabels reads in the tests; only where a template reads it (less noise)
        "external_labels": spec.prometheus.external_labels if _reads_external_labels(derived) else {},
        "groups": tests.groups,
    }


def long_rule_tests_view(spec: Spec, derived: Derived, rule_files: list[str]) -> dict[str, Any]:
    """The long alerts' generated tests, at their coarser interval (derive/rule_tests.py)."""
    from sfmon.semantics.units import format_duration_ms

    tests = derived.rule_tests
    return {
        **rule_tests_view(spec, derived, rule_files),
        "evaluation_interval": format_duration_ms(tests.long_interval_ms),
        "groups": tests.long,
    }


def message_tests_view(spec: Spec, derived: Derived) -> dict[str, Any]:
    group_by = list(spec.routing.group_by)
    return {
        "cases": [
            {"receiver": c.receiver, "alert": c.alert, "predicted": c.predicted, "data": c.data(group_by)}
            for c in derived.message_cases
        ]
    }


def route_tests_view(derived: Derived) -> dict[str, Any]:
    return {"cases": derived.route_cases}


# --- Grafana -----------------------------------------------------------------------------

GRID_WIDTH = 24


def alerts_by_name(spec: Spec) -> dict[str, Any]:
    """Name -> alert (the first, as duplicates are a check error): one pass, not one per panel."""
    index: dict[str, Any] = {}
    for a in spec.alerts:
        index.setdefault(a.name, a)
    return index


_TIER_COLORS = {"info": "blue", "warning": "orange", "critical": "red"}


def _steps(alerts: dict[str, Any], panel: Panel) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [{"value": None, "color": "green"}]
    steps += [{"value": t.value, "color": t.color} for t in panel.thresholds]
    if panel.show_alert:
        alert = alerts.get(panel.show_alert)
        levels = [lv for lv in alert.levels() if lv.op in (">", "<")] if alert is not None else []
        if len(levels) == 1:
            op, value = levels[0].op, levels[0].value
            if op == "<":  # below the limit is bad: red up to it, green from it
                steps[0]["color"] = "red"
            steps.append({"value": value, "color": "red" if op == ">" else "green"})
        elif levels:  # tiers: each threshold in its severity's color
            colors = [_TIER_COLORS[lv.severity] for lv in levels]
            if levels[0].op == ">":
                steps += [{"value": lv.value, "color": c} for lv, c in zip(levels, colors)]
            else:  # most severe below the lowest threshold, green above the highest
                steps[0]["color"] = colors[-1]
                steps += [{"value": lv.value, "color": c} for lv, c in zip(levels, ["green", *colors[:-1]])]
    head, rest = steps[0], sorted(steps[1:], key=lambda s: Decimal(str(s["value"])))
    return [head, *rest]


def dashboard_view(spec: Spec, dash: Dashboard, alerts: dict[str, Any] | None = None) -> dict[str, Any]:
    """Panels with ids and grid positions: rows full width, panels left to right, wrapping.
    `alerts` is alerts_by_name(spec); pass it when rendering many dashboards."""
    if alerts is None:
        alerts = alerts_by_name(spec)
    items: list[dict[str, Any]] = []
    next_id, y = 1, 0
    for row in dash.rows:
        items.append({"row": row, "id": next_id, "grid": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y}})
        next_id, y = next_id + 1, y + 1
        x, line_height = 0, 0
        for panel in row.panels:
            if x + panel.width > GRID_WIDTH:
                x, y, line_height = 0, y + line_height, 0
            items.append(
                {
                    "panel": panel,
                    "id": next_id,
                    "grid": {"h": panel.height, "w": panel.width, "x": x, "y": y},
                    "steps": _steps(alerts, panel),
                    "queries": [
                        {"ref": _ref_id(i), "expr": q.expr, "legend": q.legend} for i, q in enumerate(panel.all_queries())
                    ],
                }
            )
            next_id += 1
            x += panel.width
            line_height = max(line_height, panel.height)
        y += line_height
    return {"dash": dash, "items": items, "ds": {"type": "prometheus", "uid": spec.grafana.datasource_uid}}


def _ref_id(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


# --- Prometheus Operator ------------------------------------------------------------------

MANAGED_BY = {"app.kubernetes.io/managed-by": "sfmon"}


def _meta(spec: Spec, name: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    op = spec.outputs.operator
    assert op is not None  # the operator outputs are written only when it is set
    return {"name": name, "namespace": op.namespace, "labels": {**MANAGED_BY, **op.labels, **(extra or {})}}


def operator_prefix(spec: Spec) -> str:
    op = spec.outputs.operator
    return (op.name if op is not None and op.name else None) or spec.project


def prometheus_rule_view(spec: Spec, derived: Derived) -> dict[str, Any]:
    return {"meta": _meta(spec, f"{operator_prefix(spec)}-rules"), "groups": derived.rule_groups}


def scrape_configs_view(spec: Spec) -> dict[str, dict[str, Any]]:
    """Target name -> its ScrapeConfig: the interval and timeout it is scraped with in
    prometheus.yml written out, since the Prometheus resource's defaults are not sfmon's."""
    p, out = spec.prometheus, {}
    for t in spec.targets:
        interval = t.scrape_interval or p.scrape_interval
        timeout = t.scrape_timeout or (p.scrape_timeout if p.scrape_timeout.ms <= interval.ms else interval)
        out[t.name] = {"meta": _meta(spec, f"{operator_prefix(spec)}-{t.name}"), "t": t, "interval": interval, "timeout": timeout}
    return out


def alertmanager_secret_view(spec: Spec) -> dict[str, Any]:
    op = spec.outputs.operator
    assert op is not None
    return {"meta": _meta(spec, f"alertmanager-{op.alertmanager or operator_prefix(spec)}")}


def dashboard_configmaps_view(spec: Spec) -> dict[str, dict[str, Any]]:
    op = spec.outputs.operator
    assert op is not None
    return {
        d.uid: {"meta": _meta(spec, f"{operator_prefix(spec)}-dashboard-{d.uid}", op.dashboard_labels), "uid": d.uid, "file": f"{d.uid}.json"}
        for d in spec.dashboards
    }


# --- Ruler -------------------------------------------------------------------------------


def ruler_view(spec: Spec, derived: Derived) -> dict[str, dict[str, Any]]:
    """Ruler namespace -> its rule groups (each group's `namespace`, else the default)."""
    ruler = spec.outputs.ruler
    default = (ruler.namespace if ruler is not None else None) or spec.project
    out: dict[str, list[Any]] = {}
    for g in derived.rule_groups:
        settings = spec.rule_groups.get(g.name)
        ns = (settings.namespace if settings is not None else None) or default
        out.setdefault(ns, []).append(g)
    return {ns: {"namespace": ns, "groups": tuple(groups)} for ns, groups in sorted(out.items())}


# --- Compose -----------------------------------------------------------------------------


def _client_files(client: Any) -> list[str]:
    """Files a client setting (tls / basic_auth / bearer_token_file) makes its process read."""
    out = []
    tls = getattr(client, "tls", None)
    if tls is not None:
        out += [f for f in (tls.ca_file, tls.cert_file, tls.key_file) if f]
    if getattr(client, "basic_auth", None) is not None:
        out.append(client.basic_auth.password_file)
    if getattr(client, "bearer_token_file", None):
        out.append(client.bearer_token_file)
    return out


def _web_files(web: Any) -> list[str]:
    if web is None or web.tls is None:
        return []
    return [f for f in (web.tls.cert_file, web.tls.key_file, web.tls.client_ca_file) if f]


def service_files(spec: Spec) -> dict[str, list[str]]:
    """Every credential or certificate file each container reads, by compose service."""
    am: set[str] = set(_web_files(spec.alertmanager.web))
    g = spec.alertmanager.global_
    if g.smtp is not None and g.smtp.auth_password_file:
        am.add(g.smtp.auth_password_file)
    if g.http_config is not None:
        am.update(_client_files(g.http_config))
    for r in spec.receivers:
        am.update(r.secret_files())
    prom = set(_web_files(spec.prometheus.web)) | set(_client_files(spec.prometheus.alerting))
    for t in spec.targets:
        prom.update(_client_files(t))
    for rw in spec.prometheus.remote_write:
        prom.update(_client_files(rw))
    g = spec.grafana
    grafana = set(_client_files(SimpleNamespace(tls=g.datasource_tls, basic_auth=g.datasource_basic_auth)))
    if g.admin_password_file:
        grafana.add(g.admin_password_file)
    return {"prometheus": sorted(prom), "alertmanager": sorted(am), "grafana": sorted(grafana)}


def secret_files(spec: Spec) -> list[str]:
    """The files the Alertmanager container reads: receivers' credentials, its web TLS."""
    return service_files(spec)["alertmanager"]


def compose_view(spec: Spec, config_mounts: dict[str, list[str]], replica_files: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
    """`config_mounts`: each service's generated files, from the output table; `replica_files`:
    each Prometheus replica's config file, from the table too."""
    files = service_files(spec)
    names = _secret_names(sorted({f for paths in files.values() for f in paths}))
    # Host ports: Grafana's fixed; the Alertmanagers' from 9093, then the Prometheus servers'
    # from their listen port, each on the next free one (the single servers keep theirs).
    taken = {GRAFANA_PORT}
    ams = _alertmanager_services(spec, taken)
    proms = _prometheus_services(spec, config_mounts, list(replica_files), taken)
    return {
        "prometheus_services": proms,
        "alertmanager_services": ams,
        "data_volumes": [s["data"] for s in (*proms, *ams)] + ["grafana-data"],
        "p": spec.prometheus,
        # Published as the port Prometheus listens on, so a changed listen_address stays reachable.
        "prometheus_port": spec.prometheus.listen_address.rpartition(":")[2],
        "g": spec.grafana,
        "images": spec.images,
        "web": {"prometheus": spec.prometheus.web is not None, "alertmanager": spec.alertmanager.web is not None},
        "config_mounts": config_mounts,
        "mounts": {svc: [{"name": names[f], "path": f} for f in paths] for svc, paths in files.items()},
        "secrets": [{"name": names[f], "path": f} for f in sorted(names)],
    }


GRAFANA_PORT, ALERTMANAGER_PORT = 3000, 9093


def _host_ports(first: int, count: int, taken: set[int]) -> list[int]:
    """`count` host ports from `first` upward (then downward), none in `taken`; added to it."""
    out: list[int] = []
    for port in (*range(first, 65536), *range(first - 1, 0, -1)):
        if len(out) == count:
            break
        if port not in taken:
            out.append(port)
            taken.add(port)
    return out


def _prometheus_services(spec: Spec, config_mounts: dict[str, list[str]], replica_files: list[str], taken: set[int]) -> list[dict[str, Any]]:
    """One service per replica (each mounting its own config file, published on the next
    free host port), or the one `prometheus`."""
    port = int(spec.prometheus.listen_address.rpartition(":")[2])
    shared = config_mounts.get("prometheus", [])
    names = spec.prometheus.replica_names()
    if not names:
        return [{"name": "prometheus", "mounts": shared, "data": "prometheus-data", "port": str(port), "alias": None}]
    ports = _host_ports(port, len(names), taken)
    return [
        {
            "name": name, "mounts": [f"./{replica_files[i]}:/etc/prometheus/prometheus.yml:ro", *shared],
            "data": f"{name}-data", "port": str(ports[i]),
            "alias": "prometheus",  # what Grafana's default datasource URL names: any replica answers
        }
        for i, name in enumerate(names)
    ]  # fmt: skip


def _alertmanager_services(spec: Spec, taken: set[int]) -> list[dict[str, Any]]:
    """One service per cluster peer, each told of the others (--cluster.peer) and published
    on the next free host port, or the one `alertmanager`."""
    names = spec.alertmanager.peer_names()
    if not names:
        taken.add(ALERTMANAGER_PORT)
        return [{"name": "alertmanager", "data": "alertmanager-data", "port": str(ALERTMANAGER_PORT), "peers": [], "alias": None}]
    ports = _host_ports(ALERTMANAGER_PORT, len(names), taken)
    return [
        {"name": name, "data": f"{name}-data", "port": str(ports[i]), "peers": [n for n in names if n != name], "alias": "alertmanager"}
        for i, name in enumerate(names)
    ]


def _secret_names(paths: list[str]) -> dict[str, str]:
    """A distinct compose secret name per path (two paths may clean up to the same name)."""
    import hashlib

    out: dict[str, str] = {}
    used: set[str] = set()
    for path in paths:
        name = _secret_name(path)
        if name in used:
            name = f"{name}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"
        used.add(name)
        out[path] = name
    return out


def _secret_name(path: str) -> str:
    """Compose secret name for a file path: /run/secrets/smtp_password -> smtp_password."""
    import re

    base = path.removeprefix("/run/secrets/")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", base.strip("/"))
    return name if name.strip(".") else "secret"  # never ".", ".." or empty: ./secrets/<name> is a path
