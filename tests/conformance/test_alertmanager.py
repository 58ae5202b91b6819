"""sfmon's Alertmanager semantics against Alertmanager's own test cases, and the same cases
against the installed amtool 0.25 (the referee: a case the data gets wrong fails there)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cases import load, openmetrics_escape

from sfmon.semantics import routing
from sfmon.semantics.matchers import Matcher, MatcherError, classic_name, parse, parse_one
from sfmon.semantics.utf8matchers import EOF, RESERVED, Lexer, UTF8MatcherError, parse_matcher, parse_matchers
from sfmon.semantics.quoting import yaml_string

MATCHERS = load("matchers.yaml")
MATCH = load("matcher_match.yaml")
DIALECT = load("regex.yaml")
ROUTING = load("routing.yaml")
INHIBIT = load("inhibit.yaml")

_TYPE_ORDER = {"=": 0, "!=": 1, "=~": 2, "!~": 3}


def _amtool(amtool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([amtool, *args], capture_output=True, text=True, timeout=30)


def _config(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _printed(matchers: list[list[str]]) -> str:
    """A route's matchers as `amtool config routes` prints them: sorted as labels.Matchers
    sorts (name, value, type), each with its value OpenMetrics-escaped."""
    if not matchers:
        return "default-route"
    ms = sorted(matchers, key=lambda m: (m[0], m[2], _TYPE_ORDER[m[1]]))
    return "{" + ",".join(f'{n}{op}"{openmetrics_escape(v)}"' for n, op, v in ms) + "}"


# --- matcher lines (pkg/labels/parse_test.go TestMatchers) --------------------------------


@pytest.mark.parametrize("case", MATCHERS["cases"], ids=lambda c: repr(c["input"]))
def test_matcher_line(case):
    if "error" in case:
        with pytest.raises(MatcherError) as err:
            parse(case["input"])
        assert str(err.value).startswith(case["error"].split(":")[0])
        if not case["error"].startswith("error parsing regexp"):  # Go's regexp words it differently
            assert str(err.value) == case["error"]
    else:
        assert [[m.name, m.op, m.value] for m in parse(case["input"])] == case["matchers"]


def test_matcher_lines_with_amtool(amtool, tmp_path):
    """amtool 0.25 reads every valid line as the data says, and refuses every invalid one."""
    valid = [c for c in MATCHERS["cases"] if "error" not in c]
    routes = "".join(f"  - {{receiver: r, matchers: [{yaml_string(c['input'])}]}}\n" for c in valid)
    path = _config(tmp_path, "valid.yml", f"route:\n  receiver: r\n  routes:\n{routes}receivers: [{{name: r}}]\n")
    out = _amtool(amtool, "config", "routes", f"--config.file={path}")
    assert out.returncode == 0, out.stderr
    lines = [line.split("── ", 1)[1].rsplit("  receiver:", 1)[0] for line in out.stdout.splitlines() if "── " in line]
    assert lines[0] == "default-route"
    assert lines[1:] == [_printed(c["matchers"]) for c in valid]
    for i, c in enumerate(c for c in MATCHERS["cases"] if "error" in c):
        path = _config(tmp_path, f"bad{i}.yml", f"route:\n  receiver: r\n  matchers: [{yaml_string(c['input'])}]\nreceivers: [{{name: r}}]\n")
        out = _amtool(amtool, "check-config", path)
        assert out.returncode != 0, c["input"]
        assert c["error"].split(":")[0] in out.stdout + out.stderr, c["input"]


# --- one matcher against one value (pkg/labels/matcher_test.go; Go's regex dialect) -------

_VALUES = [(f"TestMatcher[{i}]", c) for i, c in enumerate(MATCH["cases"])] + [
    (f"dialect[{i}]", {"op": "=~", **c}) for i, c in enumerate(DIALECT["cases"])
]


@pytest.mark.parametrize("case", [c for _, c in _VALUES], ids=[i for i, _ in _VALUES])
def test_matcher_value(case):
    assert Matcher("x", case["op"], case["pattern"]).matches({"x": case["value"]}) is case["match"]


@pytest.mark.parametrize("pattern", DIALECT["refused"])
def test_regex_refused(pattern):
    with pytest.raises(MatcherError):
        parse(f'x=~"{openmetrics_escape(pattern)}"')


def test_matcher_values_with_amtool(amtool, tmp_path):
    for name, c in _VALUES:
        matcher = yaml_string(f'x{c["op"]}"{openmetrics_escape(c["pattern"])}"')
        path = _config(tmp_path, "m.yml", f"route:\n  receiver: miss\n  routes: [{{receiver: hit, matchers: [{matcher}]}}]\nreceivers: [{{name: hit}}, {{name: miss}}]\n")
        want = "hit" if c["match"] else "miss"
        out = _amtool(amtool, "config", "routes", "test", f"--config.file={path}", f"--verify.receivers={want}", f'x="{openmetrics_escape(c["value"])}"')
        assert out.returncode == 0, (name, c, out.stdout, out.stderr)
    for pattern in DIALECT["refused"]:
        matcher = yaml_string(f'x=~"{openmetrics_escape(pattern)}"')
        path = _config(tmp_path, "r.yml", f"route:\n  receiver: r\n  matchers: [{matcher}]\nreceivers: [{{name: r}}]\n")
        assert _amtool(amtool, "check-config", path).returncode != 0, pattern


# --- routing (dispatch/route_test.go) -----------------------------------------------------

_ROUTES = [(f"{g['upstream']['test']}[{i}]", g, c) for g in ROUTING["groups"] for i, c in enumerate(g["cases"])]


def _route_config(group) -> dict:
    from ruamel.yaml import YAML

    return {"route": YAML(typ="safe", pure=True).load(group["route"])}


@pytest.mark.parametrize("group,case", [(g, c) for _, g, c in _ROUTES], ids=[i for i, _, _ in _ROUTES])
def test_routing(group, case):
    tree = routing.from_config(_route_config(group))
    assert routing.receivers(tree, case["labels"]) == case["receivers"]
    assert [_opts(r) for r in routing.match(tree.root, case["labels"])] == case["opts"]


def _opts(route: routing.Route) -> dict:
    from sfmon.semantics.units import format_duration_ms

    return {
        "group_by": list(route.group_by),
        "group_by_all": route.group_by_all,
        "group_wait": format_duration_ms(route.group_wait_ms),
        "group_interval": format_duration_ms(route.group_interval_ms),
        "repeat_interval": format_duration_ms(route.repeat_interval_ms),
    }


_WALKS = [(g["upstream"]["test"], g, w) for g in ROUTING["groups"] for w in g.get("walk", [])]


@pytest.mark.parametrize("group,walk", [(g, w) for _, g, w in _WALKS], ids=[f"{t}{w['path']}" for t, _, w in _WALKS])
def test_route_options_inherited(group, walk):
    route = routing.from_config(_route_config(group)).root
    for i in walk["path"]:
        route = route.routes[i]
    assert route.group_by_all == walk["group_by_all"]


def test_routing_with_amtool(amtool, tmp_path):
    for n, group in enumerate(ROUTING["groups"]):
        names = sorted({r for c in group["cases"] for r in c["receivers"]} | {"notify-def"})
        body = "route:\n" + "".join(f"  {line}\n" for line in group["route"].splitlines())
        path = _config(tmp_path, f"routes{n}.yml", body + "receivers:\n" + "".join(f"  - name: {r}\n" for r in names))
        for case in group["cases"]:
            labels = [f'{k}="{openmetrics_escape(v)}"' for k, v in case["labels"].items()]
            out = _amtool(amtool, "config", "routes", "test", f"--config.file={path}", "--verify.receivers=" + ",".join(case["receivers"]), *labels)
            assert out.returncode == 0, (group["upstream"]["test"], case, out.stdout, out.stderr)


# --- inhibition (inhibit/inhibit_test.go) -------------------------------------------------

_INHIBIT = [(f"{g['upstream']['test']}{g['upstream'].get('case', '')}[{i}]", g, c) for g in INHIBIT["groups"] for i, c in enumerate(g["cases"])]


@pytest.mark.parametrize("group,case", [(g, c) for _, g, c in _INHIBIT], ids=[i for i, _, _ in _INHIBIT])
def test_inhibition(group, case):
    tree = routing.from_config({"route": {"receiver": "r"}, "inhibit_rules": group["inhibit_rules"]})
    muted = routing.muting_rule(tree, case["target"], group["firing"]) is not None
    assert muted is case["muted"]


def test_inhibit_rules_accepted_by_amtool(amtool, tmp_path):
    """Every rule set of the data, the empty rule included, is a config amtool accepts."""
    import json

    for n, group in enumerate(INHIBIT["groups"]):
        rules = "".join(f"  - {json.dumps(r) if r is not None else ''}\n" for r in group["inhibit_rules"])
        path = _config(tmp_path, f"inhibit{n}.yml", f"route: {{receiver: r}}\nreceivers: [{{name: r}}]\ninhibit_rules:\n{rules}")
        out = _amtool(amtool, "check-config", path)
        assert out.returncode == 0, (group["upstream"], out.stdout, out.stderr)


# --- the UTF-8 matcher parser of newer Alertmanagers (matcher/parse/parse_test.go) ------

UTF8 = load("matchers_utf8.yaml")


def _classic(text: str, single: bool = False) -> list[list[str]] | None:
    try:
        return [[m.name, m.op, m.value] for m in ((parse_one(text),) if single else parse(text))]
    except MatcherError:
        return None


def _fallback(text: str, single: bool = False) -> list[list[str]] | None:
    try:
        ms = (parse_one(text, fallback=True),) if single else parse(text, fallback=True)
    except MatcherError:
        return None
    return [[m.name, m.op, m.value] for m in ms]


_UTF8_IDS = [f"{c['upstream']['test']}:{c['upstream']['case']}" for c in UTF8["cases"]]


@pytest.mark.parametrize("case", UTF8["cases"], ids=_UTF8_IDS)
def test_utf8_parser(case):
    """sfmon's UTF-8 parser reads every line as upstream's test expects, and refuses the
    others with upstream's message, position included."""
    single = case["upstream"]["test"] == "TestMatcher"
    if "utf8_error" in case:
        with pytest.raises(UTF8MatcherError) as err:
            (parse_matcher if single else parse_matchers)(case["input"])
        assert str(err.value) == case["utf8_error"]
    else:
        got = [parse_matcher(case["input"])] if single else parse_matchers(case["input"])
        assert [list(m) for m in got] == case["utf8"]


