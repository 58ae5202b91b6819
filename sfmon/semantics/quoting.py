"""How every value reaches a YAML or JSON file: as one quoted scalar, whatever it holds.

Templates never quote by hand: the Jinja environment's `finalize` hook passes each `{{ }}`
value through `yaml_scalar` or `json_scalar`. A JSON string literal is also a YAML
double-quoted scalar, with two exceptions handled here: Go's YAML parser (promtool,
Prometheus, Alertmanager) rejects surrogate-pair escapes and treats some characters as
line breaks or non-printable, so those are written as YAML escapes instead.
"""

from __future__ import annotations

import json
import re
from json.encoder import encode_basestring  # what json.dumps(str, ensure_ascii=False) returns, minus a JSONEncoder per value
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sfmon.semantics.units import fmt_number


class Raw(str):
    """Text the render code built and vouches for (e.g. a validated bare key)."""


def _go_yaml_printable(ch: str) -> bool:
    # Mirrors yaml_emitter/yaml_reader is_printable in gopkg.in/yaml.v2 and v3.
    o = ord(ch)
    return o == 0x0A or 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF or (0xE000 <= o <= 0xFFFD and o != 0xFEFF) or o >= 0x10000


def _yaml_escape(ch: str) -> str:
    o = ord(ch)
    if o == 0x85:
        return "\\N"
    if o == 0x2028:
        return "\\L"
    if o == 0x2029:
        return "\\P"
    return f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}"


@lru_cache(maxsize=1)
def _unsafe_re() -> re.Pattern:
    # Any character _go_yaml_printable rejects, or a YAML line break. Compiled on first use:
    # the Unicode ranges cost ~20 ms, more than rendering a small spec.
    return re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


def _needs_escape(body: str) -> bool:
    """One C-level scan instead of a Python test per character (~10^5 values per big spec)."""
    if body.isascii():
        return "\x7f" in body  # the JSON encoding already escaped every other control character
    return _unsafe_re().search(body) is not None


def yaml_string(text: str) -> str:
    body = encode_basestring(text)
    if not _needs_escape(body):
        return body
    return "".join(c if _go_yaml_printable(c) and c not in "\x85\u2028\u2029" else _yaml_escape(c) for c in body)


class Expansion(str):
    """A `$` reference the render code means for a consumer that expands them
    (`${VAR:?...}` in Compose, `$__file{path}` in Grafana): quoted, but its `$` kept single."""


def dollars(value: Any) -> Any:
    """A value as a consumer that expands `$VAR` must receive it: every `$` doubled, except
    in an Expansion or text the render code vouches for (Raw)."""
    if isinstance(value, str) and not isinstance(value, (Raw, Expansion)) and "$" in value:
        return value.replace("$", "$$")
    return value


def _scalar(value: Any, string: Any) -> str:
    if type(value) is str:  # most values: one test instead of six (Raw and Expansion are subclasses)
        return string(value)
    if isinstance(value, Raw):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return fmt_number(value)
    if isinstance(value, float):
        return fmt_number(Decimal(repr(value)))
    if isinstance(value, str):
        return string(value)
    raise TypeError(f"cannot write a {type(value).__name__} into a template; convert it in the render code")


def yaml_scalar(value: Any) -> str:
    return _scalar(value, yaml_string)


def json_scalar(value: Any) -> str:
    return _scalar(value, encode_basestring)


def alertmanager_string(value: str) -> str:
    """A matcher value quoted the way Alertmanager reads it (pkg/labels.ParseMatcher): its
    only escapes are \\\\, \\" and \\n, so every other character is written as itself; JSON's
    \\t or \\u0007 would reach Alertmanager as a literal backslash and letters. The YAML
    scalar around the whole matcher then escapes what YAML needs."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def alertmanager_unquote(raw: str) -> str:
    """The value Alertmanager reads from a quoted matcher value (the inverse of the above;
    a backslash before any other character stays a backslash)."""
    body = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw
    out, escaped = [], False
    for i, ch in enumerate(body):
        if escaped:
            escaped = False
            out.append({"n": "\n", '"': '"', "\\": "\\"}.get(ch, "\\" + ch))
        elif ch == "\\" and i < len(body) - 1:
            escaped = True
        else:
            out.append(ch)
    return "".join(out)


def go_yaml_json(data: Any) -> str:
    """JSON that Go's YAML parser reads back exactly (promtool loads JSON files as YAML):
    UTF-8 rather than surrogate-pair escapes, and YAML escapes for the characters Go's
    parser refuses raw. Such characters only occur inside strings, so replacing them is safe."""
    text = json.dumps(data, ensure_ascii=False)
    if not _needs_escape(text):
        return text
    return "".join(c if _go_yaml_printable(c) and c not in "\x85\u2028\u2029" else _yaml_escape(c) for c in text)


_BLOCK_UNSAFE = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]| \n")


def yaml_block(text: str, indent: int) -> Raw:
    """A whole file as the value of a YAML mapping key: a literal block scalar (`|`, lines
    indented by `indent`), readable in review, when it reads back as exactly `text`; else the
    double-quoted scalar. A block reads back exactly when the text ends in one newline, its
    first line does not start with a space (the block's indentation is read from it), and it
    holds no tab, no trailing space and nothing Go's YAML parser finds unprintable or breaks
    lines at (NEL, LS, PS)."""
    ok = (
        text.endswith("\n") and not text.endswith("\n\n") and not text.startswith((" ", "\n"))
        and "\t" not in text and _BLOCK_UNSAFE.search(text) is None
    )  # fmt: skip
    if not ok:
        return Raw(yaml_string(text))
    pad = " " * indent
    return Raw("|\n" + "\n".join(pad + line if line else "" for line in text[:-1].split("\n")))
