"""Go's fmt as alert templates reach it: `printf`/`print` and how a value prints (`%v`).

Values are Go's as the template evaluator holds them: float (float64), int, str, bool,
None (nil), GoMap (a map, printed `map[k:v ...]` with sorted keys) and list (a slice).
Prometheus prints every sample value with these rules, so a generated test must too:
`+Inf`, `-Inf` and `NaN` for any float verb, never Python's `inf`/`nan`.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any, Sequence


class GoMap(dict):  # type: ignore[type-arg]
    """A Go map. `zero` is what a missing key yields: "" for map[string]string (alert labels),
    None (nil, `<no value>`) for map[string]interface{} (the `args` function)."""

    def __init__(self, items: Any = (), zero: Any = "", type_name: str = "map[string]string") -> None:
        super().__init__(items)
        self.zero = zero
        self.type_name = type_name


class GoDuration:
    """A *time.Duration (what Prometheus 3's `toDuration` returns): whole nanoseconds, printed
    and formatted with `%v`/`%s` by its String method; the methods without arguments read it."""

    type_name = "*time.Duration"

    def __init__(self, nanos: int) -> None:
        self.nanos = nanos

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoDuration) and other.nanos == self.nanos

    def __hash__(self) -> int:
        return hash(self.nanos)

    def __str__(self) -> str:
        return duration_string(self.nanos)

    def method(self, name: str) -> Any:
        """The result of calling method `name` (no arguments); KeyError when it is none of those."""
        d = self.nanos
        whole = {"Hours": 3_600_000_000_000, "Minutes": 60_000_000_000, "Seconds": 1_000_000_000}
        if name in whole:  # Go: the whole units, plus the remainder as a fraction
            unit = whole[name]
            q, r = _trunc_divmod(d, unit)
            return float(q) + float(r) / float(unit)
        per = {"Milliseconds": 1_000_000, "Microseconds": 1_000, "Nanoseconds": 1}
        if name in per:
            return _trunc_divmod(d, per[name])[0]
        if name == "String":
            return str(self)
        raise KeyError(name)


def _trunc_divmod(a: int, b: int) -> tuple[int, int]:
    """Go's integer division (towards zero) and remainder (the dividend's sign)."""
    q = abs(a) // b * (1 if a >= 0 else -1)
    return q, a - q * b


def duration_string(nanos: int) -> str:
    """time.Duration's String: `72h3m0.5s`, `1.5ms`, `100ns`, `0s`; µ is U+00B5."""
    if nanos == 0:
        return "0s"
    sign, u = ("-" if nanos < 0 else ""), abs(nanos)
    if u < 1_000_000_000:  # under a second: the largest unit below it, with a fraction
        for unit, name in ((1_000_000, "ms"), (1_000, "\u00b5s"), (1, "ns")):
            if u >= unit:
                return sign + _fraction(u, unit) + name
    secs, frac = divmod(u, 1_000_000_000)
    out = _fraction(secs * 1_000_000_000 % 60_000_000_000 + frac, 1_000_000_000) + "s"
    minutes = secs // 60
    if minutes:
        out = f"{minutes % 60}m" + out
        if minutes // 60:
            out = f"{minutes // 60}h" + out
    return sign + out


def _fraction(value: int, unit: int) -> str:
    """value/unit in decimal with the fraction's trailing zeros dropped (no point when none)."""
    whole, rest = divmod(value, unit)
    digits = len(str(unit)) - 1
    tail = str(rest).zfill(digits).rstrip("0") if digits else ""
    return f"{whole}.{tail}" if tail else str(whole)


class Unformattable(ValueError):
    """A value or verb whose Go formatting sfmon does not model."""


def type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (GoMap, GoDuration)):
        return v.type_name
    if v is None:
        return "<nil>"
    raise Unformattable(f"cannot format a {type(v).__name__}")


