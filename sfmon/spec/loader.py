"""Reads a spec file into a validated `Spec`, or raises `SpecError` with placed problems.

Fast path: rapidyaml (sfmon/fastyaml.py), else ruamel's C-backed safe loader. Only when
something is wrong do we re-read the text as parser events (see sourcemap.py) to give each
problem a line and column. Hostile input is bounded: size, nesting (checked before any
parser builds the document), alias expansion, and the number and length of messages.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sfmon.problems import Problem, Severity, SpecError, hint
from sfmon.spec.introspect import allowed_keys
from sfmon.spec.sourcemap import SourceMap, dotted

CHECK = "spec/load"
MAX_BYTES = 64 * 1024 * 1024  # a spec this large is a mistake, not an organisation
MAX_NODES = 2_000_000  # expanded size; stops alias bombs before pydantic walks them
MAX_ALIAS_GROWTH = 100_000  # nodes that aliases may add on top of what is written
MAX_DEPTH = 64  # no spec field nests deeper than ~27 (routes at their bound of 12 levels: two each)
MAX_FLOW_OPENERS = 1_000  # fewer '[' and '{' than this cannot nest deep enough to hurt a parser
MAX_PROBLEMS = 1_000  # spec problems reported per run; the rest are counted
MAX_MESSAGE = 500  # characters of one message (values are quoted in messages)


def _problem(file: str, line: int, col: int, message: str) -> Problem:
    return Problem(file, line, col, CHECK, Severity.ERROR, message)


def read_text(path: Path) -> str:
    file = str(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise SpecError([_problem(file, 0, 0, "is a directory, expected a YAML spec file")]) from None
    except OSError as exc:
        raise SpecError([_problem(file, 0, 0, f"cannot read spec: {exc.strerror or exc}")]) from None
    return decode(file, raw)


def decode(file: str, raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise SpecError([_problem(file, 1, 1, f"spec is {len(raw) // 2**20} MiB, over the {MAX_BYTES // 2**20} MiB limit")])
    if raw.startswith(b"\xef\xbb\xbf"):
        raise SpecError([_problem(file, 1, 1, "file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = "; it looks like UTF-16, save it as UTF-8" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise SpecError([_problem(file, line, col, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}){hint}")]) from None
    if not text.strip():
        raise SpecError([_problem(file, 1, 1, "spec is empty; expected a mapping with 'version: 1'")])
    _check_characters(file, text)
    return text


# Raw characters YAML readers disagree on: libyaml (and Go's YAML) read NEL, LS and PS as
# line breaks, folding them into a space; a BOM is only allowed as the first character.
_AMBIGUOUS = {"\x85": ("a raw NEL (U+0085)", "\\N"), "\u2028": ("a raw line separator (U+2028)", "\\L"),
              "\u2029": ("a raw paragraph separator (U+2029)", "\\P"), "\ufeff": ("a byte-order mark (U+FEFF)", "\\ufeff")}  # fmt: skip


def _check_characters(file: str, text: str) -> None:
    if text.isascii():
        return
    problems = []
    for ch, (what, escape) in _AMBIGUOUS.items():
        pos = text.find(ch)
        if pos >= 0:
            line, col = text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1
            problems.append(
                _problem(file, line, col, f"{what} in the file: YAML readers disagree on it; remove it, or write {escape} in a double-quoted string")
            )
    if problems:
        raise SpecError(sorted(problems))


def parse_yaml(file: str, text: str) -> Any:
    """Safe-load YAML; syntax errors, duplicate keys and bombs become problems."""
    _check_nesting(file, text)
    from sfmon.spec import fastyaml

    data = fastyaml.load(text)  # rapidyaml, typed as ruamel would; None leaves it to ruamel
    if data is not None:
        _check_size(file, data)
        return data
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    yaml = YAML(typ="safe")
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
        lines = text.splitlines()
        here = lines[line - 1] if 0 < line <= len(lines) else ""
        if "'\\t'" in what or "\t" in here[: max(col, 1)]:
            what += " (YAML forbids tabs for indentation; use spaces)"
        # Duplicate-key messages quote both values: never echo what may be a secret.
        what = re.sub(r' with value ".*?" \(original value: ".*?"\)', "", what, flags=re.S)
        raise SpecError([_problem(file, line, col, f"YAML syntax error: {_one_line(what)}")]) from None
    except ReaderError as exc:
        pos = exc.position if isinstance(exc.position, int) else 0
        line, col = text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise SpecError(
            [_problem(file, line, col, f"character U+{char:04X} is not allowed in YAML; write it as \\u{char:04x} in a double-quoted string")]
        ) from None
    except YAMLError as exc:
        raise SpecError([_problem(file, 1, 1, f"YAML error: {_one_line(str(exc))}")]) from None
    except RecursionError:
        raise SpecError([_problem(file, 1, 1, "YAML nests too deeply")]) from None
    _check_size(file, data)
    return data


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _check_size(file: str, data: Any) -> None:
    """Refuse documents whose aliases expand past MAX_NODES or that nest past MAX_DEPTH.

    Counts each shared node once per reference (as a consumer would see it) but walks it
    once, so a billion-laughs document is measured in microseconds.
    """
    sizes: dict[int, int] = {}
    open_: set[int] = set()  # collections being measured: meeting one again is a cycle
    written = 0  # nodes as written: each collection counted once, however often it is aliased

    def size(node: Any, depth: int) -> int:
        nonlocal written
        if depth > MAX_DEPTH:
            raise SpecError([_problem(file, 1, 1, f"spec nests deeper than {MAX_DEPTH} levels")])
        if not isinstance(node, (dict, list)):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise SpecError([_problem(file, 1, 1, "an alias refers to a collection that contains it (a cycle); refused")])
        open_.add(key)
        children = node.values() if isinstance(node, dict) else node
        total = 1
        written += 1
        for child in children:
            if isinstance(child, (dict, list)):
                total += size(child, depth + 1)
            else:
                total += 1
                written += 1
            if total > MAX_NODES:
                break
        sizes[key] = total
        open_.discard(key)
        return total

    expanded = size(data, 0)
    if expanded > MAX_NODES:
        raise SpecError(
            [_problem(file, 1, 1, f"spec expands to more than {MAX_NODES:,} nodes (YAML alias bomb?); refused")]
        )
    if expanded - written > MAX_ALIAS_GROWTH:
        raise SpecError(
            [
                _problem(
                    file, 1, 1,
                    f"aliases expand the spec from {written:,} to {expanded:,} nodes; at most "
                    f"{MAX_ALIAS_GROWTH:,} more than written are allowed (YAML alias bomb?); refused",
                )
            ]
        )


def _check_nesting(file: str, text: str) -> None:
    """Refuse deep flow nesting before a parser builds it.

    libyaml's scanner slows quadratically with flow depth and ruamel's C composer recurses
    once per level: 100,000 nested `[` took 75 s and then crashed the process (SIGSEGV).
    Only a text with many openers can nest that deep, so ordinary specs pay one count.
    """
    if text.count("[") + text.count("{") <= MAX_FLOW_OPENERS:
        return
    from sfmon.spec.nesting import too_deep

    where = too_deep(text, MAX_DEPTH)
    if where is not None:
        raise SpecError([_problem(file, where[0], where[1], f"spec nests deeper than {MAX_DEPTH} levels")])


def load_spec(path: Path | str) -> "Spec":  # noqa: F821
    path = Path(path)
    text = read_text(path)
    return parse_spec(str(path), text)


def parse_spec(file: str, text: str, data: Any = None, smap: SourceMap | None = None) -> "Spec":  # noqa: F821
    from pydantic import ValidationError

    from sfmon.model import Spec

    if data is None:
        data = parse_yaml(file, text)
    if data is None:
        raise SpecError([_problem(file, 1, 1, "spec has no content (only comments or null); expected a mapping with 'version: 1'")])
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__} scalar"
        raise SpecError([_problem(file, 1, 1, f"top level is {kind}; expected a mapping with 'version: 1'")])
    _check_strings(file, text, data, smap)
    from sfmon.semantics import names

    try:
        with names.targeting(data):
            return Spec.model_validate(data)
    except ValidationError as exc:
        smap = smap or SourceMap(file, text)
        errors = _without_shadowed(exc.errors(include_url=False))
        problems = sorted({_from_pydantic(smap, data, err) for err in errors[: MAX_PROBLEMS * 2]})
        if len(errors) > MAX_PROBLEMS:
            more = len(errors) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [
                _problem(file, 0, 0, f"{more:,} more problems not shown; fix the ones above and run again")
            ]
        raise SpecError(problems) from None


def _check_strings(file: str, text: str, data: Any, smap: SourceMap | None) -> None:
    """What the models cannot see: a NUL in any key or value (no service reads one, and a
    tool argument cannot hold one) and keys a merge key hides."""
    problems: list[Problem] = []
    if "\\x00" in repr(data):  # one C-level pass; the walk below only when a NUL may be there
        smap = smap or SourceMap(file, text)
        stack: list[tuple[tuple, Any]] = [((), data)]
        while stack and len(problems) < MAX_PROBLEMS:
            loc, node = stack.pop()
            items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
            for k, v in items:
                here = (*loc, k)
                if isinstance(k, str) and "\0" in k:
                    problems.append(_problem(*smap.where(here, key=True), f"{dotted(here, data)}: a key may not contain a NUL character (\\0)"))
                if isinstance(v, str) and "\0" in v:
                    problems.append(_problem(*smap.where(here), f"{dotted(here, data)}: may not contain a NUL character (\\0)"))
                elif isinstance(v, (dict, list)):
                    stack.append((here, v))
    if "<<" in text:
        from sfmon.spec.merges import hidden_duplicates

        for line, col, key in hidden_duplicates(text):
            problems.append(
                _problem(file, line, col, f"key {key!r} is given twice in this mapping (a merge key, <<, stops YAML refusing it; the last would win silently): say it once")
            )
    if problems:
        raise SpecError(sorted(set(problems)))


def _without_shadowed(errors: list[dict]) -> list[dict]:
    """Drop "X_file is missing" where the spec wrote an inline X: one message, the useful one."""
    inline = {tuple(e["loc"]) for e in errors if e["type"] == "extra_forbidden"}
    return [
        e
        for e in errors
        if not (
            e["type"] == "missing"
            and str(e["loc"][-1]).endswith("_file")
            and (*e["loc"][:-1], str(e["loc"][-1])[: -len("_file")]) in inline
        )
    ]


# pydantic's own messages that do not say what they got.
_SAY_GOT = {"literal_error", "int_parsing_size", "less_than", "less_than_equal", "greater_than", "greater_than_equal"}


def _from_pydantic(smap: SourceMap, data: Any, err: dict) -> Problem:
    loc = tuple(err["loc"])
    etype = err["type"]
    from sfmon.model.base import FieldError

    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        loc = (*loc, *cause.loc)
    on_key = bool(loc) and loc[-1] == "[key]"  # a bad mapping key: point at the key itself
    if on_key:
        loc = loc[:-1]
    field = dotted(loc, data)
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if etype == "extra_forbidden":
        file, line, col = smap.where(loc, key=True)
        msg = _unknown_key(loc, data)
    elif etype == "missing":
        file, line, col = smap.where(loc[:-1])
        msg = "required field is missing"
    elif etype == "union_tag_invalid":
        file, line, col = smap.where((*loc, "kind"))
        from sfmon.kinds import KINDS

        kinds = [k.model_fields["kind"].annotation.__args__[0] for k in KINDS]
        given = err.get("ctx", {}).get("tag", "")
        msg = f"unknown alert kind {given!r}; expected one of {', '.join(kinds)}" + hint(str(given), kinds)
        field = dotted((*loc, "kind"), data)
    elif etype == "union_tag_not_found":
        file, line, col = smap.where(loc)
        from sfmon.kinds import KINDS

        kinds = [k.model_fields["kind"].annotation.__args__[0] for k in KINDS]
        msg = f"required field 'kind' is missing; one of {', '.join(kinds)}"
        field = dotted((*loc, "kind"), data)
    else:
        file, line, col = smap.where(loc, key=on_key)
        if etype in ("model_type", "dict_type"):
            msg = "expected a mapping"
        if (etype.endswith("_type") or etype in _SAY_GOT) and "input" in err and not _secret_field(loc):
            given = err["input"]
            msg += ", got null (an empty value)" if given is None else f", got {type(given).__name__} {_short(given)}"
    return _problem(file, line, col, _clip(f"{field}: {msg}"))


def _secret_field(loc: tuple) -> bool:
    """A field that names where a secret lives; its value is never quoted back (it may be the secret)."""
    return any(isinstance(p, str) and p.endswith(("_file", "_env")) for p in loc[-1:])


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown_key(loc: tuple, data: Any) -> str:
    key = str(loc[-1])
    allowed = allowed_keys(loc[:-1], data)
    secret = f"{key}_file"
    if secret in allowed:
        env = f" or {key + '_env'!r} (an environment variable)" if f"{key}_env" in allowed else ""
        return (
            f"unknown key {key!r}: inline secrets are not allowed; use {secret!r} "
            f"(a path to a file holding the secret, e.g. /run/secrets/...){env}"
        )
    msg = f"unknown key {key!r}"
    if key == "tiers" and loc[0] == "alerts" and len(loc) <= 4:  # (alerts, i, [kind,] tiers)
        from sfmon.kinds import KINDS
        from sfmon.kinds.tiers import Tiered

        tiered = [k.model_fields["kind"].annotation.__args__[0] for k in KINDS if issubclass(k, Tiered)]
        return f"{msg}: this kind has no threshold to tier; tiers apply to {', '.join(tiered)}"
    return msg + (hint(key, sorted(allowed)) or (f"; allowed: {', '.join(sorted(allowed))}" if allowed else ""))
