"""What sfmon's notification templates say (notifications/*.tmpl, loaded through alertmanager.yml's
`templates:`): the title of a notification, which labels each alert lists and which of its
annotations become links. Every integration with a template (email, Slack, PagerDuty,
Opsgenie) reads the same options; a receiver's own text field overrides its template."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from sfmon.model.base import LabelName, NonEmpty, StrictModel

# Alertmanager's template functions, every release sfmon supports (template/template.go,
# DefaultFuncs): 0.26 added trimSpace, 0.28 date, tz, since and humanizeDuration. A function
# the target release lacks is amtool's to refuse, in `sfmon validate`.
AM_FUNCS = frozenset(
    {"toUpper", "toLower", "title", "trimSpace", "join", "match", "safeHtml", "reReplaceAll", "stringSlice",
     "date", "tz", "since", "humanizeDuration"}
)  # fmt: skip


def _am_parse(value: str) -> str:
    """Refuse what Go's template parser refuses, with Alertmanager's functions and no variables
    but the dot: Alertmanager would fail the notification at send time."""
    from sfmon.semantics.goparse import TemplateError, Unsupported, parse

    if "{{" not in value:
        return value
    try:
        parse(value, AM_FUNCS, ())
    except Unsupported:
        pass  # amtool decides, in `sfmon validate`
    except TemplateError as exc:
        raise ValueError(f"Go template error: {exc}") from None
    return value


# A receiver's templated field (Slack text, SNS subject, ...): what Alertmanager parses at send time.
AmTemplateStr = Annotated[str, AfterValidator(_am_parse)]


def _am_template(value: str) -> str:
    _am_parse(value)
    if "{{ define" in value or "{{define" in value or "{{- define" in value:
        raise ValueError("a message template must not define templates ({{ define }}): it is placed inside sfmon's")
    return value


AmTemplate = Annotated[NonEmpty, AfterValidator(_am_template)]

DEFAULT_TITLE = '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}'


class Messages(StrictModel):
    title: AmTemplate = Field(
        default=DEFAULT_TITLE,
        description="a notification's title: email subject, Slack title, PagerDuty and Opsgenie summary (Go template over "
        "Alertmanager's data: .Status, .CommonLabels, .Alerts ...)",
    )
    labels: list[LabelName] = Field(  # UTF-8 names when the targeted releases read them
        default_factory=lambda: ["severity", "job", "instance"], description="labels listed with each alert, where it has them"
    )
    links: dict[LabelName, NonEmpty] = Field(
        default_factory=lambda: {"runbook_url": "Runbook", "dashboard_url": "Dashboard"},
        description="annotation -> link text: each alert's annotations shown as links, where it has them",
    )

    @field_validator("labels")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        for i, name in enumerate(value):
            if name in value[:i]:
                raise ValueError(f"label {name!r} is listed twice")
        return value
