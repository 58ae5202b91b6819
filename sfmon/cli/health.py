"""`sfmon health`: check the running stack against the spec (replaces the old health-check script)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from sfmon.cli import output
from sfmon.cli.options import EXIT_PROBLEMS, TEXT, basic_auth, Format, InsecureOpt, OverlayOpt, PasswordFileOpt, SetOpt, SpecOpt, examples

EPILOG = examples(
    "sfmon health",
    "sfmon health --overlay staging.yaml --format json",
    "sfmon health --prometheus-url http://localhost:9090 --alertmanager-url http://localhost:9093",
    note="Statuses: ok; fail (exit 1); skip (not checked: Grafana not reachable or not configured).",
)


class HealthFormat(str, Enum):
    text = "text"
    json = "json"


def command(
    spec: SpecOpt = Path("specs/specs.yaml"),
    overlay: OverlayOpt = None,
    set_: SetOpt = None,
    prometheus_url: Annotated[
        Optional[str], typer.Option("--prometheus-url", metavar="<url>", help="Default: http://<prometheus.listen_address> (0.0.0.0 read as 127.0.0.1).")
    ] = None,
    alertmanager_url: Annotated[
        Optional[list[str]], typer.Option("--alertmanager-url", metavar="<url>", help="Repeatable. Default: each of prometheus.alertmanagers.")
    ] = None,
    grafana_url: Annotated[Optional[str], typer.Option("--grafana-url", metavar="<url>", help="Default: grafana.url.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, max=60, help="Seconds per HTTP request.")] = 3.0,
    insecure: InsecureOpt = False,
    user: Annotated[Optional[str], typer.Option("--user", help="Basic-auth user for Prometheus and Alertmanager.")] = None,
    password_file: PasswordFileOpt = None,
    fmt: Annotated[HealthFormat, typer.Option("--format", "-f", help="Table for people, JSON for machines.")] = HealthFormat.text,
) -> None:
    """Check the running stack against the spec: Prometheus, its targets and rules, Alertmanager
    and its config, Grafana, each target's health and metrics. Exit 1 if any check fails."""
    from sfmon.tools import health as h

    problems_fmt = Format("json") if fmt is HealthFormat.json else TEXT
    loaded = output.load(spec, problems_fmt, overlay, set_)
    files = output.render(loaded, None, problems_fmt)
    auth = basic_auth(user, password_file)
    opts = h.default_options(
        loaded.spec, prometheus_url, alertmanager_url, grafana_url, timeout=timeout, insecure=insecure, basic_auth=auth
    )
    results = h.run(loaded.spec, files, opts)
    if fmt is HealthFormat.json:
        typer.echo(h.as_json(results))
    else:
        typer.echo(h.as_table(results, colour=sys.stdout.isatty()))
    if h.failed(results):
        raise typer.Exit(EXIT_PROBLEMS)
