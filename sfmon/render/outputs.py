"""Every output file, in one table: where it goes, the template and view that make it, when it
is written, which tool checks it, whether it gets stand-ins for missing credential files,
and where the compose file mounts it.

render() writes what this table lists; prometheus.yml's rule_files, the rule tests' rule
files and the compose config mounts are read from it; `sfmon validate` runs each entry's
tool. A new output is one entry here and one template.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any, Callable

from sfmon.derive import Derived
from sfmon.model import Spec
from sfmon.render import views

View = Callable[[Spec, Derived], dict[str, Any]]


@dataclass(frozen=True)
class Tool:
    """How `sfmon validate` checks a file: the problems' check id and the argv, run in the
    output directory. An argument "{}" stands for the file's path; a run builder in
    sfmon/tools/validate.py may add arguments (the rule tests' chunks, one amtool run per
    route case)."""

    check: str
    argv: tuple[str, ...]

    def args(self, *files: str) -> tuple[str, ...]:
        """The argv with "{}" replaced by `files`."""
        return tuple(x for a in self.argv for x in (files if a == "{}" else (a,)))


@dataclass(frozen=True)
class Mount:
    """A config mount in docker-compose.yml: read-only, at `target` in `service`'s container.
    `source` defaults to the file itself (for a pattern, its directory)."""

    service: str
    target: str
    source: str | None = None


def _always(spec: Spec) -> bool:
    return True


@dataclass(frozen=True)
class Output:
    # Relative to the output directory; a pattern holds "{}", filled with each key of its view.
    path: str
    template: str
    # spec, derived -> template context; for a pattern: {key: template context}.
    view: View
    when: Callable[[Spec], bool] = _always
    json: bool = False  # JSON-quoted values, and re-serialised as one stable JSON layout
    tool: Tool | None = None
    standins: bool = False  # tools read the files it names: stand-ins where they are missing
    rule_file: bool = False  # a Prometheus rule file (listed in prometheus.yml's rule_files)
    # The consumer expands $VAR in every string (Compose, Grafana provisioning): a literal $
    # is written $$; a template marks the references it means with the `expand` filter.
    dollars: bool = False
    # A Go template file (Alertmanager's notification templates): values are written as they
    # are, and the Jinja holes are [[ ]] / [% %] / [# #], so Go's {{ }} reads as itself.
    text: bool = False
    # Written only when the derived data has something for it (checked after `when`).
    has: Callable[[Derived], bool] | None = None
    mounts: tuple[Mount, ...] = ()
    # Another entry whose rendered text this one carries whole (a manifest wrapping a file):
    # its template gets that text as `embedded` (for a pattern, the file of the same key).
    embeds: "Output | None" = None

    @property
    def pattern(self) -> bool:
        return "{}" in self.path

    def key(self, rel: str) -> str:
        """The key a pattern's file `rel` was written for ("" for a single file)."""
        if not self.pattern:
            return ""
        head, _, tail = self.path.partition("{}")
        return rel[len(head) : len(rel) - len(tail)]

    def embedded_path(self, rel: str) -> str:
        """The path of the file this entry's file `rel` embeds."""
        assert self.embeds is not None
        return self.embeds.path.replace("{}", self.key(rel))

    def files(self, spec: Spec, derived: Derived) -> dict[str, dict[str, Any]]:
        """Relative path -> template context of each file this entry writes for the spec."""
        if not self.when(spec) or (self.has is not None and not self.has(derived)):
            return {}
        if self.pattern:
            return {self.path.replace("{}", key): ctx for key, ctx in self.view(spec, derived).items()}
        return {self.path: self.view(spec, derived)}

    def mount_source(self) -> str:
        return posixpath.dirname(self.path) if self.pattern else self.path


def rule_files(spec: Spec, relative_to: str) -> list[str]:
    """The rule files written for the spec, as paths relative to the directory `relative_to`."""
    return [posixpath.relpath(o.path, relative_to or ".") for o in OUTPUTS if o.rule_file and o.when(spec)]


def config_mounts(spec: Spec) -> dict[str, list[str]]:
    """Per compose service, its config mounts (`./source:target:ro`), in table order, once each."""
    out: dict[str, list[str]] = {}
    for o in OUTPUTS:
        if not o.when(spec):
            continue
        for m in o.mounts:
            line = f"./{m.source or o.mount_source()}:{m.target}:ro"
            if line not in out.setdefault(m.service, []):
                out[m.service].append(line)
    return out


# --- views that need the table ------------------------------------------------------------


def _prometheus(spec: Spec, derived: Derived) -> dict[str, Any]:
    return views.prometheus_view(spec, rule_files(spec, posixpath.dirname(PROMETHEUS.path)))


def _prometheus_replicas(spec: Spec, derived: Derived) -> dict[str, dict[str, Any]]:
    files = rule_files(spec, posixpath.dirname(PROMETHEUS_REPLICAS.path))
    return {name.rpartition("-")[2]: views.prometheus_view(spec, files, name) for name in spec.prometheus.replica_names()}


def _operator(spec: Spec) -> bool:
    return spec.outputs.operator is not None


