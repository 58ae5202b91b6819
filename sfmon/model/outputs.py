"""Outputs beyond the Compose stack, switched on in the spec's `outputs:` section: the
Prometheus Operator's manifests and a ruler's namespace files."""

from __future__ import annotations

import re
from typing import Annotated, Callable

from pydantic import AfterValidator, Field, WithJsonSchema

from sfmon.model.base import StrictModel

# Kubernetes' names (k8s.io/apimachinery/pkg/util/validation): a namespace is an RFC 1123
# label, an object name an RFC 1123 subdomain, a label key an optional subdomain prefix and
# a name part, a label value at most 63 characters of the name part's alphabet.
DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS_LABEL_RE = re.compile(f"^{DNS_LABEL}$")
DNS_SUBDOMAIN_RE = re.compile(rf"^{DNS_LABEL}(\.{DNS_LABEL})*$")
_LABEL_PART_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def dns_label_problem(value: str) -> str | None:
    """Why `value` is not an RFC 1123 label (a namespace), or None."""
    if len(value) > 63:
        return f"{value!r} has {len(value)} characters: an RFC 1123 label has at most 63"
    if not DNS_LABEL_RE.match(value):
        return f"{value!r} is not an RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit"
    return None


def dns_subdomain_problem(value: str) -> str | None:
    """Why `value` is not an RFC 1123 subdomain (an object's name), or None."""
    if len(value) > 253:
        return f"{value!r} has {len(value)} characters: an RFC 1123 name has at most 253"
    if not DNS_SUBDOMAIN_RE.match(value):
        return (
            f"{value!r} is not an RFC 1123 name: lowercase letters, digits, '-' and '.', "
            "each part starting and ending with a letter or digit"
        )
    return None


def _checked(problem: Callable[[str], str | None]) -> AfterValidator:
    def check(value: str) -> str:
        why = problem(value)
        if why is not None:
            raise ValueError(why)
        return value

    return AfterValidator(check)


def _label_key(value: str) -> str:
    prefix, slash, name = value.rpartition("/")
    if slash and (not prefix or dns_subdomain_problem(prefix) is not None):
        raise ValueError(f"invalid label key {value!r}: the prefix before '/' must be an RFC 1123 name, e.g. example.com/team")
    if len(name) > 63 or not _LABEL_PART_RE.match(name):
        raise ValueError(
            f"invalid label key {value!r}: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
        )
    return value


def _label_value(value: str) -> str:
    if value and (len(value) > 63 or not _LABEL_PART_RE.match(value)):
        raise ValueError(
            f"invalid label value {value!r}: empty, or at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
        )
    return value


Namespace = Annotated[str, _checked(dns_label_problem), WithJsonSchema({"type": "string", "pattern": DNS_LABEL_RE.pattern, "maxLength": 63})]
ObjectName = Annotated[str, _checked(dns_subdomain_problem), WithJsonSchema({"type": "string", "pattern": DNS_SUBDOMAIN_RE.pattern, "maxLength": 253})]
KubeLabels = dict[Annotated[str, AfterValidator(_label_key)], Annotated[str, AfterValidator(_label_value)]]


def _ruler_namespace(value: str) -> str:
    if not RULER_NAMESPACE_RE.match(value):
        raise ValueError(f"invalid ruler namespace {value!r}: 1-100 letters, digits, '_', '.' and '-', starting with a letter or digit (it names a file)")
    return value


# A ruler namespace names its file, ruler/<namespace>.yml.
RULER_NAMESPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
RulerNamespace = Annotated[str, AfterValidator(_ruler_namespace), WithJsonSchema({"type": "string", "pattern": RULER_NAMESPACE_RE.pattern})]


class OperatorOutput(StrictModel):
    """Manifests for the Prometheus Operator (docs/operator.md), written under operator/."""

    namespace: Namespace = Field(description="the Kubernetes namespace of every manifest")
    name: ObjectName | None = Field(
        default=None,
        description="the prefix of every object's name (<name>-rules, <name>-<target>, <name>-dashboard-<uid>); default: the project",
    )
    alertmanager: ObjectName | None = Field(
        default=None,
        description="the name of the Alertmanager resource: its configuration is the Secret alertmanager-<alertmanager>; "
        "default: the name",
    )
    labels: KubeLabels = Field(
        default_factory=dict,
        description="labels on every manifest: what the Prometheus resource's ruleSelector and scrapeConfigSelector match",
    )
    dashboard_labels: KubeLabels = Field(
        default_factory=lambda: {"grafana_dashboard": "1"},
        description="labels the Grafana dashboard sidecar looks for on ConfigMaps (added to `labels`)",
    )


class RulerOutput(StrictModel):
    """Rule files in a ruler's namespace format (Cortex, Mimir: `namespace:` and `groups:`),
    one file per namespace under ruler/, for `mimirtool rules sync` or `cortextool rules sync`."""

    namespace: RulerNamespace | None = Field(
        default=None, description="the namespace of groups that do not name their own in rule_groups; default: the project"
    )


class Outputs(StrictModel):
    operator: OperatorOutput | None = Field(default=None, description="Prometheus Operator manifests (operator/)")
    ruler: RulerOutput | None = Field(default=None, description="a ruler's namespace rule files (ruler/)")
