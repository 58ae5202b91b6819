"""Go's text/template as Prometheus 2.42 runs alert templates: parsed, checked and evaluated.

promtool compares annotations exactly, so a generated test must know the text Prometheus
will produce. `parse` reads a template as Go's parser does (with the variables Prometheus
declares first: $labels, $externalLabels, $externalURL, $value) and raises TemplateError
where Go refuses it (unclosed action, unknown function, undefined variable, unbalanced
{{end}}): promtool refuses those rules, so sfmon refuses them at load. `expand` evaluates
it: actions, pipelines, if/else/with/range, variables, define/template, Go's builtins
and Prometheus' functions (sfmon.semantics.promfuncs). What it cannot predict raises
Unsupported (NeedsServer for what depends on the running server: `query`, `externalURL`);
the caller leaves that case out rather than guess.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Mapping

from sfmon.semantics.gofmt import GoMap, Unformattable, go_float, sprint_value

__all__ = ["Unsupported", "NeedsServer", "TemplateError", "ExecError", "parse", "check", "expand", "execute", "uses_value", "go_float"]


class Unsupported(ValueError):
    """The template uses something sfmon does not evaluate."""


class NeedsServer(Unsupported):
    """The template's text depends on the running Prometheus (a query, its URL)."""


class TemplateError(ValueError):
    """Go's template parser refuses the text (so promtool refuses the rule)."""


class ExecError(ValueError):
    """Executing the template fails in Go: Prometheus writes `<error expanding template: ...>`."""


# --- lexing ----------------------------------------------------------------------------

_SPACE = " \t\r\n"
KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"}
BUILTINS = {"and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne"}
# What Prometheus declares before every alert template (rules/alerting.go).
ALERT_VARIABLES = ("$labels", "$externalLabels", "$externalURL", "$value")

_NUMBER = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)(?:i)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELD = re.compile(r"\.[A-Za-z_][A-Za-z0-9_]*")
_VAR = re.compile(r"\$[A-Za-z0-9_]*")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_RAW = re.compile(r"`[^`]*`")
_CHAR = re.compile(r"'(?:[^'\\\n]|\\.[^']*)'")


@dataclass(frozen=True)
class Tok:
    kind: str  # string number char bool nil ident field var dot pipe lparen rparen decl assign comma
    text: str
    value: Any = None


