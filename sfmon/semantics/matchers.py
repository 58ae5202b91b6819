"""Label matchers (`=`, `!=`, `=~`, `!~`) with Prometheus/Alertmanager semantics: regexes
are RE2, anchored; a missing label matches as the empty string.

`parse` reads a matcher line as Alertmanager's classic parser does (pkg/labels
ParseMatchers, the one amtool 0.25 uses): an optional `{`/`}` pair trimmed once, matchers
split on commas outside double quotes, each value decoded with OpenMetrics escapes whether
or not it is quoted. `fallback=True` reads it as 0.27 and later do by default
(matcher/compat/parse.go, "fallback" mode): both parsers read the line; the classic reading
wins whenever the classic parser accepts it (also where the two disagree), the UTF-8
parser's (`semantics/utf8matchers`) when only it does, and the classic error when neither.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Mapping

from sfmon.semantics import regex
from sfmon.semantics.quoting import alertmanager_string
from sfmon.semantics.utf8matchers import UTF8MatcherError, parse_matcher, parse_matchers
from sfmon.semantics.versions import Version, parse_version

# The first release whose config and amtool read matchers in fallback mode.
UTF8_SINCE = Version(0, 27)


class MatcherError(ValueError):
    """A matcher line Alertmanager refuses; the message is Alertmanager's."""


def fullmatch(pattern: str, value: str) -> bool:
    """Anchored RE2 match; a pattern RE2 refuses matches nothing (the spec refuses it first)."""
    try:
        return regex.compile(pattern).fullmatch(value)
    except regex.RegexError:
        return False


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str  # = != =~ !~
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        v = labels.get(self.name, "")
        if self.op == "=":
            return v == self.value
        if self.op == "!=":
            return v != self.value
        hit = fullmatch(self.value, v)
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        return f"{self.name}{self.op}{json.dumps(self.value, ensure_ascii=False)}"


# `=~` before `=`, or `a=~b` would read as `a` = `~b`. The value is everything up to the
# trailing whitespace, newlines included. Go's `\s` is ASCII only.
_LINE = re.compile(r"[\t\n\f\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\f\r ]*(=~|=|!=|!~)[\t\n\f\r ]*(.*?)[\t\n\f\r ]*", re.S)
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
# Go's unicode.IsSpace (strings.TrimSpace), which Python's str.strip() is not quite.
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def reads_utf8(release: str | None) -> bool:
    """Whether `alertmanager.version` reads matchers in fallback mode (unset: no, it must
    hold on every supported release, 0.25 included)."""
    v = parse_version(release) if release else None
    return v is not None and v >= UTF8_SINCE


def classic_name(name: str) -> bool:
    """A label name the classic parser reads (and that needs no quotes)."""
    return _NAME.fullmatch(name) is not None


def written_name(name: str) -> str:
    """A label name as a matcher line writes it: bare when classic, else quoted (0.27+)."""
    return name if classic_name(name) else alertmanager_string(name)


def parse(text: str, *, fallback: bool = False) -> tuple[Matcher, ...]:
    """Every matcher on one line: `{a="1", b=~"x|y"}`, `a=1,b!=2`, `{}` (none)."""
    try:
        return classic(text)
    except MatcherError as exc:
        if not fallback:
            raise
        try:
            return tuple(Matcher(*m) for m in parse_matchers(text))
        except UTF8MatcherError:
            raise exc from None


def utf8_only(text: str) -> bool:
    """Whether only the UTF-8 parser reads the line (0.27 and later; 0.25 refuses it)."""
    try:
        classic(text)
        return False
    except MatcherError:
        parse(text, fallback=True)  # MatcherError when neither reads it
        return True


def classic(text: str) -> tuple[Matcher, ...]:
    """pkg/labels.ParseMatchers."""
    body = text[1:] if text.startswith("{") else text
    body = body[:-1] if body.endswith("}") else body
    parts, token, quoted, escaped = [], [], False, False
    for ch in body:
        if ch == "," and not quoted:
            parts.append("".join(token))
            token = []
            continue
        if ch == '"':
            if escaped:
                escaped = False
            else:
                quoted = not quoted
        elif ch == "\\":
            escaped = not escaped
        else:
            escaped = False
        token.append(ch)
    last = "".join(token).strip(_GO_SPACE)
    if last:  # a trailing comma (and blanks after it) ends the list
        parts.append(last)
    return tuple(classic_one(p) for p in parts)


def parse_one(text: str, *, fallback: bool = False) -> Matcher:
    """One matcher, `name op value`; the value may be double-quoted. `fallback`: as
    compat.FallbackMatcherParser (amtool's command-line matchers, 0.27 and later), which
    refuses a leading `{` or trailing `}` before either parser reads it."""
    if not fallback:
        return classic_one(text)
    if text.startswith("{") or text.endswith("}"):
        raise MatcherError(f"unexpected open or close brace: {text}")
    try:
        return classic_one(text)
    except MatcherError as exc:
        try:
            return Matcher(*parse_matcher(text))
        except UTF8MatcherError:
            raise exc from None


def classic_one(text: str) -> Matcher:
    """pkg/labels.ParseMatcher."""
    m = _LINE.fullmatch(text)
    if not m:
        raise MatcherError(f"bad matcher format: {text}")
    name, op, raw = m.groups()
    body, want_quote = (raw[1:], True) if raw.startswith('"') else (raw, False)
    out, escaped = [], False
    for i, ch in enumerate(body):
        if escaped:
            escaped = False
            out.append({"n": "\n", '"': '"', "\\": "\\"}.get(ch, "\\" + ch))
        elif ch == "\\":
            if i < len(body) - 1:
                escaped = True
            else:
                out.append(ch)  # a backslash at the very end is literal
        elif ch == '"':
            if not want_quote or i < len(body) - 1:
                raise MatcherError(f"matcher value contains unescaped double quote: {raw}")
            want_quote = False
        else:
            out.append(ch)
    if want_quote:
        raise MatcherError(f"matcher value contains unescaped double quote: {raw}")
    value = "".join(out)
    if op in ("=~", "!~"):
        try:
            regex.compile(value)
        except regex.RegexError as exc:
            raise MatcherError(str(exc)) from None
    return Matcher(name, op, value)
