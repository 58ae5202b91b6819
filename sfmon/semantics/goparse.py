"""Go's text/template parser, as Prometheus 2.42's rule loader runs it on alert templates.

`parse` reads a template as Go's parser does, with the variables Prometheus declares before
every alert template ($labels, $externalLabels, $externalURL, $value), and raises
TemplateError where Go refuses it: unclosed action, unknown function, undefined variable,
unbalanced {{end}}, a bad string or number. promtool refuses such a rule file, so sfmon
refuses the spec at load (`check`). What Go accepts but sfmon does not model raises
Unsupported, and promtool decides. sfmon.semantics.gotemplate runs the parsed tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

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


def function_names(text: str) -> set[str]:
    """The identifiers a template's actions name (functions, keywords aside); empty when
    its text does not lex (check reports that)."""
    if "{{" not in text:
        return set()
    try:
        items = _tokens(text)
    except (TemplateError, Unsupported):
        return set()
    return {t.text for kind, toks in items if kind == "action" for t in toks if t.kind == "ident"}


def check(text: str) -> None:
    """Raise TemplateError where promtool would refuse the template; anything sfmon's parser
    does not model is left to promtool."""
    if "{{" not in text:
        return
    try:
        parse(text)
    except Unsupported:
        pass