def _lex_action(src: str, i: int) -> tuple[list[Tok], int, bool]:
    """Tokens of one action starting after `{{` (and its trim marker); returns the tokens, the
    index after `}}` and whether `-}}` trims the following space."""
    toks: list[Tok] = []
    n = len(src)
    parens = 0
    while True:
        if i >= n:
            raise TemplateError("unclosed action")
        ch = src[i]
        if src.startswith("}}", i):
            return toks, i + 2, False
        if ch in _SPACE:
            j = i
            while j < n and src[j] in _SPACE:
                j += 1
            if src.startswith("-}}", j):
                return toks, j + 3, True
            i = j
            continue
        if ch == "|":
            toks.append(Tok("pipe", ch))
            i += 1
        elif ch == "(":
            toks.append(Tok("lparen", ch))
            i += 1
            parens += 1
            if parens > 200:  # sfmon matches parentheses by scanning: deep nesting is quadratic
                raise Unsupported("more than 200 parentheses in one action")  # promtool decides
        elif ch == ")":
            toks.append(Tok("rparen", ch))
            chain, i = _fields(src, i + 1)
            if chain:
                toks.append(Tok("field", "." + ".".join(chain), chain))
        elif ch == ",":
            toks.append(Tok("comma", ch))
            i += 1
        elif src.startswith(":=", i):
            toks.append(Tok("decl", ":="))
            i += 2
        elif ch == "=":
            toks.append(Tok("assign", "="))
            i += 1
        elif ch == '"':
            m = _STRING.match(src, i)
            if not m:
                raise TemplateError("unterminated quoted string")
            toks.append(Tok("string", m.group(), _unquote(m.group()[1:-1])))
            i = m.end()
        elif ch == "`":
            m = _RAW.match(src, i)
            if not m:
                raise TemplateError("unterminated raw quoted string")
            toks.append(Tok("string", m.group(), m.group()[1:-1]))
            i = m.end()
        elif ch == "'":
            m = _CHAR.match(src, i)
            if not m:
                raise TemplateError("unterminated character constant")
            text = _unquote(m.group()[1:-1])
            if len(text) != 1:
                raise TemplateError(f"malformed character constant: {m.group()}")
            toks.append(Tok("number", m.group(), ord(text)))
            i = m.end()
        elif ch == "$":
            m = _VAR.match(src, i)
            assert m
            chain, i = _fields(src, m.end())
            toks.append(Tok("var", m.group(), chain))
        elif ch == "." and not (i + 1 < n and src[i + 1].isdigit()):
            chain, j = _fields(src, i)
            if chain:
                toks.append(Tok("field", src[i:j], chain))
                i = j
            else:
                toks.append(Tok("dot", "."))
                i += 1
        elif ch.isdigit() or ch in "+-." :
            m = _NUMBER.match(src, i)
            if not m or not m.group():
                raise TemplateError(f"bad number syntax: {src[i:i + 10]!r}")
            toks.append(Tok("number", m.group(), _number(m.group())))
            i = m.end()
        elif ch.isalpha() or ch == "_":
            m = _IDENT.match(src, i)
            if not m:  # a non-ASCII letter: Go accepts it in identifiers, sfmon does not model it
                raise Unsupported(f"identifier starting with {ch!r}")
            word = m.group()
            chain, i = _fields(src, m.end())
            if word in ("true", "false"):
                toks.append(Tok("bool", word, word == "true"))  # (a field of a bool fails when run)
            elif word == "nil":
                toks.append(Tok("nil", word))
            else:
                toks.append(Tok("ident", word, chain))
        else:
            raise TemplateError(f"unrecognized character in action: U+{ord(ch):04X}")


def _fields(src: str, i: int) -> tuple[tuple[str, ...], int]:
    """A field chain right after an operand: `$labels.job`, `.Labels.job`, `(x).Format`."""
    chain = []
    for _ in range(len(src)):
        m = _FIELD.match(src, i)
        if not m:
            break
        chain.append(m.group()[1:])
        i = m.end()
    return tuple(chain), i


def _number(text: str) -> Any:
    t = text.replace("_", "")
    if t.endswith("i"):
        raise Unsupported("complex numbers")
    try:
        if re.fullmatch(r"[+-]?0[xX][0-9a-fA-F]+", t):
            return int(t, 16)
        if re.fullmatch(r"[+-]?0[bB][01]+", t):
            return int(t, 2)
        if re.fullmatch(r"[+-]?0[oO][0-7]+", t):
            return int(t, 8)
        if re.fullmatch(r"[+-]?\d+", t):
            if len(t.lstrip("+-")) > 1 and t.lstrip("+-").startswith("0"):
                return int(t, 8)  # Go: a leading 0 is octal
            return int(t)
        return float(t)  # has . or e: Go makes it a float64 where the parameter is interface{}
    except ValueError:
        raise TemplateError(f"bad number syntax: {text!r}") from None


_GO_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"', "'": "'"}


def _unquote(body: str) -> str:
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1] if i + 1 < len(body) else ""
        if e in _GO_ESCAPES:
            out.append(_GO_ESCAPES[e])
            i += 2
        elif e in "xuU":
            size = {"x": 2, "u": 4, "U": 8}[e]
            digits = body[i + 2 : i + 2 + size]
            if len(digits) != size or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise TemplateError("invalid syntax in quoted string")
            if e == "x":
                raise Unsupported("\\x byte escapes")
            out.append(chr(int(digits, 16)))
            i += 2 + size
        elif e.isdigit():
            raise Unsupported("octal escapes")
        else:
            raise TemplateError("invalid syntax in quoted string")
    return "".join(out)


