"""Go's regular expressions (RE2 syntax) where sfmon evaluates a regex as Prometheus does.

Python's `re` is not Go's `regexp`: `(?i)` inside a group, `\\z`, possessive classes and
backreferences differ. google-re2 implements the syntax Go's regexp follows, so every
evaluation goes through here: `matches` (anchored as Prometheus anchors label matchers, or
unanchored as `regexp.MatchString`) and `replace_all` (`regexp.ReplaceAllString`, with Go's
`$1`/`${name}` expansion and its rule for empty matches).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2


class RegexError(ValueError):
    """A pattern Go's regexp refuses."""


@lru_cache(maxsize=1024)
def compile_go(pattern: str) -> Any:
    try:
        return re2.compile(pattern)
    except re2.error as exc:
        raise RegexError(f"invalid regex {pattern!r}: {exc}") from None


def matches(pattern: str, text: str, anchored: bool) -> bool:
    """Whether `text` matches: whole (`^(?:pattern)$`, label matchers) or anywhere (`match`)."""
    if anchored:
        return compile_go(f"^(?:{pattern})$").search(text) is not None
    return compile_go(pattern).search(text) is not None


def replace_all(pattern: str, repl: str, text: str) -> str:
    """regexp.MustCompile(pattern).ReplaceAllString(text, repl)."""
    rx = compile_go(pattern)
    out: list[str] = []
    last_end, search = 0, 0
    for _ in range(len(text) + 2):  # at least one character per step
        if search > len(text):
            break
        m = rx.search(text, search)
        if m is None:
            break
        start, end = m.span()
        out.append(text[last_end:start])
        # Go: no replacement for an empty match right after the previous match
        if end > last_end or start == 0:
            out.append(_expand(repl, m, rx))
        last_end = end
        search = search + 1 if search + 1 > end else end
    out.append(text[last_end:])
    return "".join(out)


def _expand(template: str, m: Any, rx: Any) -> str:
    """Go's Regexp.Expand: `$name` takes the longest run of letters, digits and `_`; `${name}`;
    `$$` is `$`; a group that does not exist or did not take part is empty."""
    out: list[str] = []
    i = 0
    names = rx.groupindex
    while i < len(template):
        j = template.find("$", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        rest = template[j + 1 :]
        if rest.startswith("$"):
            out.append("$")
            i = j + 2
            continue
        if rest.startswith("{"):
            close = rest.find("}")
            name = rest[1:close] if close > 0 else ""
            if close < 0 or not _is_name(name):
                out.append("$")
                i = j + 1
                continue
            i = j + 1 + close + 1
        else:
            k = 0
            while k < len(rest) and (rest[k].isascii() and (rest[k].isalnum() or rest[k] == "_")):
                k += 1
            name = rest[:k]
            if not name:
                out.append("$")
                i = j + 1
                continue
            i = j + 1 + k
        out.append(_group(m, name, names, rx.groups))
    return "".join(out)


def _is_name(name: str) -> bool:
    return bool(name) and all(c.isascii() and (c.isalnum() or c == "_") for c in name)


def _group(m: Any, name: str, names: Any, count: int) -> str:
    if name.isdigit():
        n = int(name)
        return (m.group(n) or "") if n <= count else ""
    if name in names:
        return m.group(name) or ""
    return ""