@pytest.mark.parametrize(
    "case", [c for c in UTF8["cases"] if c["upstream"]["test"] == "TestMatchers"], ids=lambda c: c["upstream"]["case"]
)  # TestMatcher is parse.Matcher, no config reading: the single-matcher fallback is matchers_compat.yaml's
def test_utf8_parser_fallback_reads_as_sfmon_where_claimed(case):
    """Alertmanager >= 0.27 reads a line with the classic parser when it accepts it, else
    with the UTF-8 one; where the data claims 0.25 too, that is the classic reading; sfmon's
    fallback reading is that reading everywhere."""
    classic = _classic(case["input"])
    effective = classic if classic is not None else case.get("utf8")
    if "0.25" in case["alertmanager"]:
        assert classic == case.get("utf8", classic) or classic is not None
    else:
        assert classic is None and effective is not None
    assert _fallback(case["input"]) == effective


# --- the lexer (matcher/parse/lexer_test.go) and fallback mode (matcher/compat) -----------

LEXER = load("matcher_lexer.yaml")
COMPAT = load("matchers_compat.yaml")


@pytest.mark.parametrize("case", LEXER["cases"], ids=lambda c: c["case"])
def test_utf8_lexer(case):
    text, lx, got, err = case["input"], Lexer(case["input"]), [], None
    offset = lambda i: len(text[:i].encode())  # noqa: E731 - upstream's offsets are bytes, columns runes
    for _ in range(len(text) + 1):
        t, err = lx.scan()
        if err is not None or t.kind == EOF:
            break
        got.append([t.kind, t.value, offset(t.start), offset(t.end), t.start, t.end])
    assert got == case["tokens"]
    assert (str(err) if err else None) == case.get("error")
    if err is not None:  # TestLexer_ScanError: the error sticks
        assert str(lx.scan()[1]) == str(err) and str(lx.peek()[1]) == str(err)