# --- parsing ---------------------------------------------------------------------------


@dataclass
class Cmd:
    args: list[Any]  # Tok or Pipe


@dataclass
class Pipe:
    decl: list[str]
    assign: bool
    cmds: list[Cmd]


@dataclass
class Node:
    kind: str  # text action if with range template break continue
    text: str = ""
    pipe: Pipe | None = None
    body: list["Node"] = field(default_factory=list)
    else_body: list["Node"] | None = None
    name: str = ""


@dataclass
class Template:
    root: list[Node]
    defines: dict[str, list[Node]]


_TRIM_LEFT = re.compile(r"\{\{- ")  # `{{-3}}` is the number -3, not a trim marker


def _tokens(src: str) -> list[Any]:
    """Text and action items: ("text", s) or ("action", [Tok])."""
    items: list[Any] = []
    pos = 0
    trim_next = False
    for _ in range(len(src) + 1):
        j = src.find("{{", pos)
        text = src[pos:] if j < 0 else src[pos:j]
        if trim_next:
            text = text.lstrip(_SPACE)
        if j < 0:
            items.append(("text", text))
            break
        i = j + 2
        if src.startswith("-", i) and i + 1 < len(src) and src[i + 1] in _SPACE:
            text = text.rstrip(_SPACE)
            i += 2
        items.append(("text", text))
        if src.startswith("/*", i):  # Go: a comment only right after the delimiter (and trim marker)
            end = src.find("*/", i)
            if end < 0:
                raise TemplateError("unclosed comment")
            after = end + 2
            if src.startswith("}}", after):
                pos, trim_next = after + 2, False
            elif src.startswith(" -}}", after):
                pos, trim_next = after + 4, True
            else:
                raise TemplateError("comment ends before closing delimiter")
            continue
        toks, pos, trim_next = _lex_action(src, i)
        items.append(("action", toks))
    return items


@lru_cache(maxsize=4096)
def parse(text: str, funcs: frozenset[str] | None = None, variables: tuple[str, ...] = ALERT_VARIABLES) -> Template:
    """Go's parse of an alert template, or TemplateError with Go's reason."""
    from sfmon.semantics.promfuncs import NAMES

    known = (funcs if funcs is not None else NAMES) | BUILTINS
    try:
        return _Parser(_tokens(text), known, list(variables)).template()
    except RecursionError:  # nesting deeper than Python's stack: promtool decides
        raise Unsupported("the template nests too deeply for sfmon") from None