def _compose(spec: Spec, derived: Derived) -> dict[str, Any]:
    replicas = [PROMETHEUS_REPLICAS.path.replace("{}", str(i)) for i in range(len(spec.prometheus.replica_names()))]
    return views.compose_view(spec, config_mounts(spec), replicas)


def _rule_tests(spec: Spec, derived: Derived) -> dict[str, Any]:
    return views.rule_tests_view(spec, derived, rule_files(spec, posixpath.dirname(RULE_TESTS.path)))


def _long_rule_tests(spec: Spec, derived: Derived) -> dict[str, Any]:
    return views.long_rule_tests_view(spec, derived, rule_files(spec, posixpath.dirname(LONG_RULE_TESTS.path)))


def _has_long_tests(derived: Derived) -> bool:
    return bool(derived.rule_tests.long)


def _web_config(server: str) -> "Output":
    """A server's --web.config.file (TLS and basic auth, docs/hardening.md), when the spec has one."""
    return Output(
        f"{server}-web.yml", "web-config.yml.j2", lambda spec, derived: {"server": server, "web": getattr(spec, server).web},
        when=lambda spec: getattr(spec, server).web is not None,
        tool=Tool("promtool/web-config", ("promtool", "check", "web-config", "{}")), standins=True,
        mounts=(Mount(server, f"/etc/{server}/web.yml"),),
    )  # fmt: skip


def _dashboards(spec: Spec, derived: Derived) -> dict[str, dict[str, Any]]:
    alerts = views.alerts_by_name(spec)  # one index for every dashboard
    return {dash.uid: views.dashboard_view(spec, dash, alerts) for dash in spec.dashboards}


# --- the table ------------------------------------------------------------------------------

PROMETHEUS = Output(
    "prometheus.yml", "prometheus.yml.j2", _prometheus, when=lambda spec: spec.prometheus.replicas == 1,
    tool=Tool("promtool/config", ("promtool", "check", "config", "{}")), standins=True,
    mounts=(Mount("prometheus", "/etc/prometheus/prometheus.yml"),),
)  # fmt: skip
# HA: one file per replica, differing only in the replica label; compose mounts each into its
# own service (views.compose_view), so the entry has no mount of its own.
PROMETHEUS_REPLICAS = Output(
    "prometheus-replica-{}.yml", "prometheus.yml.j2", _prometheus_replicas, when=lambda spec: spec.prometheus.replicas > 1,
    tool=Tool("promtool/config", ("promtool", "check", "config", "{}")), standins=True,
)  # fmt: skip
ALERTS = Output(
    "alerts.yml", "alerts.yml.j2", lambda spec, derived: views.rules_view(derived.rule_groups),
    tool=Tool("promtool/rules", ("promtool", "check", "rules", "{}")), rule_file=True,
    mounts=(Mount("prometheus", "/etc/prometheus/alerts.yml"),),
)  # fmt: skip
PROMETHEUS_WEB = _web_config("prometheus")
def _alertmanager(spec: Spec, derived: Derived) -> dict[str, Any]:
    globs = [posixpath.join(posixpath.dirname(NOTIFICATIONS.path), "*.tmpl")] if views.notification_keys(spec) else []
    return views.alertmanager_view(spec, globs)


