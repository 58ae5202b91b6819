"""A target's scrape_timeout longer than its scrape interval: Prometheus refuses the config
("scrape timeout greater than scrape interval"), so this is an error, placed on the field.
The interval and timeout are each the target's own or the global one; an unset timeout
above the interval is lowered to it by Prometheus, which is fine."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context
from sfmon.problems import Problem


def check(ctx: Context) -> Iterator[Problem]:
    p = ctx.spec.prometheus
    for i, t in enumerate(ctx.spec.targets):
        if t.scrape_timeout is None:
            continue
        interval = t.scrape_interval or p.scrape_interval
        if t.scrape_timeout.ms > interval.ms:
            whose = "its scrape_interval" if t.scrape_interval else "the global prometheus.scrape_interval"
            yield ctx.problem(
                ("targets", i, "scrape_timeout"),
                f"scrape_timeout {t.scrape_timeout} is longer than {whose} {interval}; Prometheus refuses the config",
            )
