r"""Alertmanager's UTF-8 matcher parser (matcher/parse, 0.27 and later), re-implemented from
its behaviour: a lexer of braces, commas, operators, double-quoted strings (Go escapes,
strconv.Unquote) and unquoted runs of anything but Go's spaces and the reserved {}!=~,\"'`;
then a parser
that takes an optional `{...}` around matchers separated by commas (one trailing comma
allowed). Errors are worded and placed (`start:end` in runes) as upstream words them.

Pure and standalone: `sfmon.semantics.matchers` combines it with the classic parser the
way the releases' default fallback mode does (matcher/compat/parse.go).
"""

from __future__ import annotations

from dataclasses import dataclass

from sfmon.semantics import regex

# Go's unicode.IsSpace.
GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
RESERVED = frozenset("{}!=~,\\\"'`") | GO_SPACE

# Token kinds (lexer.go / token.go); EOF is the empty token.
EOF, OPEN, CLOSE, COMMA, EQ, NE, RE, NRE, QUOTED, UNQUOTED = (
    "EOF", "OpenBrace", "CloseBrace", "Comma", "Equals", "NotEquals", "Matches", "NotMatches", "Quoted", "Unquoted",
)  # fmt: skip
OPS = {EQ: "=", NE: "!=", RE: "=~", NRE: "!~"}


class UTF8MatcherError(ValueError):
    """A line the UTF-8 parser refuses; the message is upstream's."""


@dataclass(frozen=True)
class Token:
    kind: str
    value: str
    start: int  # in runes (upstream's columns)
    end: int

    def unquote(self) -> str:
        return go_unquote(self.value) if self.kind == QUOTED else self.value


_NONE = Token(EOF, "", 0, 0)