class _Parser:
    def __init__(self, items: list[Any], funcs: frozenset[str], variables: list[str]) -> None:
        self.items = items
        self.i = 0
        self.funcs = funcs
        self.scopes: list[list[str]] = [["$", *variables]]
        self.defines: dict[str, list[Node]] = {}

    def template(self) -> Template:
        body, end = self.list_until(top=True)
        assert end is None
        return Template(body, self.defines)

    def list_until(self, top: bool = False, loop: bool = False) -> tuple[list[Node], Any]:
        out: list[Node] = []
        while self.i < len(self.items):
            kind, payload = self.items[self.i]
            self.i += 1
            if kind == "text":
                if payload:
                    out.append(Node("text", payload))
                continue
            toks: list[Tok] = payload
            if not toks:
                raise TemplateError("missing value for command")
            head = toks[0]
            if head.kind == "ident" and head.text in KEYWORDS:
                word = head.text
                if word in ("end", "else"):
                    if top:
                        raise TemplateError(f"unexpected {{{{{word}}}}}")
                    return out, toks
                out.append(self.control(word, toks[1:], loop))
                continue
            out.append(Node("action", pipe=self.pipeline(toks, allow_decl=True)))
        if not top:
            raise TemplateError("unexpected EOF")
        return out, None

    def control(self, word: str, rest: list[Tok], loop: bool) -> Node:
        if word in ("break", "continue"):
            if not loop:
                raise TemplateError(f"{{{{{word}}}}} outside {{{{range}}}}")
            return Node(word)
        if word in ("define", "template", "block"):
            if not rest or rest[0].kind != "string":
                raise TemplateError(f"unexpected token in {word} clause")
            name = rest[0].value
            if word == "template":
                pipe = self.pipeline(rest[1:], allow_decl=False) if len(rest) > 1 else None
                return Node("template", pipe=pipe, name=name)
            outer, self.scopes = self.scopes, [["$"]]  # a definition sees only $
            body, end = self.list_until()
            self.scopes = outer
            if end[0].text != "end":
                raise TemplateError(f"unexpected {{{{else}}}} in {word}")
            self.defines[name] = body
            if word == "block":
                pipe = self.pipeline(rest[1:], allow_decl=False) if len(rest) > 1 else None
                return Node("template", pipe=pipe, name=name)
            return Node("text", "")
        self.scopes.append([])
        pipe = self.pipeline(rest, allow_decl=True, range_decl=word == "range")
        body, end = self.list_until(loop=loop or word == "range")
        else_body = None
        if end[0].text == "else":
            if len(end) > 1:
                if word == "if" and end[1].kind == "ident" and end[1].text == "if":
                    # `{{else if ...}}`: an if nested in the else branch, closed by the same {{end}}
                    nested = self.control("if", end[2:], loop)
                    self.scopes.pop()
                    return Node(word, pipe=pipe, body=body, else_body=[nested])
                raise TemplateError("unexpected tokens after {{else}}")
            else_body, end = self.list_until(loop=loop or word == "range")
            if end[0].text != "end":
                raise TemplateError("expected {{end}}, found {{else}}")
        if len(end) > 1:
            raise TemplateError("unexpected tokens after {{end}}")
        self.scopes.pop()
        return Node(word, pipe=pipe, body=body, else_body=else_body)

    def pipeline(self, toks: list[Tok], allow_decl: bool, range_decl: bool = False) -> Pipe:
        decl: list[str] = []
        assign = False
        if toks and toks[0].kind == "var":
            # `$x := ...`, `$x = ...`, `$k, $v := range ...`
            if len(toks) > 1 and toks[1].kind in ("decl", "assign"):
                decl, assign, toks = [toks[0].text], toks[1].kind == "assign", toks[2:]
            elif range_decl and len(toks) > 3 and toks[1].kind == "comma" and toks[2].kind == "var" and toks[3].kind in ("decl", "assign"):
                decl, assign, toks = [toks[0].text, toks[2].text], toks[3].kind == "assign", toks[4:]
        if decl and not allow_decl:
            raise TemplateError("unexpected variable declaration")
        if assign:
            for v in decl:
                self.known_var(v)
        cmds: list[Cmd] = []
        pos = 0
        cmd, pos = self.command(toks, pos)
        cmds.append(cmd)
        while pos < len(toks):
            if toks[pos].kind != "pipe":
                raise TemplateError(f"unexpected {toks[pos].text!r} in command")
            cmd, pos = self.command(toks, pos + 1)
            cmds.append(cmd)
        if not assign:
            self.scopes[-1].extend(decl)
        return Pipe(decl, assign, cmds)

    def command(self, toks: list[Tok], pos: int) -> tuple[Cmd, int]:
        args: list[Any] = []
        while pos < len(toks) and toks[pos].kind not in ("pipe", "rparen"):
            tok = toks[pos]
            if tok.kind == "lparen":
                depth, j = 1, pos + 1
                while j < len(toks) and depth:
                    depth += {"lparen": 1, "rparen": -1}.get(toks[j].kind, 0)
                    j += 1
                if depth:
                    raise TemplateError("unclosed left paren")
                inner = self.pipeline(toks[pos + 1 : j - 1], allow_decl=False)
                args.append(inner)
                pos = j
                if pos < len(toks) and toks[pos].kind == "field":
                    args.append(("fieldof", toks[pos]))
                    pos += 1
                continue
            if tok.kind == "ident":
                if tok.text in KEYWORDS:
                    raise TemplateError(f"unexpected <{tok.text}> in command")
                if tok.text not in self.funcs:
                    raise TemplateError(f'function "{tok.text}" not defined')
            elif tok.kind == "var":
                self.known_var(tok.text)
            elif tok.kind in ("decl", "assign", "comma"):
                raise TemplateError(f"unexpected {tok.text!r} in operand")
            args.append(tok)
            pos += 1
        if not args:
            raise TemplateError("missing value for command")
        return Cmd(args), pos

    def known_var(self, name: str) -> None:
        if not any(name in s for s in self.scopes):
            raise TemplateError(f'undefined variable "{name}"')


