"""Go's text/template as Prometheus (2.42, or a 3.x release) runs alert templates: the parsed tree
(sfmon.semantics.goparse) evaluated.

promtool compares annotations exactly, so a generated test must know the text Prometheus
will produce. `expand` evaluates a template for one alert: actions, pipelines,
if/else/with/range, variables, define/template, Go's builtins and Prometheus' functions
(sfmon.semantics.promfuncs). What it cannot predict raises Unsupported (NeedsServer for
what depends on the running server: `query`, `externalURL`); the caller leaves that case
out rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from sfmon.semantics.gofmt import GoDuration, GoMap, Unformattable, go_float, sprint_value
from sfmon.semantics.goparse import (
    ExecError,
    NeedsServer,
    Node,
    Pipe,
    Cmd,
    Template,
    TemplateError,
    Tok,
    Unsupported,
    check,
    parse,
)

__all__ = [
    "Unsupported", "NeedsServer", "TemplateError", "ExecError", "parse", "check", "expand", "execute",
    "uses_value", "reads_external_labels", "go_float", "truth",
]  # fmt: skip


# --- evaluation ------------------------------------------------------------------------


class _Missing:
    pass


class Struct(dict):  # type: ignore[type-arg]
    """A Go struct (the alert's template data): a field it lacks is an error, not a zero."""


@dataclass
class _Break(Exception):
    kind: str


def execute(
    text: str, data: Any, variables: Mapping[str, Any] | None = None, release: tuple[int, int] | None = None, now: float | None = None
) -> str:
    """Run the template on `data` (dot) with the given predeclared variables, with the
    functions of Prometheus `release` (MAJOR, MINOR; None: 2.42); `now`: the evaluation time
    in seconds, what 3.6's `now` returns (None: unknown, a template calling it is Unsupported)."""
    variables = dict(variables or {})
    tmpl = parse(text, None, tuple(variables))
    try:
        return _Exec(tmpl, data, release, now).run(tmpl.root, data, [{"$": data, **variables}])
    except RecursionError:
        raise Unsupported("the template nests too deeply for sfmon") from None


_UNKNOWN = object()
_UNKNOWN_EXTERNAL = object()


def expand(
    template: str,
    labels: Mapping[str, str],
    value: float | None,
    external_labels: Mapping[str, str] | None = None,
    release: tuple[int, int] | None = None,
    now: float | None = None,
) -> str:
    """The text Prometheus `release` (None: 2.42) makes of `template` for an alert with these
    labels and value, evaluated at `now` (seconds; None: unknown).

    `value` None means unknown: a template that needs it raises Unsupported; so does one that
    fails at run time (Prometheus writes its error text instead). `external_labels` None: not
    known here, a template that reads them raises Unsupported."""
    if "{{" not in template:
        return template  # no action: the text is the output (most summaries; thousands per spec)
    ext: Any = _UNKNOWN_EXTERNAL if external_labels is None else GoMap(external_labels)
    data = Struct(Labels=GoMap(labels), ExternalLabels=ext, ExternalURL=_SERVER_URL, Value=_UNKNOWN if value is None else value)
    variables = {"$labels": data["Labels"], "$externalLabels": ext, "$externalURL": _SERVER_URL, "$value": data["Value"]}
    try:
        return execute(template, data, variables, release, now)
    except TemplateError as exc:
        raise Unsupported(f"template error: {exc}") from None
    except ExecError as exc:
        raise Unsupported(f"the template fails when Prometheus runs it ({exc})") from None
    except Unformattable as exc:
        raise Unsupported(str(exc)) from None


class _ServerURL:
    pass


_SERVER_URL = _ServerURL()


def _resolve(v: Any) -> Any:
    if v is _UNKNOWN:
        raise Unsupported("the template uses $value")
    if v is _UNKNOWN_EXTERNAL:
        raise Unsupported("the template reads the external labels, not known where it is expanded")
    if v is _SERVER_URL:
        raise NeedsServer("$externalURL is the URL Prometheus runs with (--web.external-url)")
    return v


def truth(v: Any) -> bool:
    v = _resolve(v)
    if v is None or v is False:
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v != 0
    if isinstance(v, (str, dict, list)):
        return len(v) > 0
    return True


class _Exec:
    def __init__(self, tmpl: Template, root: Any, release: tuple[int, int] | None = None, now: float | None = None) -> None:
        from sfmon.semantics.promfuncs import functions

        self.tmpl = tmpl
        self.root = root
        self.funcs: dict[str, Callable[..., Any]] = functions(release, now)
        self.depth = 0

    def run(self, nodes: list[Node], dot: Any, scopes: list[dict[str, Any]]) -> str:
        out: list[str] = []
        for node in nodes:
            out.append(self.node(node, dot, scopes))
        return "".join(out)

    def node(self, node: Node, dot: Any, scopes: list[dict[str, Any]]) -> str:
        if node.kind == "text":
            return node.text
        if node.kind == "action":
            assert node.pipe
            v = self.pipe(node.pipe, dot, scopes)
            return "" if node.pipe.decl else _print(v)
        if node.kind in ("if", "with"):
            assert node.pipe
            inner = [*scopes, {}]
            v = self.pipe(node.pipe, dot, inner)
            if truth(v):
                return self.run(node.body, v if node.kind == "with" else dot, inner)
            return self.run(node.else_body or [], dot, inner)
        if node.kind == "range":
            return self.range(node, dot, scopes)
        if node.kind == "template":
            body = self.tmpl.defines.get(node.name)
            if body is None:
                raise ExecError(f'no such template "{node.name}"')
            self.depth += 1
            if self.depth > 100:
                raise ExecError("exceeded maximum template depth (100000)")
            v = self.pipe(node.pipe, dot, scopes) if node.pipe else None
            try:
                return self.run(body, v, [{"$": v}])
            finally:
                self.depth -= 1
        if node.kind in ("break", "continue"):
            raise _Break(node.kind)
        raise Unsupported(node.kind)  # pragma: no cover

    def range(self, node: Node, dot: Any, scopes: list[dict[str, Any]]) -> str:
        assert node.pipe
        inner = [*scopes, {}]
        decl = node.pipe.decl
        saved = node.pipe.decl
        node.pipe.decl = []
        try:
            v = _resolve(self.pipe(node.pipe, dot, inner))
        finally:
            node.pipe.decl = saved
        if isinstance(v, dict):
            items = [(k, v[k]) for k in sorted(v)]
        elif isinstance(v, list):
            items = list(enumerate(v))
        elif v is None:
            items = []
        else:
            raise ExecError(f"range can't iterate over {sprint_value(v)}")
        if not items:
            return self.run(node.else_body or [], dot, inner)
        out: list[str] = []
        for k, x in items:
            frame = {}
            if len(decl) == 1:
                frame[decl[0]] = x
            elif len(decl) == 2:
                frame[decl[0]], frame[decl[1]] = k, x
            try:
                out.append(self.run(node.body, x, [*inner, frame]))
            except _Break as b:
                if b.kind == "break":
                    break
        return "".join(out)

    def pipe(self, pipe: Pipe, dot: Any, scopes: list[dict[str, Any]]) -> Any:
        v: Any = _Missing
        for cmd in pipe.cmds:
            v = self.command(cmd, dot, scopes, v)
        for name in pipe.decl:
            if pipe.assign:
                for s in reversed(scopes):
                    if name in s:
                        s[name] = v
                        break
            else:
                scopes[-1][name] = v
        return v

    def command(self, cmd: Cmd, dot: Any, scopes: list[dict[str, Any]], final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, Tok) and first.kind == "ident":
            fn = self.funcs.get(first.text)
            if fn is None:
                raise Unsupported(f"the function {first.text!r}")
            args = [self.arg(a, dot, scopes) for a in cmd.args[1:]]
            if final is not _Missing:
                args.append(final)
            if first.text in ("and", "or"):
                return fn(*args)  # they look at truth themselves
            return fn(*[_resolve(a) for a in args])
        if any(isinstance(a, tuple) for a in cmd.args[1:]) and len(cmd.args) > 2:
            raise Unsupported("a method call on a pipeline's result")
        if len(cmd.args) > 1 and not (len(cmd.args) == 2 and isinstance(cmd.args[1], tuple)):
            raise ExecError(f"can't give argument to non-function {_describe(first)}")
        if final is not _Missing:
            if len(cmd.args) == 2 and isinstance(cmd.args[1], tuple):
                # `x | (p).Name`: Go calls the method Name of p's value with x; a field is an error
                receiver = _resolve(self.arg(cmd.args[0], dot, scopes))
                if isinstance(receiver, GoDuration):
                    raise Unsupported("a method call with arguments on a *time.Duration")
            raise ExecError(f"can't give argument to non-function {_describe(first)}")
        return self.arg(cmd.args[0], dot, scopes) if len(cmd.args) == 1 else self.fieldof(cmd.args, dot, scopes)

    def fieldof(self, args: list[Any], dot: Any, scopes: list[dict[str, Any]]) -> Any:
        v = self.arg(args[0], dot, scopes)
        return _fields_of(v, args[1][1].value)

    def arg(self, a: Any, dot: Any, scopes: list[dict[str, Any]]) -> Any:
        if isinstance(a, Pipe):
            return self.pipe(a, dot, [*scopes, {}])
        if isinstance(a, tuple):  # ("fieldof", tok) after a paren: handled by the command
            raise Unsupported("a field of a parenthesized pipeline")
        tok: Tok = a
        if tok.kind in ("string", "number", "bool"):
            return tok.value
        if tok.kind == "nil":
            raise ExecError("nil is not a command")
        if tok.kind == "dot":
            return dot
        if tok.kind == "var":
            for s in reversed(scopes):
                if tok.text in s:
                    return _fields_of(s[tok.text], tok.value) if tok.value else s[tok.text]
            raise ExecError(f"undefined variable: {tok.text}")  # pragma: no cover - the parser refuses it
        if tok.kind == "field":
            return _fields_of(dot, tok.value)
        if tok.kind == "ident":
            fn = self.funcs.get(tok.text)
            if fn is None or tok.value:
                raise Unsupported(f"the function {tok.text!r}" + (" with a field" if tok.value else ""))
            return fn()
        raise Unsupported(f"operand {tok.text!r}")


def _fields_of(v: Any, chain: tuple[str, ...]) -> Any:
    for name in chain:
        v = _resolve(v)
        if isinstance(v, Struct):
            if name not in v:
                raise ExecError(f"can't evaluate field {name}")
            v = v[name]
        elif isinstance(v, GoMap):
            v = v.get(name, v.zero)
        elif v is None:
            v = None  # Go: a field of nil data is <no value>
        elif isinstance(v, GoDuration):  # Go looks a name up as a method first
            if name in ("Abs", "Round", "Truncate"):
                raise Unsupported(f"the Duration method {name}")
            try:
                v = v.method(name)
            except KeyError:
                raise ExecError(f"can't evaluate field {name} in type *time.Duration") from None
        else:
            raise ExecError(f"can't evaluate field {name} in type {type(v).__name__}")
    return v


def _describe(a: Any) -> str:
    return a.text if isinstance(a, Tok) else "(pipeline)"


def _print(v: Any) -> str:
    v = _resolve(v)
    if v is None:
        return "<no value>"
    if isinstance(v, Struct):
        raise Unsupported("printing the template's data as a whole")
    return sprint_value(v)


# --- what reads the value --------------------------------------------------------------

_USES_VALUE = re.compile(r"\$value(?![A-Za-z0-9_])|(?<![A-Za-z0-9_$])\.Value(?![A-Za-z0-9_])")
_ACTION = re.compile(r"\{\{(.*?)\}\}", re.S)


_READS_EXTERNAL = re.compile(r"\$externalLabels(?![A-Za-z0-9_])|\.ExternalLabels(?![A-Za-z0-9_])")


def reads_external_labels(template: str) -> bool:
    """Whether an action may read the external labels ($externalLabels, .ExternalLabels)."""
    return any(_READS_EXTERNAL.search(m.group(1)) for m in _ACTION.finditer(template))


def uses_value(template: str) -> bool:
    """Whether an action reads the sample value ($value, .Value), not a label named so."""
    return any(_USES_VALUE.search(m.group(1)) for m in _ACTION.finditer(template))
