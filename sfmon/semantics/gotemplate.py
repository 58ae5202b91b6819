"""Expands the small part of Prometheus' Go alert templates that rule tests need to predict.

promtool compares annotations exactly, so a generated test must know the text Prometheus
will produce. We support what alert annotations commonly use: `{{ $labels.name }}`,
`{{ $labels }}`, `{{ $value }}` and the humanize functions, piped or called. Anything else
raises Unsupported, and the caller leaves the case out rather than guess.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Callable, Mapping

_ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.S)
_LABEL = re.compile(r"^(?:\$labels|\.Labels)\.([a-zA-Z_][a-zA-Z0-9_]*)$")
_VALUE = ("$value", ".Value")
_LABELS = ("$labels", ".Labels")


class Unsupported(ValueError):
    """The template uses something sfmon does not evaluate."""


def go_float(v: float) -> str:
    """A float64 as Go's fmt %v prints it (strconv 'g', shortest, exponent from 1e+06 and below 1e-04)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v == 0:
        return "-0" if math.copysign(1, v) < 0 else "0"
    sign = "-" if v < 0 else ""
    d = Decimal(repr(abs(v))).normalize()  # repr: the shortest round-tripping digits, as Go
    _, digits, exp = d.as_tuple()
    x = len(digits) + int(exp) - 1  # decimal exponent of the first digit
    if x < -4 or x >= 6:
        mant = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
        return f"{sign}{mant}e{'-' if x < 0 else '+'}{abs(x):02d}"
    return sign + format(d, "f")


def _g4(v: float) -> str:
    # Go's %.4g and Python's agree: 4 significant digits, exponent form from 1e+04.
    return "%.4g" % v


def humanize(v: float) -> str:
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    if abs(v) >= 1:
        prefix = ""
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix, v = p, v / 1000
        return _g4(v) + prefix
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return _g4(v) + prefix


def humanize_1024(v: float) -> str:
    if abs(v) <= 1 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    prefix = ""
    for p in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(v) < 1024:
            break
        prefix, v = p, v / 1024
    return _g4(v) + prefix