class Lexer:
    """One token per scan(); the first error sticks (every later scan returns it)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.start = 0
        self.pos = 0
        self.width = 0
        self.err: UTF8MatcherError | None = None

    # --- cursor -----------------------------------------------------------------------
    def _next(self) -> str:
        if self.pos >= len(self.text):
            self.width = 0
            return ""
        self.width = 1
        self.pos += 1
        return self.text[self.pos - 1]

    def _rewind(self) -> None:
        self.pos -= self.width

    def _accept(self, valid: str) -> bool:
        ch = self._next()
        if ch and ch in valid:
            return True
        self._rewind()
        return False

    def _emit(self, kind: str) -> Token:
        t = Token(kind, self.text[self.start : self.pos], self.start, self.pos)
        self.start = self.pos
        return t

    def _error(self, what: str) -> UTF8MatcherError:
        return UTF8MatcherError(f"{self.start}:{self.pos}: {self.text[self.start:self.pos]}: {what}")

    def _expected(self, expected: str) -> UTF8MatcherError:
        if self.pos >= len(self.text):
            return UTF8MatcherError(f"{self.start}:{self.pos}: unexpected end of input, expected one of '{expected}'")
        return self._error(f"expected one of '{expected}'")

    # --- tokens -----------------------------------------------------------------------
    def scan(self) -> tuple[Token, UTF8MatcherError | None]:
        if self.err is not None:
            return _NONE, self.err
        while True:  # one rune a step: bounded by the input
            ch = self._next()
            if not ch:
                return _NONE, None
            if ch in "{},":
                return self._emit({"{": OPEN, "}": CLOSE, ",": COMMA}[ch]), None
            if ch in '=!"' or ch not in RESERVED:
                self._rewind()
                scanner = self._operator if ch in "=!" else self._quoted if ch == '"' else self._unquoted
                try:
                    return scanner(), None
                except UTF8MatcherError as exc:
                    self.err = exc
                    return _NONE, exc
            if ch in GO_SPACE:
                self.start = self.pos
                continue
            self.err = self._error("invalid input")
            return _NONE, self.err

    def _operator(self) -> Token:
        if self._accept("!"):
            if self._accept("="):
                return self._emit(NE)
            if self._accept("~"):
                return self._emit(NRE)
            raise self._expected("=~")
        self._accept("=")
        return self._emit(RE if self._accept("~") else EQ)

    def _quoted(self) -> Token:
        self._next()  # the opening quote
        escaped = False
        while True:
            ch = self._next()
            if not ch:
                break
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                return self._emit(QUOTED)
        raise self._error('missing end "')

    def _unquoted(self) -> Token:
        while True:
            ch = self._next()
            if not ch:
                break
            if ch in RESERVED:
                self._rewind()
                break
        return self._emit(UNQUOTED)

    def peek(self) -> tuple[Token, UTF8MatcherError | None]:
        saved = (self.start, self.pos, self.width)
        try:
            return self.scan()
        finally:  # the error, if any, stays for the next scan
            self.start, self.pos, self.width = saved


_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}
_HEX = {"x": 2, "u": 4, "U": 8}


def go_unquote(quoted: str) -> str:
    """Go's strconv.Unquote of a double-quoted string, then the check that it is UTF-8
    (token.unquote): `\\x` and octal escapes are bytes, `\\u`/`\\U` code points."""
    if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
        raise ValueError("invalid syntax")
    body, out, i = quoted[1:-1], bytearray(), 0
    while i < len(body):  # each step consumes at least one character
        ch = body[i]
        if ch == "\n" or ch == '"':
            raise ValueError("invalid syntax")
        if ch != "\\":
            out += ch.encode("utf-8", "surrogatepass")
            i += 1
            continue
        esc = body[i + 1 : i + 2]
        if esc in _SIMPLE:
            out += _SIMPLE[esc].encode()
            i += 2
        elif esc in _HEX:
            digits = body[i + 2 : i + 2 + _HEX[esc]]
            if len(digits) != _HEX[esc] or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError("invalid syntax")
            v = int(digits, 16)
            if esc == "x":
                out.append(v)
            elif v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
                raise ValueError("invalid syntax")
            else:
                out += chr(v).encode()
            i += 2 + _HEX[esc]
        elif esc and esc in "01234567":
            digits = body[i + 1 : i + 4]
            if len(digits) != 3 or any(c not in "01234567" for c in digits) or int(digits, 8) > 255:
                raise ValueError("invalid syntax")
            out.append(int(digits, 8))
            i += 4
        else:
            raise ValueError("invalid syntax")
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("quoted string contains invalid UTF-8 code points") from None


class _EOF(Exception):
    """The input ended where a token was wanted (upstream's errEOF, "end of input")."""


def _peek(lx: Lexer, *kinds: str) -> Token:
    t, err = lx.peek()
    if err is not None:
        raise err
    if t.kind == EOF:
        raise _EOF
    if t.kind not in kinds:
        raise UTF8MatcherError(f"{t.start}:{t.end}: unexpected {t.value}")
    return t


def _expect(lx: Lexer, *kinds: str) -> Token:
    t = _peek(lx, *kinds)
    lx.scan()
    return t


def _wrap(lx: Lexer, what: str, *kinds: str) -> Token:
    """expect(kinds), an error worded `<reason>: <what>`."""
    try:
        return _expect(lx, *kinds)
    except _EOF:
        raise UTF8MatcherError(f"end of input: {what}") from None
    except UTF8MatcherError as exc:
        raise UTF8MatcherError(f"{exc}: {what}") from None


def parse_matchers(text: str) -> list[tuple[str, str, str]]:
    """Every matcher of one line, (name, op, value), as matcher/parse.Matchers reads it."""
    lx = Lexer(text)
    out: list[tuple[str, str, str]] = []
    try:
        t, err = lx.peek()
        if err is not None:
            raise err
        has_open = t.kind == OPEN
        if t.kind == EOF:
            _end(lx)
            return out
        if has_open:
            lx.scan()
        state = "first"
        for _ in range(len(text) + 1):  # each matcher consumes input
            if state == "first":
                try:
                    state = "close" if _peek_is(lx, CLOSE) else "matcher"
                except _EOF:
                    state = "close"
            if state == "close":
                _close(lx, has_open)
                _end(lx)
                return out
            out.append(_matcher(lx))
            try:
                _wrap_peek(lx, "expected a comma or close brace", COMMA, CLOSE)
            except _EOF:
                state = "close"
                continue
            if _peek_is(lx, CLOSE):
                state = "close"
                continue
            _wrap(lx, "expected a comma", COMMA)
            try:
                t = _wrap_peek(lx, "expected a matcher or close brace after comma", CLOSE, UNQUOTED, QUOTED)
            except _EOF:
                state = "close"
                continue
            state = "close" if t.kind == CLOSE else "matcher"
    except _EOF:  # pragma: no cover - every place that may meet the end catches it
        raise UTF8MatcherError("end of input") from None
    raise UTF8MatcherError("too many matchers")  # pragma: no cover - bounded above


def _peek_is(lx: Lexer, kind: str) -> bool:
    t, err = lx.peek()
    if err is not None:
        raise err
    if t.kind == EOF:
        raise _EOF
    return t.kind == kind


def _wrap_peek(lx: Lexer, what: str, *kinds: str) -> Token:
    try:
        return _peek(lx, *kinds)
    except UTF8MatcherError as exc:
        raise UTF8MatcherError(f"{exc}: {what}") from None


def _matcher(lx: Lexer) -> tuple[str, str, str]:
    name = _text(_wrap(lx, "expected label name", QUOTED, UNQUOTED))
    op = _wrap(lx, "expected an operator such as '=', '!=', '=~' or '!~'", EQ, NE, RE, NRE)
    value = _text(_wrap(lx, "expected label value", UNQUOTED, QUOTED))
    if op.kind in (RE, NRE):  # labels.NewMatcher compiles it
        try:
            regex.compile(value)
        except regex.RegexError as exc:
            raise UTF8MatcherError(f"failed to create matcher: error parsing regexp: {exc}") from None
    return name, OPS[op.kind], value


def _text(t: Token) -> str:
    try:
        return t.unquote()
    except ValueError:
        raise UTF8MatcherError(f"{t.start}:{t.end}: {t.value}: invalid input") from None


def _close(lx: Lexer, has_open: bool) -> None:
    if has_open:
        try:
            _expect(lx, CLOSE)
        except _EOF:
            raise UTF8MatcherError(f"0:{lx.pos}: end of input: expected close brace") from None
        except UTF8MatcherError as exc:
            raise UTF8MatcherError(f"0:{lx.pos}: {exc}: expected close brace") from None
        return
    try:
        _expect(lx, CLOSE)
    except (_EOF, UTF8MatcherError):
        return
    raise UTF8MatcherError(f"0:{lx.pos}: }}: expected opening brace")


def _end(lx: Lexer) -> None:
    t, err = lx.scan()
    if err is not None:
        raise UTF8MatcherError(f"{err}: expected end of input")
    if t.kind != EOF:
        raise UTF8MatcherError(f"{t.start}:{t.end}: {t.value}: expected end of input")


def parse_matcher(text: str) -> tuple[str, str, str]:
    """Exactly one matcher (matcher/parse.Matcher)."""
    ms = parse_matchers(text)
    if len(ms) == 1:
        return ms[0]
    raise UTF8MatcherError("no matchers" if not ms else f"expected 1 matcher, found {len(ms)}")
