"""Regular expressions as Go's `regexp` reads them (RE2 syntax), through the RE2 library.

Prometheus and Alertmanager compile a matcher's value as `^(?:value)$`, so `=~` is a
full match and `a|b` means `^(?:a|b)$`; Python's `re` is a different dialect (it refuses
`(?i)` inside a group, accepts backreferences and lookarounds), so anything sfmon
evaluates as they would goes through here: matchers (`compile(...).fullmatch`), the
template functions `match` (`matches`, unanchored as `regexp.MatchString`) and
`reReplaceAll` (`replace_all`, with Go's `$1`/`${name}` expansion and its rule for empty
matches). `dot_nl`: Prometheus 3 lets `.` match a newline in PromQL selectors;
Prometheus 2.x and Alertmanager do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import re2

_OPTIONS: dict[bool, "re2.Options"] = {}


class RegexError(ValueError):
    """A pattern RE2 (and so Go) refuses; the message is RE2's reason."""


def _options(dot_nl: bool) -> "re2.Options":
    if dot_nl not in _OPTIONS:
        o = re2.Options()
        o.log_errors = False  # RE2 writes refused patterns to stderr otherwise
        o.dot_nl = dot_nl
        _OPTIONS[dot_nl] = o
    return _OPTIONS[dot_nl]


def _go_only(pattern: str) -> str | None:
    """What C++ RE2 takes and Go's regexp refuses: `\\C` (any byte), and `(?<name>...)`,
    which Go accepts only since 1.22 (Debian's promtool 2.42 and amtool 0.25 refuse it)."""
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if pattern[i + 1 : i + 2] == "C":
                return "invalid escape sequence: \\C"
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            i += 2 if pattern[i + 1 : i + 2] == "]" else 3 if pattern[i + 1 : i + 3] == "^]" else 1
            continue  # a `]` right after `[` or `[^` is a literal
        elif pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            return "invalid named group (?<name>...): write (?P<name>...), which every Go version reads"
        i += 1
    return None


def _compile(pattern: str, dot_nl: bool, shown: str) -> "re2._Regexp":
    reason = _go_only(shown)
    if reason:
        raise RegexError(f"error parsing regexp `{shown}`: {reason}")
    try:
        return re2.compile(pattern, options=_options(dot_nl))
    except UnicodeEncodeError:
        raise RegexError(f"error parsing regexp `{_text(shown)}`: invalid UTF-8") from None
    except re2.error as exc:
        reason = exc.args[0] if exc.args else str(exc)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RegexError(f"error parsing regexp `{shown}`: {reason}") from None


@dataclass(frozen=True, eq=False)
class Regex:
    pattern: str
    dot_nl: bool
    _anchored: "re2._Regexp"

    def fullmatch(self, value: str) -> bool:
        """As a Prometheus/Alertmanager matcher: the whole value, `^(?:pattern)$`."""
        return self._anchored.search(_text(value)) is not None

    def search(self, value: str) -> bool:
        """Somewhere in the value, unanchored (Go's MatchString); RegexError if the
        pattern only compiles inside the anchors (`a)|(b`)."""
        return _plain(self.pattern, self.dot_nl).search(_text(value)) is not None

    def sub(self, repl: str, value: str) -> str:
        """Every non-overlapping match replaced by `repl` taken literally."""
        return _plain(self.pattern, self.dot_nl).sub(lambda _m: repl, _text(value))


def _text(value: str) -> str:
    """RE2 reads UTF-8: a lone surrogate (no Go string holds one) reads as U+FFFD, as Go
    reads an invalid byte."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)


@lru_cache(maxsize=4096)
def compile(pattern: str, dot_nl: bool = False) -> Regex:  # noqa: A001 - the module's one verb
    """A compiled matcher pattern (`^(?:pattern)$`, as upstream compiles it), or RegexError."""
    return Regex(pattern, dot_nl, _compile(f"^(?:{pattern})$", dot_nl, pattern))


@lru_cache(maxsize=1024)
def _plain(pattern: str, dot_nl: bool) -> "re2._Regexp":
    return _compile(pattern, dot_nl, pattern)


def check(pattern: str) -> str:
    """The pattern itself when RE2 accepts it (a pydantic validator), else RegexError."""
    compile(pattern)
    return pattern


def matches(pattern: str, text: str, anchored: bool) -> bool:
    """Whether `text` matches: whole (`^(?:pattern)$`, label matchers) or anywhere (`match`)."""
    rx = compile(pattern)
    return rx.fullmatch(text) if anchored else rx.search(text)


def replace_all(pattern: str, repl: str, text: str) -> str:
    """regexp.MustCompile(pattern).ReplaceAllString(text, repl)."""
    rx = _plain(pattern, False)
    text = _text(text)
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
    for _ in range(len(template) + 1):
        if i >= len(template):
            break
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
            while k < len(rest) and rest[k].isascii() and (rest[k].isalnum() or rest[k] == "_"):
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


def expand_match(pattern: str, template: str, text: str) -> str | None:
    """Relabelling's replace: `^(?:pattern)$` against `text`, then `template` expanded with
    its groups (Go's Regexp.ExpandString); None when the pattern does not match."""
    rx = compile(pattern)._anchored
    m = rx.search(_text(text))
    return None if m is None else _expand(template, m, rx)