_COMPAT = [(f"{g['upstream']['test']}:{c['case']}", g, c) for g in COMPAT["groups"] for c in g["cases"]]


@pytest.mark.parametrize("group,case", [(g, c) for _, g, c in _COMPAT], ids=[i for i, _, _ in _COMPAT])
def test_fallback_mode(group, case):
    single = group.get("single", False)
    if "error" in case:
        with pytest.raises(MatcherError) as err:
            parse_one(case["input"], fallback=True) if single else parse(case["input"], fallback=True)
        assert str(err.value) == case["error"]
    else:
        assert _fallback(case["input"], single) == case["fallback"]
    if "utf8" in case:  # a disagreement: the UTF-8 parser alone reads it otherwise
        assert [list(m) for m in parse_matchers(case["input"])] == case["utf8"]
    if "classic" in case:
        assert _classic(case["input"], single) == case["classic"]


def test_utf8_marks_with_amtool_025(amtool, tmp_path):
    """amtool 0.25 refuses every line marked for >= 0.27 only, and reads every line marked
    for both as the newer fallback reads it (or refuses it where both parsers do)."""
    only_new = [c for c in UTF8["cases"] if c["alertmanager"] == [">=0.27"]]
    both = [c for c in UTF8["cases"] if "0.25" in c["alertmanager"]]
    assert len(only_new) >= 20 and len(both) >= 40
    refused = only_new + [c for c in both if c.get("utf8", _classic(c["input"])) is None]
    for i, c in enumerate(refused):
        path = _config(tmp_path, f"u{i}.yml", f"route:\n  receiver: r\n  matchers: [{yaml_string(c['input'])}]\nreceivers: [{{name: r}}]\n")
        assert _amtool(amtool, "check-config", path).returncode != 0, c["input"]
    read = [(c, c.get("utf8", _classic(c["input"]))) for c in both]
    read = [(c, want) for c, want in read if want is not None]
    routes = "".join(f"  - {{receiver: r, matchers: [{yaml_string(c['input'])}]}}\n" for c, _ in read)
    path = _config(tmp_path, "both.yml", f"route:\n  receiver: r\n  routes:\n{routes}receivers: [{{name: r}}]\n")
    out = _amtool(amtool, "config", "routes", f"--config.file={path}")
    assert out.returncode == 0, out.stderr
    lines = [line.split("── ", 1)[1].rsplit("  receiver:", 1)[0] for line in out.stdout.splitlines() if "── " in line]
    assert lines[1:] == [_printed(want) for _, want in read]


