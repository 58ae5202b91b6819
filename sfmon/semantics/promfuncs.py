"""The functions of Prometheus 2.42's alert templates (template/template.go) and Go's
builtins, as sfmon.semantics.gotemplate calls them.

Each takes the evaluated arguments as Go values (sfmon.semantics.gofmt) and returns one;
a failure Go reports at run time raises ExecError; what needs the running server raises
NeedsServer. Go checks argument types: a number where a string is expected fails.
"""

from __future__ import annotations

import datetime
import html
import ipaddress
import math
import re
from functools import lru_cache
from typing import Any, Callable
from urllib.parse import quote_plus

from sfmon.semantics.gofmt import GoDuration, GoMap, Unformattable, go_float, parse_float, sprint, sprintf, sprint_value, sprintln, type_name
from sfmon.semantics.gotemplate import ExecError, NeedsServer, Unsupported, truth
from sfmon.semantics.regex import RegexError, matches, replace_all


def _str(v: Any, fn: str) -> str:
    if not isinstance(v, str):
        raise ExecError(f"wrong type for value in {fn}; expected string; got {_tname(v)}")
    return v


def _tname(v: Any) -> str:
    try:
        return type_name(v)
    except Unformattable:
        return type(v).__name__


def _arity(fn: str, args: tuple[Any, ...], n: int) -> None:
    if len(args) != n:
        raise ExecError(f"wrong number of args for {fn}: want {n} got {len(args)}")


def to_float(v: Any, fn: str) -> float:
    """convertToFloat: float64, a string (strconv.ParseFloat) or an integer."""
    if isinstance(v, bool):
        raise ExecError(f"error calling {fn}: can't convert bool to float")
    if isinstance(v, float):
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, str):
        return _parse_float(v, fn)
    raise ExecError(f"error calling {fn}: can't convert {_tname(v)} to float")


def _parse_float(s: str, fn: str) -> float:
    try:
        return parse_float(s)
    except ValueError as exc:
        raise ExecError(f'error calling {fn}: strconv.ParseFloat: parsing "{s}": {exc}') from None


def _g4(v: float) -> str:
    return sprintf("%.4g", [v])


def humanize(*args: Any) -> str:
    _arity("humanize", args, 1)
    v = to_float(args[0], "humanize")
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


def humanize_1024(*args: Any) -> str:
    _arity("humanize1024", args, 1)
    v = to_float(args[0], "humanize1024")
    if abs(v) <= 1 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    prefix = ""
    for p in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(v) < 1024:
            break
        prefix, v = p, v / 1024
    return _g4(v) + prefix


def humanize_duration(*args: Any) -> str:
    _arity("humanizeDuration", args, 1)
    v = to_float(args[0], "humanizeDuration")
    if math.isnan(v) or math.isinf(v):
        return _g4(v)
    if v == 0:
        return _g4(v) + "s"
    if abs(v) >= 1:
        sign = "-" if v < 0 else ""
        v = abs(v)
        d = _int64(v)
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


def _int64(v: float) -> int:
    if v >= 2**63:
        raise Unsupported("humanizeDuration of a value beyond int64 (Go's conversion is platform-defined)")
    return int(v)


def humanize_percentage(*args: Any) -> str:
    _arity("humanizePercentage", args, 1)
    return _g4(to_float(args[0], "humanizePercentage") * 100) + "%"


def _time(v: float, fn: str) -> datetime.datetime | None:
    """floatToTime: None for NaN/Inf; the instant truncated to milliseconds (model.Time)."""
    if math.isnan(v) or math.isinf(v):
        return None
    ns = v * 1e9
    if ns > 2.0**63 - 1 or ns < -(2.0**63):
        raise ExecError(f"error calling {fn}: {go_float(v)} cannot be represented as a nanoseconds timestamp since it overflows int64")
    nanos = int(ns) if ns < 2.0**63 else 2**63 - 1
    ms = int(nanos / 1_000_000)  # Go's integer division truncates toward zero
    try:
        return datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(milliseconds=ms)
    except OverflowError:
        raise Unsupported(f"{fn} of a time Python cannot represent") from None


def _go_time(t: datetime.datetime) -> str:
    # time.Time.String: "2006-01-02 15:04:05.999999999 -0700 MST" (fraction without trailing zeros)
    frac = f"{t.microsecond // 1000:03d}".rstrip("0")
    year = t.year
    return f"{year:04d}-{t:%m-%d %H:%M:%S}" + (f".{frac}" if frac else "") + " +0000 UTC"


def humanize_timestamp(*args: Any) -> str:
    _arity("humanizeTimestamp", args, 1)
    v = to_float(args[0], "humanizeTimestamp")
    t = _time(v, "humanizeTimestamp")
    return _g4(v) if t is None else _go_time(t)