def check(text: str) -> None:
    """Raise TemplateError where promtool would refuse the template; anything sfmon's parser
    does not model is left to promtool."""
    if "{{" not in text:
        return
    try:
        parse(text)
    except Unsupported:
        pass


# --- evaluation ------------------------------------------------------------------------


class _Missing:
    pass


class Struct(dict):  # type: ignore[type-arg]
    """A Go struct (the alert's template data): a field it lacks is an error, not a zero."""


@dataclass
class _Break(Exception):
    kind: str


def execute(text: str, data: Any, variables: Mapping[str, Any] | None = None) -> str:
    """Run the template on `data` (dot) with the given predeclared variables."""
    variables = dict(variables or {})
    tmpl = parse(text, None, tuple(variables))
    try:
        return _Exec(tmpl, data).run(tmpl.root, data, [{"$": data, **variables}])
    except RecursionError:
        raise Unsupported("the template nests too deeply for sfmon") from None


_UNKNOWN = object()
_UNKNOWN_EXTERNAL = object()


def expand(
    template: str,
    labels: Mapping[str, str],
    value: float | None,
    external_labels: Mapping[str, str] | None = None,
) -> str:
    """The text Prometheus makes of `template` for an alert with these labels and value.

    `value` None means unknown: a template that needs it raises Unsupported; so does one that
    fails at run time (Prometheus writes its error text instead). `external_labels` None: not
    known here, a template that reads them raises Unsupported."""
    if "{{" not in template:
        return template  # no action: the text is the output (most summaries; thousands per spec)
    ext: Any = _UNKNOWN_EXTERNAL if external_labels is None else GoMap(external_labels)
    data = Struct(Labels=GoMap(labels), ExternalLabels=ext, ExternalURL=_SERVER_URL, Value=_UNKNOWN if value is None else value)
    variables = {"$labels": data["Labels"], "$externalLabels": ext, "$externalURL": _SERVER_URL, "$value": data["Value"]}
    try:
        return execute(template, data, variables)
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
    def __init__(self, tmpl: Template, root: Any) -> None:
        from sfmon.semantics.promfuncs import FUNCS

        self.tmpl = tmpl
        self.root = root
        self.funcs: dict[str, Callable[..., Any]] = FUNCS
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

_USES_VALUE = re.compile(r"\$value(?![A-Za-z0-9_])|(?<![A-Za-z0-9_$\]\)])\.Value(?![A-Za-z0-9_])")
_ACTION = re.compile(r"\{\{(.*?)\}\}", re.S)


_READS_EXTERNAL = re.compile(r"\$externalLabels(?![A-Za-z0-9_])|\.ExternalLabels(?![A-Za-z0-9_])")


def reads_external_labels(template: str) -> bool:
    """Whether an action may read the external labels ($externalLabels, .ExternalLabels)."""
    return any(_READS_EXTERNAL.search(m.group(1)) for m in _ACTION.finditer(template))


def uses_value(template: str) -> bool:
    """Whether an action reads the sample value ($value, .Value), not a label named so."""
    return any(_USES_VALUE.search(m.group(1)) for m in _ACTION.finditer(template))