# --- each amtool of the matrix reads the lines as sfmon reads them for its release --------


def _go_quote(text: str) -> str:
    """Go's strconv.Quote (how 0.27+ print a label name with reserved characters)."""
    named = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"'}
    out = []
    for ch in text:
        if ch in named:
            out.append(named[ch])
        elif ch.isprintable():  # Go's IsPrint: letters, marks, numbers, punctuation, symbols, ASCII space
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _printed_by(matchers: list[list[str]], quotes_names: bool) -> str:
    """`amtool config routes`' matchers: 0.27+ print a name with a reserved character and its
    value with strconv.Quote (labels.Matcher.String), 0.25 every one unquoted."""
    if not matchers:
        return "default-route"
    ms = sorted(matchers, key=lambda m: (m[0], m[2], _TYPE_ORDER[m[1]]))
    shown = [
        f"{_go_quote(n)}{op}{_go_quote(v)}" if quotes_names and any(ch in RESERVED for ch in n) else f'{n}{op}"{openmetrics_escape(v)}"'
        for n, op, v in ms
    ]
    return "{" + ",".join(shown) + "}"


def _reads_fallback(amtool: str) -> bool:
    from sfmon.tools.versions import detect

    found = detect(amtool)
    assert found is not None, amtool
    return found >= (0, 27)