def _title(*args: Any) -> str:
    """strings.Title: the first letter of each word upper-cased; letters, digits, `_` and
    non-space non-ASCII characters belong to words."""
    _arity("title", args, 1)
    s = _str(args[0], "title")
    out, prev = [], " "
    for ch in s:
        out.append(_upper1(ch) if _separator(prev) else ch)
        prev = ch
    return "".join(out)


def _title3(*args: Any) -> str:
    """Prometheus 3's `title`: x/text's cases.Title(language.AmericanEnglish, cases.NoLower).
    Words break at Unicode word-break boundaries; in each word the first *cased* letter is
    title-cased (`3yo` -> `3Yo`, where strings.Title left it), the rest kept. ASCII only:
    outside it the word-break property (not in Python's unicodedata) decides, so sfmon does
    not guess."""
    _arity("title", args, 1)
    s = _str(args[0], "title")
    if not s.isascii():
        raise Unsupported("title of non-ASCII text on Prometheus 3 (Unicode word breaks)")
    out, mid, was_mid = [], False, False
    for ch in s:
        is_mid = ch in ".:'"  # MidLetter, MidNumLet, Single_Quote: no break alone, two in a row break
        if was_mid and is_mid:
            mid = False
        if ch.isalpha():  # ASCII letters are the cased characters
            out.append(ch if mid else ch.upper())
            mid = True
        else:
            out.append(ch)
            if not (ch.isalnum() or ch == "_" or is_mid):  # Numeric and ExtendNumLet do not break
                mid = False
        was_mid = is_mid
    return "".join(out)


def _separator(ch: str) -> bool:
    if ch.isascii():
        return not (ch.isalnum() or ch == "_")
    if ch.isalpha() or ch.isdigit():
        return False
    return ch.isspace()


def _upper1(ch: str) -> str:
    # Go maps one rune to one rune (unicode.ToTitle); Python's 'ß'.upper() is 'SS'
    if ch.isascii():
        return ch.upper()
    t = ch.title()
    return t if len(t) == 1 else ch


def _case(fn: str, upper: bool) -> Callable[..., str]:
    def run(*args: Any) -> str:
        _arity(fn, args, 1)
        s = _str(args[0], fn)
        if s.isascii():
            return s.upper() if upper else s.lower()
        return "".join(c2 if len(c2 := (c.upper() if upper else c.lower())) == 1 else c for c in s)

    return run


def _re_replace_all(*args: Any) -> str:
    _arity("reReplaceAll", args, 3)
    pattern, repl, text = (_str(a, "reReplaceAll") for a in args)
    try:
        return replace_all(pattern, repl, text)
    except RegexError as exc:
        raise ExecError(f"error calling reReplaceAll: regexp: Compile({pattern!r}): {exc}") from None


def _match(*args: Any) -> bool:
    _arity("match", args, 2)
    pattern, text = (_str(a, "match") for a in args)
    try:
        return matches(pattern, text, anchored=False)
    except RegexError as exc:
        raise ExecError(f"error calling match: {exc}") from None


