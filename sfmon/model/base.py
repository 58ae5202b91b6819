"""Shared pieces of the spec models: the strict base class, validated names and references
(secret files, environment names, URLs)."""

from __future__ import annotations

import json
from functools import lru_cache
from json.encoder import encode_basestring
import re
from typing import Annotated, Any, Iterator

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, WithJsonSchema

from sfmon.semantics.versions import Version, parse_version

from sfmon.semantics import names, regex

# Prometheus' data model: label names and metric names.
LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
METRIC_NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
SLUG_RE = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,38}[a-z0-9])?$")


def _display_name_re(banned: str) -> re.Pattern[str]:
    # promtool and amtool take any non-empty string as an alert or receiver name
    # (tests/test_names.py); sfmon refuses only what would break its own outputs.
    inner = "[^" + banned + r"\x00-\x1f\x7f]"
    edge = "[^" + banned + r"\s\x00-\x1f\x7f]"
    return re.compile(f"^{edge}(?:{inner}*{edge})?$")


ALERT_NAME_RE = _display_name_re(r"\[\]")
RECEIVER_NAME_RE = _display_name_re(r"\[\],")


class FieldError(ValueError):
    """A model validator's error about one of the model's own fields: the loader places it
    at `loc` under the model (e.g. ("tiers", 1, "above")) instead of at the model itself."""

    def __init__(self, loc: tuple[Any, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


class StrictModel(BaseModel):
    """Every spec object: unknown keys are errors, values are not coerced, models are frozen."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True, validate_default=True)


def _legacy_label_name(value: str) -> str:
    """A label name every release reads bare: for Grafana variables, whose `$name` is an identifier."""
    if not LABEL_NAME_RE.match(value):
        raise ValueError(f"invalid label name {value!r}: use letters, digits and _, not starting with a digit")
    return _label_name(value)


def _label_name(value: str) -> str:
    if len(value) > 1000:  # label names are mapping keys in the outputs; YAML caps a key at 1024 characters
        raise ValueError(f"label name of {len(value):,} characters: at most 1,000")
    if not LABEL_NAME_RE.match(value):
        if not value:
            raise ValueError("invalid label name '': use letters, digits and _, not starting with a digit")
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):  # problems and tool output show names on one line
            raise ValueError(f"invalid label name {value!r}: no control characters (newline, tab)")
        names.check_label(value)  # a UTF-8 name: Prometheus 3 and Alertmanager 0.27 read it quoted
    if value.startswith("__"):
        raise ValueError(f"label name {value!r} is reserved: names starting with __ are internal to Prometheus")
    return value


def _metric_name(value: str) -> str:
    if not METRIC_NAME_RE.match(value):
        if not value:
            raise ValueError("invalid metric name '': use letters, digits, _ and :, not starting with a digit")
        if len(value) > 1000:  # as label names: a YAML key holds at most 1,024 characters
            raise ValueError(f"metric name of {len(value):,} characters: at most 1,000")
        names.check_metric(value)  # a UTF-8 name: Prometheus 3 reads it quoted
    return value


def _slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError(f"invalid name {value!r}: use 1-40 lowercase letters, digits, - and _")
    return value


def _display_name(what: str, value: str, pattern: re.Pattern[str], comma: bool) -> str:
    if pattern.match(value):
        return value
    if not value:
        raise ValueError(f"{what} name must not be empty")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError(f"invalid {what} name {value!r}: no control characters (newline, tab): problems and tool output show names on one line")
    if "[" in value or "]" in value:
        raise ValueError(f"invalid {what} name {value!r}: no [ or ]: overlays and acknowledgements select {what}s as {what}s[name]")
    if comma and "," in value:
        raise ValueError(f"invalid {what} name {value!r}: no comma: amtool route tests take receivers as a comma-separated list")
    raise ValueError(f"invalid {what} name {value!r}: no leading or trailing spaces, which notifications do not show")


def _alert_name(value: str) -> str:
    return _display_name("alert", value, ALERT_NAME_RE, comma=False)


def _receiver_name(value: str) -> str:
    return _display_name("receiver", value, RECEIVER_NAME_RE, comma=True)


def _nonempty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _pattern(regex: str) -> WithJsonSchema:
    # The same rule for editors (JSON Schema, ECMA-262 regex) as for the validators above.
    return WithJsonSchema({"type": "string", "pattern": regex})


# Legacy, or UTF-8 when the targeted releases read it: an editor cannot know the release.
LabelName = Annotated[str, AfterValidator(_label_name), _pattern(r"^(?!__)[^\x00-\x1f\x7f]+$")]
LegacyLabelName = Annotated[str, AfterValidator(_legacy_label_name), _pattern("^(?!__)" + LABEL_NAME_RE.pattern[1:])]


def _group_label(value: str) -> str:
    # Alertmanager's group_by takes label names, or '...' (group by every label).
    return value if value == "..." else _label_name(value)


GroupLabel = Annotated[str, AfterValidator(_group_label)]
MetricName = Annotated[str, AfterValidator(_metric_name), _pattern(r"\S")]  # legacy, or UTF-8 for Prometheus 3
Slug = Annotated[str, AfterValidator(_slug), _pattern(SLUG_RE.pattern)]
AlertName = Annotated[str, AfterValidator(_alert_name), _pattern(ALERT_NAME_RE.pattern)]
ReceiverName = Annotated[str, AfterValidator(_receiver_name), _pattern(RECEIVER_NAME_RE.pattern)]
NonEmpty = Annotated[str, AfterValidator(_nonempty), _pattern(r"\S")]
Labels = dict[LabelName, str]


YAML_V2_NULLS = ("null", "~")  # scalars yaml.v2 reads as no value, quoted or not, before a type's own UnmarshalYAML


def _config_regex(value: str) -> str:
    # Prometheus 2.x reads its config with yaml.v2, which takes `null` or `~` as no value before
    # Regexp's UnmarshalYAML runs: 2.42 refuses the file (found by the hostile sweep). 3.16 reads
    # `regex: "null"` as written (a live target kept by it).
    reading = names.reading()
    if value in YAML_V2_NULLS and reading.enforced and (reading.prometheus or (2, 42)) < (3, 0):
        raise ValueError(
            f"regex {value!r} does not reach Prometheus 2.x as written: its YAML reader takes it as no value, "
            f"quoted or not; write (?:{value}) or target prometheus.version 3.0 or later"
        )
    return regex.check(value)


ConfigRegex = Annotated[str, AfterValidator(_config_regex)]  # RE2, in a Prometheus config
RegexLabels = dict[LabelName, Annotated[str, AfterValidator(regex.check)]]  # values RE2 accepts


def _release(name: str, lowest: Version, below: Version) -> AfterValidator:
    """A release of `name` sfmon supports: from `lowest` (the Debian packages it is proven
    with) up to, not including, `below` (the next major line, whose formats may change)."""

    def check(value: str) -> str:
        v = parse_version(value)
        if v is None:
            raise ValueError(f"invalid {name} version {value!r}: MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. {lowest.major}.{lowest.minor}")
        if not lowest <= v < below:
            raise ValueError(f"{name} {value} is not supported: sfmon supports {lowest.major}.{lowest.minor} up to, not including, {below.major}.{below.minor}")
        return value

    return AfterValidator(check)


def _quoted(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # YAML reads 3.10 as the number 3.1: only a string keeps every digit.
        raise ValueError(f'got the number {value}: write the version in quotes, e.g. "3.5" (YAML reads an unquoted 3.10 as 3.1)')
    return value


_RELEASE = _pattern(r"^v?\d+\.\d+(\.\d+)?$")
PrometheusRelease = Annotated[str, BeforeValidator(_quoted), _release("Prometheus", Version(2, 42), Version(4, 0)), _RELEASE]
AlertmanagerRelease = Annotated[str, BeforeValidator(_quoted), _release("Alertmanager", Version(0, 25), Version(1, 0)), _RELEASE]


def promql_string(value: str) -> str:
    """A PromQL double-quoted string literal (Go escaping, UTF-8 kept as is)."""
    # encode_basestring is what json.dumps(str, ensure_ascii=False) returns, without a JSONEncoder per call
    return encode_basestring(value) if type(value) is str else json.dumps(value, ensure_ascii=False)


def check_promql(expr: str) -> Any:
    """Parse PromQL and return the AST; raises ValueError with the parser's message, or when
    it writes what the targeted releases do not read: a UTF-8 name (semantics/names), a
    duration used as a number before 3.0."""
    ast = _parsed_promql(expr)
    names.check_expr(expr)
    reading = names.reading()
    if reading.enforced and (reading.prometheus or (2, 42)) < (3, 0):
        found = duration_as_number(expr)
        if found:
            has = f"prometheus.version {'.'.join(map(str, reading.prometheus))}" if reading.prometheus else "the spec targets no prometheus.version (2.42, then)"
            raise ValueError(
                f"PromQL syntax error: duration {found!r} used as a number needs Prometheus 3.0 or later ({has}); "
                "2.x reads durations only in ranges, offsets and subqueries (\"unexpected duration\"): write the seconds"
            )
    return ast


_PROMQL_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`|#[^\n]*'  # strings and comments
    r"|(?P<duration>(?<![\w.])(?:[0-9]+(?:ms|[smhdwy]))+(?![\w.]))"
    r"|(?P<word>[A-Za-z_:][\w:]*)|(?P<open>\[)|(?P<close>\])|\S",
)


def comment_at(expr: str) -> int | None:
    """Where a `#` comment starts in a PromQL expression (outside strings), or None."""
    return next((m.start() for m in _PROMQL_TOKEN.finditer(expr) if m[0].startswith("#")), None)


def duration_as_number(expr: str) -> str | None:
    """The first duration literal written where a number goes (`5m`, `vector(1h)`): outside
    `[...]` ranges and subqueries and not after `offset`. Prometheus 3 reads it as seconds;
    2.x refuses it. Bounded by the expression's length."""
    depth, after_offset = 0, False
    for m in _PROMQL_TOKEN.finditer(expr):
        if m["open"]:
            depth += 1
        elif m["close"]:
            depth = max(0, depth - 1)
        elif m["duration"] and depth == 0 and not after_offset:
            return m["duration"]
        after_offset = bool(m["word"]) and m["word"].lower() == "offset" or (after_offset and m[0] in "+-")
    return None


@lru_cache(maxsize=2048)  # a spec's selectors repeat across its alerts; the AST is only read
def _parsed_promql(expr: str) -> Any:
    import promql_parser

    try:
        ast = promql_parser.parse(expr)
    except BaseException as exc:  # the Rust binding may raise a PanicException
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise ValueError(f"PromQL syntax error: {exc}") from None
    for pattern in _selector_regexes(ast, promql_parser):
        regex.check(pattern)  # Rust's regex dialect is not Go's: RE2 is the judge
    return ast


def result_type(ast: Any) -> str | None:
    """'a string' or 'a range vector' when a rule expression's result is one: Prometheus then
    fails every evaluation of the rule ("rule result is not a vector or scalar")."""
    import promql_parser

    for _ in range(200):  # bounded: parentheses nest at most this deep here
        if not isinstance(ast, promql_parser.ParenExpr):
            break
        ast = ast.expr
    if isinstance(ast, promql_parser.StringLiteral):
        return "a string"
    if isinstance(ast, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr)):
        return "a range vector"
    return None


def _selector_regexes(ast: Any, promql_parser: Any) -> Iterator[str]:
    """The `=~`/`!~` values of every selector in the expression."""
    for node in names.nodes(ast, promql_parser):
        if isinstance(node, promql_parser.VectorSelector):
            ms = node.matchers
            for m in [*ms.matchers, *(m for group in ms.or_matchers for m in group)]:
                if str(m.op) in ("MatchOp.Re", "MatchOp.NotRe"):
                    yield m.value


# --- references: files and names a service reads at run time (never the secret itself) ---


def _abs_path(value: str) -> str:
    # The value is never quoted back: someone may have pasted the secret itself here.
    if not value.startswith("/") or any(ord(c) < 32 or ord(c) == 0x7F for c in value):
        raise ValueError("must be an absolute path to a file holding the secret (e.g. /run/secrets/name); value not shown")
    return _normal_path(value)


def _normal_path(value: str) -> str:
    # Compose mounts each file at this path in the container: a '..' step would put it
    # outside the directory it names (and services resolve it differently).
    if any(part in (".", "..") for part in value.split("/")):
        raise ValueError("must not contain '.' or '..' steps: write the path as the service resolves it")
    return value


def _env_name(value: str) -> str:
    import re

    if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", value):
        raise ValueError("must be an environment variable name like GF_ADMIN_PASSWORD; value not shown")
    return value


def _abs_file(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"must be an absolute path as the server sees it (e.g. /run/secrets/ca.crt), got {value!r}")
    if any(ord(c) < 32 or ord(c) == 0x7F for c in value):
        raise ValueError(f"must not contain control characters, got {value!r}")
    return _normal_path(value)


def _bcrypt(value: str) -> str:
    import re

    m = re.fullmatch(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}", value)
    if not m:
        raise ValueError(
            "must be a bcrypt hash ($2y$12$...), never a password: "
            "htpasswd -nBC 12 '' | tr -d ':\\n' makes one (docs/hardening.md); value not shown"
        )
    if int(m.group(1)) < 10:
        raise ValueError(f"bcrypt cost {m.group(1)} is too low; use 10 or more")
    return value


def _no_userinfo(value: str) -> str:
    import re

    # Every URL in the spec is one a service calls over HTTP: Alertmanager refuses another scheme.
    if not re.match(r"^https?://[^\s/?#@]+", value):
        raise ValueError("must be an http:// or https:// URL with a host; value not shown")
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@", value):
        raise ValueError("credentials in a URL are not allowed; use basic_auth with a password_file; value not shown")
    return value


_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?|)(?::([0-9]{1,5}))?$")