@pytest.mark.matrix
def test_matcher_lines_as_each_amtool_reads_them(amtool, tmp_path):
    """Every matcher line of the classic, UTF-8 and fallback suites: this toolset's amtool
    accepts exactly the lines sfmon accepts for its release (fallback mode from 0.27, the
    classic parser before), reads each as sfmon does, and refuses the others."""
    new = _reads_fallback(amtool)
    lines = [c["input"] for c in MATCHERS["cases"]] + [c["input"] for c in UTF8["cases"] if c["upstream"]["test"] == "TestMatchers"]
    lines += [c["input"] for g in COMPAT["groups"] if not g.get("single") for c in g["cases"]]
    lines = list(dict.fromkeys(lines))
    read = [(text, _fallback(text) if new else _classic(text)) for text in lines]
    accepted = [(t, r) for t, r in read if r is not None]
    refused = [t for t, r in read if r is None]
    assert len(accepted) >= 60 and len(refused) >= 15
    if new:
        assert sum(1 for t, _ in accepted if _classic(t) is None) >= 15  # lines only the UTF-8 parser reads
    routes = "".join(f"  - {{receiver: r, matchers: [{yaml_string(t)}]}}\n" for t, _ in accepted)
    path = _config(tmp_path, "lines.yml", f"route:\n  receiver: r\n  routes:\n{routes}receivers: [{{name: r}}]\n")
    out = _amtool(amtool, "config", "routes", f"--config.file={path}")
    assert out.returncode == 0, out.stdout + out.stderr
    shown = [line.split("── ", 1)[1].rsplit("  receiver:", 1)[0] for line in out.stdout.splitlines() if "── " in line]
    assert shown[1:] == [_printed_by(r, new) for _, r in accepted]
    for i, text in enumerate(refused):
        path = _config(tmp_path, f"refused{i}.yml", f"route:\n  receiver: r\n  matchers: [{yaml_string(text)}]\nreceivers: [{{name: r}}]\n")
        assert _amtool(amtool, "check-config", path).returncode != 0, text


# sfmon's own cases: routes only the UTF-8 parser reads, and label sets as amtool's command
# line takes them (compat.Matcher: fallback mode for each `name=value` from 0.27).
_UTF8_ROUTES = """route:
  receiver: default
  routes:
    - {receiver: dotted, matchers: ['"service.name"="api"']}
    - {receiver: quoted, matchers: ['{"team"="db", "env"=~"prod|stage"}']}
    - {receiver: tab, matchers: ['"msg"="tab\\there"']}
    - {receiver: emoji, matchers: ['"🙂"=~"y.*", x!=1']}
    - {receiver: classic, matchers: ['team=db']}
receivers: [{name: default}, {name: dotted}, {name: quoted}, {name: tab}, {name: emoji}, {name: classic}]
"""
_LABEL_SETS = [
    ["service.name=api"],  # an unquoted UTF-8 name on the command line
    ['"service.name"="api"'],
    ["team=db", "env=prod"],
    ["team=db", "env=dev"],
    ['msg="tab\\there"'],  # the classic parser reads it (a backslash and a t) and wins
    ['"msg"="tab\\there"'],  # only the UTF-8 parser reads it: a tab
    ['"🙂"=yes'],
    ['"🙂"=yes', "x=1"],
    ["team=web"],
]


@pytest.mark.matrix
def test_utf8_routes_as_each_amtool_routes_them(amtool, tmp_path):
    """On 0.27+ amtool routes every label set where sfmon's evaluation of the same file, read
    in fallback mode, says; 0.25 refuses the file, as sfmon's classic reading does."""
    from ruamel.yaml import YAML

    path = _config(tmp_path, "utf8.yml", _UTF8_ROUTES)
    config = YAML(typ="safe", pure=True).load(_UTF8_ROUTES)
    if not _reads_fallback(amtool):
        assert _amtool(amtool, "check-config", path).returncode != 0
        with pytest.raises(MatcherError):
            routing.from_config(config)
        return
    tree = routing.from_config(config, fallback=True)
    seen = set()
    for args in _LABEL_SETS:
        labels = {m.name: m.value for m in (parse_one(a, fallback=True) for a in args)}
        want = routing.receivers(tree, labels)
        seen.update(want)
        out = _amtool(amtool, "config", "routes", "test", f"--config.file={path}", f"--verify.receivers={','.join(want)}", *args)
        assert out.returncode == 0, (args, want, out.stdout, out.stderr)
    assert seen == {"default", "dotted", "quoted", "tab", "emoji", "classic"}