def split_host_port(hostport: str) -> tuple[str, str] | None:
    """net.SplitHostPort, or None where it fails."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or hostport[end + 1 : end + 2] != ":" or hostport.rfind(":") != end + 1:
            return None  # Go: the colon after "]" must be the last one
        host, port = hostport[1:end], hostport[end + 2 :]
        if "[" in hostport[1:] or "]" in hostport[end + 1 :]:
            return None
        return host, port
    i = hostport.rfind(":")
    if i < 0 or ":" in hostport[:i]:
        return None
    host, port = hostport[:i], hostport[i + 1 :]
    if "[" in host or "]" in host or "[" in port or "]" in port:
        return None
    return host, port


def _strip_port(*args: Any) -> str:
    _arity("stripPort", args, 1)
    s = _str(args[0], "stripPort")
    split = split_host_port(s)
    return s if split is None else split[0]


def _strip_domain(*args: Any, zones: bool = False) -> str:
    _arity("stripDomain", args, 1)
    s = _str(args[0], "stripDomain")
    split = split_host_port(s)
    host, port = split if split is not None else (s, "")
    # net.ParseIP (before 3.16) reads no IPv6 zone (`fe80::1%eth0`); netip.ParseAddr does.
    if zones or "%" not in host:
        try:
            ipaddress.ip_address(host)
            return s
        except ValueError:
            pass
    host = host.split(".")[0]
    if port:
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return host


def _args(*args: Any) -> GoMap:
    return GoMap({f"arg{i}": a for i, a in enumerate(args)}, zero=None, type_name="map[string]interface {}")


def _safe_html(*args: Any) -> str:
    _arity("safeHtml", args, 1)
    return _str(args[0], "safeHtml")  # html/template.HTML: a string to text/template


def _link(tab: int) -> Callable[..., str]:
    def run(*args: Any) -> str:
        fn = "graphLink" if tab == 0 else "tableLink"
        _arity(fn, args, 1)
        return f"/graph?g0.expr={quote_plus(_str(args[0], fn), safe='')}&g0.tab={tab}"

    return run


def _parse_duration(*args: Any, negative: bool = False) -> float:
    from sfmon.semantics.units import Duration

    _arity("parseDuration", args, 1)
    s = _str(args[0], "parseDuration")
    sign = -1 if negative and s.startswith("-") else 1  # 3.6+: model.ParseDurationAllowNegative
    try:
        return sign * Duration(s[1:] if sign < 0 else s).ms / 1000 + 0.0  # + 0.0: Go's -0 duration is 0
    except ValueError:
        raise Unsupported(f"parseDuration of {s!r}") from None


def _strip_domain_3_16(*args: Any) -> str:
    return _strip_domain(*args, zones=True)


def _parse_duration_3_6(*args: Any) -> float:
    return _parse_duration(*args, negative=True)


_MAX_NANOS = 2**63


def _to_duration(*args: Any) -> GoDuration:
    """3.6+: seconds as a *time.Duration, time.Duration(v * 1e9): the product truncated."""
    _arity("toDuration", args, 1)
    v = to_float(args[0], "toDuration") * 1e9
    if math.isnan(v) or not -_MAX_NANOS <= v < _MAX_NANOS:
        raise Unsupported("toDuration of a value past int64 nanoseconds (Go's conversion is machine-dependent there)")
    return GoDuration(int(v))


def _url_query_escape(*args: Any) -> str:
    """3.8+: url.QueryEscape: all but letters, digits and -_.~ percent-encoded, space as +."""
    _arity("urlQueryEscape", args, 1)
    return quote_plus(_str(args[0], "urlQueryEscape"), safe="")


def _now(*args: Any) -> float:
    raise Unsupported("`now` is the time of the rule evaluation, known only in a test at its eval_time")


def _server(what: str) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        raise NeedsServer(what)

    return run


def _unmodelled(fn: str) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        raise Unsupported(f"the function {fn!r}")

    return run


def _needs_query(fn: str) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        raise NeedsServer(f"{fn} works on the result of `query`, which needs a live Prometheus")

    return run


# --- Go's builtins ------------------------------------------------------------------------


def _and(*args: Any) -> Any:
    _at_least("and", args)
    for a in args:
        if not truth(a):
            return a
    return args[-1]


def _or(*args: Any) -> Any:
    _at_least("or", args)
    for a in args:
        if truth(a):
            return a
    return args[-1]


def _at_least(fn: str, args: tuple[Any, ...]) -> None:
    if not args:
        raise ExecError(f"wrong number of args for {fn}: want at least 1 got 0")


def _not(*args: Any) -> bool:
    _arity("not", args, 1)
    return not truth(args[0])


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    raise Unsupported(f"comparing a {_tname(v)}")


def _cmp(name: str, op: Callable[[Any, Any], bool], ordered: bool) -> Callable[..., bool]:
    def run(*args: Any) -> bool:
        if len(args) < 2:
            raise ExecError(f"wrong number of args for {name}: want at least 2 got {len(args)}")
        if name != "eq":
            _arity(name, args, 2)
        a = args[0]
        for b in args[1:]:
            ka, kb = _kind(a), _kind(b)
            if ka != kb:
                raise ExecError(f"error calling {name}: incompatible types for comparison")
            if ordered and ka == "bool":
                raise ExecError(f"error calling {name}: invalid type for comparison")
            if op(a, b):
                return True
        return False

    return run


def _len(*args: Any) -> int:
    _arity("len", args, 1)
    v = args[0]
    if isinstance(v, str):
        return len(v.encode())
    if isinstance(v, (dict, list)):
        return len(v)
    raise ExecError(f"error calling len: len of type {_tname(v)}")


def _index(*args: Any) -> Any:
    if not args:
        raise ExecError("wrong number of args for index: want at least 1 got 0")
    v = args[0]
    for k in args[1:]:
        if isinstance(v, GoMap) and isinstance(k, str):
            v = v.get(k, v.zero)
        elif isinstance(v, list) and isinstance(k, int) and not isinstance(k, bool):
            if not 0 <= k < len(v):
                raise ExecError(f"error calling index: index out of range: {k}")
            v = v[k]
        else:
            raise Unsupported(f"index of a {_tname(v)} by a {_tname(k)}")
    return v


def _printf(*args: Any) -> str:
    if not args:
        raise ExecError("wrong number of args for printf: want at least 1 got 0")
    return sprintf(_str(args[0], "printf"), list(args[1:]))


def _html(*args: Any) -> str:
    return html.escape(sprint(list(args)), quote=True).replace("&#x27;", "&#39;").replace("\x00", "\ufffd")


def _urlquery(*args: Any) -> str:
    return quote_plus(sprint(list(args)), safe="")


FUNCS: dict[str, Callable[..., Any]] = {
    # Prometheus 2.42, template/template.go
    "query": _server("`query` needs a live Prometheus"),
    "first": _needs_query("first"),
    "label": _needs_query("label"),
    "value": _needs_query("value"),
    "strvalue": _needs_query("strvalue"),
    "sortByLabel": _needs_query("sortByLabel"),
    "args": _args,
    "reReplaceAll": _re_replace_all,
    "safeHtml": _safe_html,
    "match": _match,
    "title": _title,  # Prometheus 2 (strings.Title); FUNCS_3 has 3.x's
    "toUpper": _case("toUpper", True),
    "toLower": _case("toLower", False),
    "graphLink": _link(0),
    "tableLink": _link(1),
    "stripPort": _strip_port,
    "stripDomain": _strip_domain,
    "humanize": humanize,
    "humanize1024": humanize_1024,
    "humanizeDuration": humanize_duration,
    "humanizePercentage": humanize_percentage,
    "humanizeTimestamp": humanize_timestamp,
    "toTime": _server("toTime returns a time.Time, whose methods sfmon does not model"),
    "pathPrefix": _server("pathPrefix is the path of the URL Prometheus runs with"),
    "externalURL": _server("externalURL is the URL Prometheus runs with (--web.external-url; promtool has none)"),
    "parseDuration": _parse_duration,
    # Go's text/template builtins
    "and": _and,
    "or": _or,
    "not": _not,
    "len": _len,
    "index": _index,
    "print": lambda *a: sprint(list(a)),
    "println": lambda *a: sprintln(list(a)),
    "printf": _printf,
    "eq": _cmp("eq", lambda a, b: a == b, False),
    "ne": _cmp("ne", lambda a, b: a != b, False),
    "lt": _cmp("lt", lambda a, b: a < b, True),
    "le": _cmp("le", lambda a, b: a <= b, True),
    "gt": _cmp("gt", lambda a, b: a > b, True),
    "ge": _cmp("ge", lambda a, b: a >= b, True),
    "html": _html,
    "urlquery": _urlquery,
    "js": _unmodelled("js"),
    "slice": _unmodelled("slice"),
    "call": _unmodelled("call"),
}

# Prometheus 3 (template/template.go on 3.x): `title` is x/text's title caser.
FUNCS_3: dict[str, Callable[..., Any]] = {**FUNCS, "title": _title3}

# What later 3.x releases add (template/template.go at each tag): since 3.6 `toDuration`,
# `now` (bound per evaluation: see functions()) and a negative `parseDuration`; since 3.8
# `urlQueryEscape`; since 3.16 `stripDomain` reads IPv6 zones.
_ADDED: tuple[tuple[tuple[int, int], dict[str, Callable[..., Any]]], ...] = (
    ((3, 6), {"toDuration": _to_duration, "now": _now, "parseDuration": _parse_duration_3_6}),
    ((3, 8), {"urlQueryEscape": _url_query_escape}),
    ((3, 16), {"stripDomain": _strip_domain_3_16}),
)
# The release a function first appears in (a template naming it is refused before that).
SINCE: dict[str, tuple[int, int]] = {n: since for since, fns in _ADDED for n in fns if n not in FUNCS}

# Every name some targeted release defines: what a template may name at all (the spec's
# release then decides, sfmon.model's template check).
NAMES = frozenset(FUNCS) | frozenset(SINCE)
__all__ = ["FUNCS", "NAMES", "SINCE", "functions", "humanize", "humanize_1024", "humanize_duration", "humanize_percentage", "humanize_timestamp", "sprint_value"]


@lru_cache(maxsize=64)
def _table(release: tuple[int, int] | None) -> dict[str, Callable[..., Any]]:
    if release is None or release < (3, 0):
        return FUNCS
    out = FUNCS_3
    for since, fns in _ADDED:
        if release >= since:
            out = {**out, **fns}
    return out


def functions(release: tuple[int, int] | None, now: float | None = None) -> dict[str, Callable[..., Any]]:
    """The functions of a Prometheus release, MAJOR.MINOR (None: 2.42's, sfmon's default);
    `now`: the evaluation time in seconds, what `now` returns (None: unknown)."""
    out = _table(release)
    if now is not None and "now" in out:
        seconds = float(now)  # float64(timestamp) / 1000.0
        out = {**out, "now": lambda *args: (_arity("now", args, 0), seconds)[1]}
    return out