def _address(value: str, port: bool, host: bool = True) -> str:
    """host[:port] as Prometheus targets, Alertmanager's smarthost and --web.listen-address
    take it: no scheme, no path, a port from 1 to 65535."""
    if "://" in value:
        raise ValueError(f"expected host:port, got {value!r}: no scheme here (the scheme is a separate setting)")
    m = _HOST_PORT.match(value)
    if not m or (host and not m.group(1)):
        what = "a path" if "/" in value else "spaces" if any(c.isspace() for c in value) else "characters a host name cannot hold"
        raise ValueError(f"expected host:port, got {value!r}, which has {what}")
    if port and m.group(2) is None:
        raise ValueError(f"expected host:port, got {value!r}: the port is missing")
    if m.group(2) is not None and not 0 < int(m.group(2)) < 65536:
        raise ValueError(f"port {m.group(2)} in {value!r} is out of range (1-65535)")
    return value


def _user_name(value: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z0-9._@-]{1,64}", value):
        raise ValueError(f"invalid user name {value!r}: use 1-64 letters, digits, '.', '_', '@' and '-' (no ':')")
    return value


class Secret:
    """Marks a path to a secret file in a type, so code can find every such field in a model
    (the receivers' files compose must mount) without going by field names."""

    def __repr__(self) -> str:
        return "Secret"


SECRET = Secret()
SecretFile = Annotated[str, AfterValidator(_abs_path), SECRET]
EnvName = Annotated[str, AfterValidator(_env_name)]
AbsFile = Annotated[str, AfterValidator(_abs_file)]
BcryptHash = Annotated[str, AfterValidator(_bcrypt)]
Url = Annotated[NonEmpty, AfterValidator(_no_userinfo)]
UserName = Annotated[str, AfterValidator(_user_name)]
Address = Annotated[str, AfterValidator(lambda v: _address(v, port=False)), _pattern(_HOST_PORT.pattern)]
HostPort = Annotated[str, AfterValidator(lambda v: _address(v, port=True)), _pattern(_HOST_PORT.pattern)]
ListenAddress = Annotated[str, AfterValidator(lambda v: _address(v, port=True, host=False)), _pattern(_HOST_PORT.pattern)]
