"""Deep links: an alert shown by a dashboard panel (`show_alert`) gets a `dashboard_url`
annotation opening that panel, with the dashboard's variables set from the alert's labels.

The annotation is added to a copy of the alert, so its rules and its generated tests (which
predict every annotation exactly, as Prometheus expands it) both carry it; the spec as
written stays as it was (diff, docs). An alert whose own annotations set dashboard_url keeps
its own. The first panel (in spec order) showing the alert is the one linked.
"""

from __future__ import annotations

from typing import Any

from sfmon.model import Spec

ANNOTATION = "dashboard_url"


def dashboard_links(spec: Spec) -> dict[str, str]:
    """Alert name -> its dashboard_url template (a Go template over $labels)."""
    targets = {t.name: t for t in spec.targets}
    alerts: dict[str, Any] = {}
    for a in spec.alerts:
        alerts.setdefault(a.name, a)
    base = (spec.grafana.external_url or spec.grafana.url).rstrip("/")
    out: dict[str, str] = {}
    for dash in spec.dashboards:
        for panel, pid in dash.panel_ids():
            alert = alerts.get(panel.show_alert or "")
            if alert is None or alert.name in out:
                continue
            kept = _kept_labels(alert, targets)
            # A variable only where the firing series has the label (a recorded series may
            # keep fewer than the target's): Grafana then uses the variable's default.
            query = "".join(
                f"{{{{ with index $labels {_gostr(v.name)} }}}}&var-{v.name}={{{{ . | urlquery }}}}{{{{ end }}}}"
                for v in dash.variables
                if v.name in kept
            )
            out[alert.name] = _literal(f"{base}/d/{dash.uid}?viewPanel={pid}") + query
    return out


def _kept_labels(alert: Any, targets: dict[str, Any]) -> set[str]:
    """The labels of the target's series the alert keeps (identity()): what $labels may hold when it
    fires. instances(), not addresses: a probe or a discovered target has no static address."""
    name = alert.target_name()
    t = targets.get(name) if name else None
    series = {**t.labels, "job": t.name, "instance": t.instances()[0]} if t is not None else ({"job": name} if name else {})
    return set(alert.identity(series))


def _gostr(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _literal(text: str) -> str:
    """Text Prometheus' template engine writes as it is (a URL holding '{{' goes in a string constant)."""
    return text if "{{" not in text else "{{ " + _gostr(text) + " }}"


def linked(spec: Spec) -> Spec:
    """The spec with each linked alert's dashboard_url annotation in its `annotations`."""
    links = dashboard_links(spec)
    if not links:
        return spec
    alerts = [
        a.model_copy(update={"annotations": {ANNOTATION: links[a.name], **a.annotations}}) if a.name in links else a
        for a in spec.alerts
    ]
    return spec.model_copy(update={"alerts": alerts})
