"""What the Prometheus Operator output cannot write as the spec says: object names that are
not RFC 1123 names (they come from the project, target names and dashboard uids), and
target credentials, which a ScrapeConfig reads from Kubernetes Secrets, not from files.
Errors, placed on the field the name or credential comes from."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context
from sfmon.model.outputs import dns_subdomain_problem
from sfmon.problems import Problem


# Scraping settings the ScrapeConfig template does not carry: refused rather than dropped.
_NOT_CARRIED = (
    "discovery", "probe", "params", "relabel_configs", "metric_relabel_configs", "honor_labels", "honor_timestamps",
    "sample_limit", "label_limit", "label_name_length_limit", "label_value_length_limit", "target_limit",
)  # fmt: skip


def check(ctx: Context) -> Iterator[Problem]:
    op = ctx.spec.outputs.operator
    if op is None:
        return
    if op.name is None and (why := dns_subdomain_problem(ctx.spec.project)) is not None:
        yield ctx.problem(("project",), f"outputs.operator names its objects after the project, and {why}; set outputs.operator.name")
        return
    prefix = op.name or ctx.spec.project
    for i, t in enumerate(ctx.spec.targets):
        if (why := dns_subdomain_problem(f"{prefix}-{t.name}")) is not None:
            yield ctx.problem(("targets", i, "name"), f"names the ScrapeConfig {prefix}-{t.name}, and {why}")
        for field in ("tls", "basic_auth", "bearer_token_file"):
            if getattr(t, field) is not None:
                yield ctx.problem(
                    ("targets", i, field),
                    "outputs.operator cannot carry it: a ScrapeConfig reads credentials and certificates from "
                    "Kubernetes Secrets, not from files",
                )
        for field in _NOT_CARRIED:
            if getattr(t, field, None) not in (None, [], {}):
                yield ctx.problem(
                    ("targets", i, field),
                    "outputs.operator does not write it into the ScrapeConfig (only static addresses, labels, path, "
                    "scheme and timings); leave it out or switch the Operator output off",
                )
    for i, d in enumerate(ctx.spec.dashboards):
        if (why := dns_subdomain_problem(f"{prefix}-dashboard-{d.uid}")) is not None:
            yield ctx.problem(("dashboards", i, "uid"), f"names the ConfigMap {prefix}-dashboard-{d.uid}, and {why}")