def go_float(v: float, verb: str = "g", prec: int | None = None) -> str:
    """strconv.FormatFloat(v, verb, prec, 64) with fmt's sign rules: `%v` is ('g', shortest)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if verb in "gG" and prec is None:
        return _shortest_g(v, upper=verb == "G")
    if prec is None:
        prec = 6
    if verb in "gG" and prec == 0:
        prec = 1
    return format(v, f".{prec}{verb}")  # Python's e/f/g with a precision round exactly, as strconv does


# strconv.ParseFloat's syntax: ASCII digits; an underscore only between two digits (a base
# prefix counts as one), as in Go literals.
_DIG = r"[0-9](?:_?[0-9])*"
_HEXDIG = r"[0-9a-fA-F](?:_?[0-9a-fA-F])*"
_DECIMAL = re.compile(rf"[+-]?(?:{_DIG}\.?(?:{_DIG})?|\.{_DIG})(?:[eE][+-]?{_DIG})?")
_HEX = re.compile(rf"[+-]?0[xX](?:_?{_HEXDIG}\.?(?:{_HEXDIG})?|\.{_HEXDIG})[pP][+-]?{_DIG}")
_SPECIAL = re.compile(r"[+-]?inf(?:inity)?|nan", re.I)  # Go takes no sign before NaN


def parse_float(s: str) -> float:
    """strconv.ParseFloat(s, 64): decimal and hex floats, Inf/Infinity/NaN in any case; a
    ValueError says Go's reason ("invalid syntax", "value out of range")."""
    if _DECIMAL.fullmatch(s) or _SPECIAL.fullmatch(s):
        v = float(s.replace("_", ""))
    elif _HEX.fullmatch(s):
        v = float.fromhex(s.replace("_", ""))
    else:
        raise ValueError("invalid syntax")
    if math.isinf(v) and not _SPECIAL.fullmatch(s):
        raise ValueError("value out of range")
    return v


def _shortest_g(v: float, upper: bool) -> str:
    # Go's %v: the shortest digits that round-trip; exponent form below 1e-04 and from 1e+06
    # (strconv decides with precision 6 when printing the shortest digits).
    if v == 0:
        return "-0" if math.copysign(1, v) < 0 else "0"
    sign = "-" if v < 0 else ""
    d = Decimal(repr(abs(v))).normalize()  # repr: the shortest round-tripping digits, as Go
    _, digits, exp = d.as_tuple()
    x = len(digits) + int(exp) - 1  # decimal exponent of the first digit
    if x < -4 or x >= 6:
        mant = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
        e = "E" if upper else "e"
        return f"{sign}{mant}{e}{'-' if x < 0 else '+'}{abs(x):02d}"
    return sign + format(d, "f")