def humanize_duration(v: float) -> str:
    if math.isnan(v) or math.isinf(v):
        return _g4(v)
    if v == 0:
        return _g4(v) + "s"
    if abs(v) >= 1:
        sign = "-" if v < 0 else ""
        v = abs(v)
        d = int(v)
        s, m, h, days = d % 60, (d // 60) % 60, (d // 3600) % 24, d // 86400
        if days:
            return f"{sign}{days}d {h}h {m}m {s}s"
        if h:
            return f"{sign}{h}h {m}m {s}s"
        if m:
            return f"{sign}{m}m {s}s"
        return f"{sign}{_g4(v)}s"
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return f"{_g4(v)}{prefix}s"


def humanize_percentage(v: float) -> str:
    return _g4(v * 100) + "%"


FUNCS: dict[str, Callable[[float], str]] = {
    "humanize": humanize,
    "humanize1024": humanize_1024,
    "humanizeDuration": humanize_duration,
    "humanizePercentage": humanize_percentage,
}


_USES_VALUE = re.compile(r"\$value(?![A-Za-z0-9_])|(?<![A-Za-z0-9_$])\.Value(?![A-Za-z0-9_])")


def uses_value(template: str) -> bool:
    """Whether an action reads the sample value ($value, .Value), not a label named so."""
    return any(_USES_VALUE.search(m.group(2)) for m in _ACTION.finditer(template))


def expand(template: str, labels: Mapping[str, str], value: float | None) -> str:
    """The text Prometheus makes of `template` for an alert with these labels and value.

    `value` None means unknown: a template that needs it raises Unsupported."""
    out: list[str] = []
    pos = 0
    for m in _ACTION.finditer(template):
        literal = template[pos : m.start()]
        if m.group(1):
            literal = literal.rstrip(" \t\r\n")
        out.append(literal)
        pos = m.end()
        out.append(_action(m.group(2).strip(), labels, value))
        if m.group(3):
            rest = template[pos:]
            pos += len(rest) - len(rest.lstrip(" \t\r\n"))
    tail = template[pos:]
    if "{{" in tail:
        raise Unsupported("unclosed {{ in template")
    out.append(tail)
    return "".join(out)


def _operand(text: str, labels: Mapping[str, str], value: float | None) -> float | str:
    if text in _VALUE:
        if value is None:
            raise Unsupported("the template uses $value")
        return value
    m = _LABEL.match(text)
    if m:
        # Prometheus runs alert templates with missingkey=zero: a missing label is "" (promtool agrees).
        return labels.get(m.group(1), "")
    if text in _LABELS:
        return "map[" + " ".join(f"{k}:{v}" for k, v in sorted(labels.items())) + "]"
    raise Unsupported(f"cannot evaluate {{{{ {text} }}}}")


def _action(body: str, labels: Mapping[str, str], value: float | None) -> str:
    if body.startswith("/*") and body.endswith("*/"):
        return ""
    parts = [p.strip() for p in body.split("|")]
    words = parts[0].split()
    if len(words) == 2 and words[0] in FUNCS:  # humanize $value
        parts = [words[1], words[0], *parts[1:]]
    elif len(words) != 1:
        raise Unsupported(f"cannot evaluate {{{{ {body} }}}}")
    result = _operand(parts[0], labels, value)
    for fn in parts[1:]:
        if fn not in FUNCS:
            raise Unsupported(f"cannot evaluate the function {fn!r}")
        result = FUNCS[fn](_as_float(result))
    return go_float(result) if isinstance(result, float) else result


def _as_float(x: float | str) -> float:
    if isinstance(x, float):
        return x
    try:
        return float(x)
    except ValueError:
        raise Unsupported(f"cannot convert {x!r} to a number") from None


# An action as Go's text/template lexes it: quoted strings may hold "}}".
_WHOLE_ACTION = re.compile(r"""\{\{(?:"(?:[^"\\\n]|\\.)*"|`[^`]*`|'(?:[^'\\\n]|\\.)*'|[^"`'}]|\}(?!\}))*?\}\}""", re.S)
_VARIABLE = re.compile(r"(?<![\w.])\$([A-Za-z_]\w*)?")
_DECLARED = re.compile(r"\$([A-Za-z_]\w*)\s*(?:,\s*\$([A-Za-z_]\w*)\s*)?:?=")  # $x := ..., range $i, $x := ...
# Variables Prometheus defines for alert templates (rules/alerting.go).
_PROMETHEUS_VARS = {"labels", "value", "externalLabels", "externalURL", ""}


def syntax_error(template: str) -> str | None:
    """Why Go's text/template (as Prometheus runs alert labels and annotations) refuses the
    text at parse time, for the mistakes a spec can make: an unclosed action, an empty one,
    an undefined variable. None when those are absent (promtool remains the referee)."""
    rest = _WHOLE_ACTION.sub("\0", template)
    if "{{" in rest:
        return "unclosed action: a '{{' without its '}}' (write a literal '{{' as {{ \"{{\" }})"
    declared = {name for pair in _DECLARED.findall(template) for name in pair if name}
    for m in _WHOLE_ACTION.finditer(template):
        body = m.group(0)[2:-2].strip("- \t\r\n") if len(m.group(0)) > 4 else ""
        if not body:
            return "empty action '{{ }}': missing value for command"
        if body.startswith("/*"):
            continue
        code = re.sub(r""""(?:[^"\\]|\\.)*"|`[^`]*`|'(?:[^'\\]|\\.)*'""", '""', body)
        for v in _VARIABLE.finditer(code):
            if (v.group(1) or "") not in _PROMETHEUS_VARS | declared:
                return f"undefined variable ${v.group(1)} in {m.group(0)!r}: Prometheus defines $labels, $value, $externalLabels and $externalURL"
    return None
