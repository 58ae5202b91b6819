"""Matchers only a newer Alertmanager reads: syntax the UTF-8 parser takes and the classic
one refuses (quoted or UTF-8 label names, `{"foo.bar"="x"}`) is read from 0.27 on (fallback
mode), in routes' and inhibit rules' `matchers:` lines and in maintenance windows' silences;
an older or unset `alertmanager.version` is refused at the line, naming the release (the
classic parser's own refusal is what 0.25 would say)."""

from __future__ import annotations

from typing import Any, Iterator

from sfmon.model.alertmanager import walk_routes
from sfmon.model.base import FieldError
from sfmon.semantics.matchers import UTF8_SINCE, Matcher, MatcherError, classic, classic_name, classic_one, parse, parse_one, reads_utf8, utf8_only
from sfmon.semantics.quoting import alertmanager_string


def _lines(routing: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    for at, route in walk_routes(routing.routes):
        for j, line in enumerate(route.matchers):
            yield (*at, "matchers", j), line
    for i, rule in enumerate(routing.inhibit):
        for side in ("source_matchers", "target_matchers"):
            for j, line in enumerate(getattr(rule, side)):
                yield ("routing", "inhibit", i, side, j), line


def _classic_form(ms: tuple[Matcher, ...] | list[Matcher]) -> str | None:
    """The same matchers in the syntax every release reads, when their names allow it."""
    if not all(classic_name(m.name) for m in ms):
        return None
    return ", ".join(f"{m.name}{m.op}{alertmanager_string(m.value)}" for m in ms)


def check(routing: Any, settings: Any, maintenance: Any = ()) -> None:
    """Raise FieldError (placed from the spec's root) at the first line the target cannot read."""
    if reads_utf8(settings.version):
        return
    for loc, line in _lines(routing):
        if not utf8_only(line):
            continue
        try:
            classic(line)
        except MatcherError as exc:
            raise _refusal(loc, str(exc), parse(line, fallback=True), "matcher line", settings) from None
    for i, window in enumerate(maintenance):
        for j, text in enumerate(window.matchers):
            try:
                classic_one(text)
            except MatcherError as exc:  # the field read it with the UTF-8 parser
                raise _refusal(("maintenance", i, "matchers", j), str(exc), (parse_one(text, fallback=True),), "matcher", settings) from None


def _refusal(loc: tuple[Any, ...], why: str, ms: tuple[Matcher, ...], what: str, settings: Any) -> FieldError:
    since = f"{UTF8_SINCE.major}.{UTF8_SINCE.minor}"
    target = (
        f"alertmanager.version {settings.version} reads matchers with the classic parser only ({why})"
        if settings.version
        else f"the spec does not say which release it targets, and 0.25's classic parser refuses it ({why})"
    )
    plain = _classic_form(ms)
    fix = f"set alertmanager.version to {since} or later, or write it as {plain}" if plain else (
        f"its label names need the UTF-8 parser: set alertmanager.version to {since} or later"
    )  # fmt: skip
    return FieldError(loc, f"only Alertmanager {since} and later read this {what}: {target}; {fix}")