def sprint_value(v: Any) -> str:
    """A value as `{{ . }}` and `%v` print it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, (int, str)):
        return str(v)
    if v is None:
        return "<nil>"
    if isinstance(v, GoMap):
        return "map[" + " ".join(f"{k}:{sprint_value(x)}" for k, x in sorted(v.items())) + "]"
    if isinstance(v, list):
        return "[" + " ".join(sprint_value(x) for x in v) + "]"
    if isinstance(v, GoDuration):
        return str(v)
    raise Unformattable(f"cannot print a {type(v).__name__}")


def sprint(args: Sequence[Any]) -> str:
    """fmt.Sprint: a space between operands when neither is a string."""
    out = ""
    for i, a in enumerate(args):
        if i and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out += " "
        out += sprint_value(a)
    return out


def sprintln(args: Sequence[Any]) -> str:
    return " ".join(sprint_value(a) for a in args) + "\n"


_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d*|\*))?(.?)", re.S)


def sprintf(fmt: str, args: Sequence[Any]) -> str:
    """fmt.Sprintf for the verbs rule sets use, with Go's error texts for a wrong or missing
    argument (`%!d(float64=1.5)`, `%!d(MISSING)`, `%!(EXTRA ...)`)."""
    out: list[str] = []
    pos, argi = 0, 0
    while True:
        i = fmt.find("%", pos)
        if i < 0:
            out.append(fmt[pos:])
            break
        out.append(fmt[pos:i])
        m = _VERB.match(fmt, i)
        assert m is not None
        flags, width, prec, verb = m.group(1), m.group(2), m.group(3), m.group(4)
        pos = m.end()
        if "*" in (width, prec) or fmt.startswith("[", i + 1):
            raise Unformattable("printf with * or an argument index")
        if verb == "":
            out.append("%!(NOVERB)")
            break
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[argi]
        argi += 1
        out.append(_one(verb, flags, int(width) if width else None, None if prec is None else int(prec or 0), arg))
    if argi < len(args):
        extra = ", ".join(f"{type_name(a)}={sprint_value(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _bad(verb: str, arg: Any, flags: str = "", width: int | None = None, prec: int | None = None) -> str:
    """Go's badVerb: the argument printed with %v under the same flags, width and precision
    (`printf "%.2f" "5.5"` gives `%!f(string=5.)`)."""
    if arg is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({type_name(arg)}={_one('v', flags, width, prec, arg)})"


def _one(verb: str, flags: str, width: int | None, prec: int | None, arg: Any) -> str:
    minus, plus, zero, space = "-" in flags, "+" in flags, "0" in flags, " " in flags
    if "#" in flags:
        raise Unformattable("printf's # flag")
    numeric = True
    if isinstance(arg, bool):
        if verb not in "tv":
            return _bad(verb, arg, flags, width, prec)
        body, numeric = sprint_value(arg), False
    elif isinstance(arg, int):
        if verb in "dv":
            body = str(abs(arg)) if prec is None else str(abs(arg)).zfill(prec)
        elif verb in "xXob":
            body = format(abs(arg), verb)
        elif verb == "c":
            return _pad(chr(arg), width, minus, False)
        else:
            return _bad(verb, arg, flags, width, prec)
        body = _signed(body, arg < 0, plus, space)
    elif isinstance(arg, float):
        if verb == "v":
            verb = "g"
        if verb not in "eEfFgG":
            return _bad(verb, arg, flags, width, prec) if verb in "sdtqc" else _unmodelled(verb)
        if math.isnan(arg) or math.isinf(arg):
            # fmt: NaN gets a sign only when asked for, +Inf always has one (a space with ' '
            # and no '+'); neither is zero-padded
            sign = "-" if arg < 0 else "+" if plus else " " if space else "" if math.isnan(arg) else "+"
            return _pad(sign + ("NaN" if math.isnan(arg) else "Inf"), width, minus, False)
        body = go_float(abs(arg), verb.lower() if verb == "F" else verb, prec)
        body = _signed(body, math.copysign(1, arg) < 0, plus, space)
    elif isinstance(arg, str):
        numeric = False
        if verb in "sv":
            body = arg if prec is None else arg[:prec]
        elif verb == "q":
            if plus:
                raise Unformattable("%+q")
            body = go_quote(arg if prec is None else arg[:prec])
        elif verb in "xX":
            raw = (arg if prec is None else arg[:prec]).encode()
            body = raw.hex() if verb == "x" else raw.hex().upper()
            if space:
                raise Unformattable("% x")
        else:
            return _bad(verb, arg, flags, width, prec)
    elif isinstance(arg, GoDuration):
        if verb not in "vsqxX":  # fmt prints the pointer itself: an address
            raise Unformattable(f"%{verb} of a *time.Duration")
        return _one(verb, flags, width, prec, str(arg))  # a Stringer: its String, formatted as text
    else:
        if verb != "v":
            return _bad(verb, arg, flags, width, prec)
        body, numeric = sprint_value(arg), False
    return _pad(body, width, minus, zero, numeric)


def _unmodelled(verb: str) -> str:
    raise Unformattable(f"%{verb} of a float")


def _signed(body: str, negative: bool, plus: bool, space: bool) -> str:
    return ("-" if negative else "+" if plus else " " if space else "") + body


def _pad(body: str, width: int | None, minus: bool, zero: bool, numeric: bool = False) -> str:
    if width is None or len(body) >= width:
        return body
    fill = width - len(body)
    if minus:
        return body + " " * fill
    if zero:
        if numeric and body[:1] in "+- ":
            return body[0] + "0" * fill + body[1:]
        return "0" * fill + body  # Go pads strings with zeros too
    return " " * fill + body


_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t", "\v": r"\v", "\\": r"\\", '"': r"\""}


def go_quote(s: str) -> str:
    """strconv.Quote: printable characters kept, the rest escaped as Go escapes them."""
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)