# Alertmanager's message templates, loaded through alertmanager.yml's `templates:` (resolved
# next to it, so the same relative glob holds in the container and for amtool).
NOTIFICATIONS = Output(
    "notifications/{}.tmpl", "notifications.tmpl.j2", lambda spec, derived: views.notifications_view(spec), text=True,
    when=lambda spec: bool(views.notification_keys(spec)),
    mounts=(Mount("alertmanager", "/etc/alertmanager/notifications"),),
)  # fmt: skip
ALERTMANAGER = Output(
    "alertmanager.yml", "alertmanager.yml.j2", _alertmanager,
    tool=Tool("amtool/config", ("amtool", "check-config", "{}")),
    mounts=(Mount("alertmanager", "/etc/alertmanager/alertmanager.yml"),),
)  # fmt: skip
ALERTMANAGER_WEB = _web_config("alertmanager")
GRAFANA_PROVISIONING = Mount("grafana", "/etc/grafana/provisioning", "grafana/provisioning")
DATASOURCE = Output(
    "grafana/provisioning/datasources/prometheus.yml", "grafana/datasource.yml.j2", lambda spec, derived: {},
    dollars=True, mounts=(GRAFANA_PROVISIONING,),
)  # fmt: skip
DASHBOARD_PROVIDER = Output(
    "grafana/provisioning/dashboards/sfmon.yml", "grafana/dashboards.yml.j2", lambda spec, derived: {},
    dollars=True, mounts=(GRAFANA_PROVISIONING,),
)  # fmt: skip
DASHBOARDS = Output(
    "grafana/dashboards/{}.json", "grafana/dashboard.json.j2", _dashboards, json=True,
    mounts=(Mount("grafana", "/var/lib/grafana/dashboards"),),
)  # fmt: skip
COMPOSE = Output("docker-compose.yml", "docker-compose.yml.j2", _compose, dollars=True)
RULE_TESTS = Output(
    "tests/alerts.test.yml", "tests/alerts.test.yml.j2", _rule_tests,
    tool=Tool("promtool/test", ("promtool", "test", "rules", "{}")),
)  # fmt: skip
# Alerts whose `for` and window span more than MAX_STEPS evaluations: tested in a file of
# their own at a coarser evaluation interval, so promtool finishes (docs/hardening.md).
LONG_RULE_TESTS = Output(
    "tests/alerts-long.test.yml", "tests/alerts.test.yml.j2", _long_rule_tests, has=_has_long_tests,
    tool=Tool("promtool/test", ("promtool", "test", "rules", "{}")),
)  # fmt: skip
# Prometheus Operator manifests (docs/operator.md): the same rule groups, targets, routing
# and dashboards as the files above; the Secret and ConfigMaps carry those files whole.
OPERATOR_RULES = Output(
    "operator/prometheusrule.yaml", "operator/prometheusrule.yaml.j2", views.prometheus_rule_view, when=_operator,
)  # fmt: skip
OPERATOR_SCRAPE = Output(
    "operator/scrapeconfig-{}.yaml", "operator/scrapeconfig.yaml.j2", lambda spec, derived: views.scrape_configs_view(spec),
    when=_operator,
)  # fmt: skip
OPERATOR_ALERTMANAGER = Output(
    "operator/alertmanager-secret.yaml", "operator/alertmanager-secret.yaml.j2",
    lambda spec, derived: views.alertmanager_secret_view(spec), when=_operator, embeds=ALERTMANAGER,
)  # fmt: skip
OPERATOR_DASHBOARDS = Output(
    "operator/dashboard-{}.yaml", "operator/dashboard.yaml.j2", lambda spec, derived: views.dashboard_configmaps_view(spec),
    when=_operator, embeds=DASHBOARDS,
)  # fmt: skip
# A ruler's namespace files (Cortex/Mimir): promtool reads the groups once `namespace:` is set aside.
RULER = Output(
    "ruler/{}.yml", "ruler/namespace.yml.j2", views.ruler_view, when=lambda spec: spec.outputs.ruler is not None,
)  # fmt: skip
ROUTE_TESTS = Output(
    "tests/routes.test.yml", "tests/routes.test.yml.j2", lambda spec, derived: views.route_tests_view(derived),
    tool=Tool("amtool/routes", ("amtool", "config", "routes", "test")),
)  # fmt: skip
# The maintenance windows, for `amtool silence import` (`sfmon silences apply` keeps them
# in a running Alertmanager exactly); no offline tool reads silences.
SILENCES = Output(
    "silences.json", "silences.json.j2", lambda spec, derived: views.silences_view(spec), json=True,
    when=lambda spec: bool(spec.maintenance),
)  # fmt: skip

# Every alert's notifications, rendered by amtool in `sfmon validate` (sfmon/tools/messages.py).
MESSAGE_TESTS = Output(
    "tests/messages.test.yml", "tests/messages.test.yml.j2", lambda spec, derived: views.message_tests_view(spec, derived),
    has=lambda derived: bool(derived.message_cases),
    tool=Tool("amtool/templates", ("amtool", "template", "render")),
)  # fmt: skip

# A target's file_sd groups (`discovery.file`): Prometheus re-reads the file when it changes.
FILE_SD = Output(
    views.FILE_SD, "file_sd.json.j2", lambda spec, derived: views.file_sd_views(spec), json=True,
    when=lambda spec: any(t.discovery is not None and t.discovery.file is not None for t in spec.targets),
    mounts=(Mount("prometheus", "/etc/prometheus/file_sd"),),
)  # fmt: skip
# The blackbox exporter's modules, when the spec has probes (`blackbox:`); checked by the
# exporter itself when it is installed (Debian: prometheus-blackbox-exporter).
BLACKBOX = Output(
    "blackbox.yml", "blackbox.yml.j2", lambda spec, derived: views.blackbox_view(spec),
    when=lambda spec: spec.blackbox is not None,
    tool=Tool("blackbox/config", ("prometheus-blackbox-exporter", "--config.check", "--config.file", "{}")),
    standins=True,
)  # fmt: skip

OUTPUTS: tuple[Output, ...] = (
    PROMETHEUS, PROMETHEUS_REPLICAS, ALERTS, FILE_SD, BLACKBOX, PROMETHEUS_WEB, ALERTMANAGER, NOTIFICATIONS, ALERTMANAGER_WEB,
    DATASOURCE, DASHBOARD_PROVIDER, DASHBOARDS, COMPOSE, RULE_TESTS, LONG_RULE_TESTS, ROUTE_TESTS, MESSAGE_TESTS, SILENCES,
    OPERATOR_RULES, OPERATOR_SCRAPE, OPERATOR_ALERTMANAGER, OPERATOR_DASHBOARDS, RULER,
)  # fmt: skip
# An entry that embeds another's file comes after it: render() reads the text it has written.
assert all(o.embeds is None or OUTPUTS.index(o.embeds) < OUTPUTS.index(o) for o in OUTPUTS)
