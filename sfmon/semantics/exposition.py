"""What a scrape stores as the `le` of a classic histogram's buckets and the `quantile` of a
summary: Prometheus 3 normalises them, 2.x keeps the text the target exposed.

Prometheus 3's text and OpenMetrics parsers (model/textparse normalizeFloatsInLabelValues,
v3.0 through v3.16) read the value of `le` in a family typed `histogram`, and of `quantile`
in one typed `summary`, with strconv.ParseFloat and, when it parses, store it as
labels.FormatOpenMetricsFloat prints it: Go's shortest `%g`, with `.0` added when that has
neither `.` nor `e` (`1` -> `1.0`, `1e6` -> `1e+06`, `0.50` -> `0.5`). A value that does not
parse, another label, or a family of another type (or untyped) is kept as written. So on 3.x
`le="1"` selects nothing a scrape wrote (docs/migration.md, "le and quantile label values").
"""

from __future__ import annotations

import math

from sfmon.semantics.gofmt import go_float, parse_float

# The family type whose label Prometheus 3 normalises.
NORMALISED = {"le": "histogram", "quantile": "summary"}


def openmetrics_float(f: float) -> str:
    """labels.FormatOpenMetricsFloat: `%g` shortest, `.0` appended to a bare integer; -0 is 0.0."""
    if math.isnan(f):
        return "NaN"
    if f == 0:
        return "0.0"
    text = go_float(f)
    return text if "." in text or "e" in text or "Inf" in text else text + ".0"


def normalised(value: str) -> str | None:
    """What Prometheus 3 stores for an `le`/`quantile` value exposed as `value`; None when it is
    not a Go float (then it is stored as written)."""
    try:
        return openmetrics_float(parse_float(value))
    except ValueError:
        return None


def scraped(family_type: str, label: str, value: str, prometheus3: bool) -> str:
    """The label value a scrape stores, for a sample of a family of `family_type`."""
    if not prometheus3 or NORMALISED.get(label) != family_type:
        return value
    return normalised(value) or value


def never_scraped(label: str, value: str) -> str | None:
    """The form Prometheus 3 stores when `value` of `le`/`quantile` is a float written otherwise
    (so a matcher on it selects no scraped series); None when a scrape can store `value`."""
    if label not in NORMALISED:
        return None
    form = normalised(value)
    return form if form is not None and form != value else None
