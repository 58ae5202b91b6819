"""What an alert's templates need from `prometheus.version`: a template function that only a
later Prometheus defines (`now`, `toDuration`: 3.6; `urlQueryEscape`: 3.8; promfuncs.SINCE)
is refused at the field that names it, naming the release, when the spec targets an earlier
one or none (promtool of that release refuses the rule file: `function "now" not defined`)."""

from __future__ import annotations

from typing import Any, Iterator, Sequence

from sfmon.model.base import FieldError
from sfmon.semantics.goparse import function_names
from sfmon.semantics.promfuncs import SINCE
from sfmon.semantics.versions import parse_version

_TEXT = ("summary", "description", "runbook_url")
_MAPS = ("labels", "annotations")


def _templates(owner: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    for name in _TEXT:
        text = getattr(owner, name, None)
        if isinstance(text, str):
            yield (name,), text
    for name in _MAPS:
        for key, text in (getattr(owner, name, None) or {}).items():
            yield (name, key), text


def check(alerts: Sequence[Any], settings: Any) -> None:
    """Raise FieldError (placed from the spec's root) at the first template that names a
    function the targeted release lacks."""
    target = parse_version(settings.version) if settings.version else None
    release = (target.major, target.minor) if target is not None else None
    for i, alert in enumerate(alerts):
        places = [*_templates(alert), *(
            (("tiers", j, *loc), text) for j, tier in enumerate(getattr(alert, "tiers", None) or ()) for loc, text in _templates(tier)
        )]  # fmt: skip
        for loc, text in places:
            for name in sorted(function_names(text) & SINCE.keys()):
                since = SINCE[name]
                if release is not None and release >= since:
                    continue
                needs = f"the template function {name!r} exists from Prometheus {since[0]}.{since[1]} on"
                if release is None:
                    raise FieldError(("alerts", i, *loc), (
                        f"{needs}, and the spec does not say which release it targets (2.42's functions, then): "
                        f"set prometheus.version to {since[0]}.{since[1]} or later"
                    ))  # fmt: skip
                raise FieldError(("alerts", i, *loc), (
                    f"{needs}; prometheus.version {settings.version} does not define it (its promtool refuses the rule)"
                ))  # fmt: skip
