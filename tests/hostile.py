"""The hostile-value sweep (tests/test_hostile.py, `make hostile`): every leaf field of the
spec, found by walking the models over a real spec, gets every hostile value of its type;
each mutant must keep sfmon's promise.

A mutant is refused (a SpecError or error problems, each placed: line, column, the field)
or rendered; a rendered mutant's files must be accepted by every consumer and read back as
written. Fast by design: load, check and render run in process for every mutant; the real
tools run only for files that differ from the unmutated render, once per distinct content
(the rule tests split per alert, so one changed alert is one small promtool run), on a
bounded pool.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import math
import os
import random
import re
import shutil
import tempfile
import time
import types
import typing
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Union, get_args, get_origin

from pydantic import BaseModel
from ruamel.yaml import YAML

from sfmon.model import Spec
from sfmon.problems import Severity, SpecError

# --- the hostile values, by the type of the field they go into ----------------------------

LONG = "x" * 5000
STRINGS: tuple[Any, ...] = (
    "", " ", "\0", "a\0b", "\x01", "\t", "a\tb", "\n", "a\nb", "\r", "\x7f", "\x1b[31m",
    "a\x85b", "a\u2028b", "a\u2029b", "\ufeff", "a\ufeffb", "\u200b",
    "$", "$$", "a$b", "$HOME", "${HOME}", "$__file{/etc/passwd}", "$__env{HOME}",
    "{{", "}}", "{{ $value }}", "{{ .Labels.x", "a}b", "}", "{", "[", "]", "a,b",
    '"', "'", "a\"b'c", "\\", "a\\b", "\\n", "#", "a #b", ": ", "- x", "*x", "&x", "!!binary x", "%x", "@x", "`x`",
    "..", "../../etc/passwd", "/run/secrets/../../etc/shadow", "/run/secrets/a}b", "/run/secrets/$x", "/run/secrets/a b",
    "http://host:80", "https://host:443/path", "host:80/path", "host", "host:", ":80", "host:99999", "[::1]:80",
    "file:///etc/passwd", "javascript:alert(1)", "smtp.example.com",
    "null", "~", "yes", "no", "0x10", "1e3", ".inf", "-1",
    "٣", "١٠", "５", "5m", "5%", "🔥", "é", "\U0001f600" * 3, LONG,
)  # fmt: skip
NUMBERS: tuple[Any, ...] = (
    math.nan, math.inf, -math.inf, 1e308, 2**63, 2**64, 10**400, -1, -0.5, 0, -0.0, 0.0, 1e-320, 1e-9, 0.1, 0.5,
    1, 100, 101, 1000, True, "١٠", "5", "5%", None, [], {},
)  # fmt: skip
DURATIONS: tuple[Any, ...] = (
    "0s", "0", "1ms", "999ms", "1s", "1w", "4w", "1y", "292y", "293y", "10000000y", "-5m", "5M", "5 m", " 5m ", "5m\0",
    "٥m", "５m", "1h30m15s5ms", "1m1h", "1.5m", "", 300, 1.5, math.nan, None, True,
)  # fmt: skip
PERCENTS: tuple[Any, ...] = (
    "0%", "100%", "100.0001%", "150%", "1e3%", "-1%", "nan%", "inf%", "٥%", "5 %", "%", "5", 0.05, 5, math.nan, None,
)  # fmt: skip
BOOLS: tuple[Any, ...] = ("true", "yes", 1, 0, None, "\0")
# Shapes that fit no leaf: the loader must say so, in place.
SHAPES: tuple[Any, ...] = (None, [], {}, ["a"], {"a": 1})

VALUES = {"str": STRINGS, "number": NUMBERS, "duration": DURATIONS, "percent": PERCENTS, "bool": BOOLS}


# --- walking the models over a spec -------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """One leaf field as it occurs in a spec: where (`path` into the data; a mapping key
    when `key` is set), its schema path (indices and keys generalised), its kind."""

    path: tuple[Any, ...]
    schema: str
    kind: str
    key: bool = False
    present: bool = True


def _unwrap(ann: Any) -> Any:
    while get_origin(ann) is typing.Annotated:
        ann = get_args(ann)[0]
    return ann


def _members(ann: Any) -> list[Any]:
    ann = _unwrap(ann)
    if get_origin(ann) in (Union, types.UnionType):
        return [_unwrap(a) for a in get_args(ann) if a is not type(None)]
    return [ann]


def _kind(ann: Any) -> str:
    text = repr(ann)
    if "Percent" in text:
        return "percent"
    if "Duration" in text:
        return "duration"
    members = _members(ann)
    if all(m is bool for m in members):
        return "bool"
    if any(m in (int, float, Decimal) for m in members):
        return "number"
    return "str"


def _model_for(members: list[Any], value: Any) -> type[BaseModel] | None:
    """The model a mapping is read as: by its `kind` (alert kinds), else the first model
    whose fields hold all its keys."""
    models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
    if not models or not isinstance(value, dict):
        return None
    for m in models:
        kind = m.model_fields.get("kind")
        if kind is not None and value.get("kind") in get_args(kind.annotation):
            return m
    for m in models:
        names = {f.alias or n for n, f in m.model_fields.items()} | set(m.model_fields)
        if set(value) <= names:
            return m
    return models[0]


def _generic(schema: str, model: type[BaseModel] | None, value: Any) -> str:
    if model is not None and "kind" in model.model_fields and isinstance(value, dict):
        return f"{schema}<{value.get('kind')}>"
    return schema


def leaves(model: type[BaseModel], data: dict, path: tuple = (), schema: str = "", walked: set[str] | None = None) -> Iterator[Leaf]:
    """Every leaf of `data` read as `model`, and every leaf field the model has that `data`
    leaves out (it may be added). `walked` collects the names of the models met."""
    if walked is not None:
        walked.add(model.__name__)
    for name, info in model.model_fields.items():
        key = info.alias or name
        ann = info.annotation
        sub = f"{schema}.{key}" if schema else key
        if key in data:
            yield from _value(ann, data[key], (*path, key), sub, walked)
        elif _leaf_type(ann):
            yield Leaf((*path, key), sub, _kind(ann), present=False)


def _leaf_type(ann: Any) -> bool:
    for m in _members(ann):
        if isinstance(m, type) and issubclass(m, BaseModel):
            return False
        if get_origin(m) in (list, dict):
            return False
    return True


def _value(ann: Any, value: Any, path: tuple, schema: str, walked: set[str] | None = None) -> Iterator[Leaf]:
    members = _members(ann)
    model = _model_for(members, value)
    if model is not None:
        yield from leaves(model, value, path, _generic(schema, model, value), walked)
        return
    for m in members:
        origin = get_origin(m)
        if origin is list and isinstance(value, list):
            (item,) = get_args(m) or (Any,)
            for i, v in enumerate(value):
                yield from _value(item, v, (*path, i), f"{schema}[]", walked)
            return
        if origin is dict and isinstance(value, dict):
            k_ann, v_ann = get_args(m) or (str, Any)
            for k, v in value.items():
                yield Leaf((*path, k), f"{schema}{{key}}", "str", key=True)
                yield from _value(v_ann, v, (*path, k), f"{schema}{{}}", walked)
            return
    yield Leaf(path, schema, _kind(ann))


def distinct_leaves(data: dict) -> list[Leaf]:
    """One occurrence of each schema path (the first): a field, not each of its copies."""
    seen: dict[str, Leaf] = {}
    for leaf in leaves(Spec, data):
        seen.setdefault(f"{leaf.schema}{'=' if leaf.present else '+'}", leaf)
    return list(seen.values())


# --- mutants ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutant:
    base: str  # the spec it came from
    leaf: Leaf
    value: Any

    @property
    def name(self) -> str:
        return f"{Path(self.base).stem}:{dotted(self.leaf.path)}{' (key)' if self.leaf.key else ''}={_show(self.value)}"


def dotted(path: tuple) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def mutants(base: str, data: dict) -> list[Mutant]:
    out = []
    for leaf in distinct_leaves(data):
        values = STRINGS if leaf.key else VALUES[leaf.kind] + (() if leaf.kind == "str" else STRINGS[:20])
        out += [Mutant(base, leaf, v) for v in values]
        if not leaf.key:
            out += [Mutant(base, leaf, v) for v in SHAPES if v not in values]
    return out


def apply(data: dict, mutant: Mutant) -> dict:
    new = copy.deepcopy(data)
    *parents, last = mutant.leaf.path
    node: Any = new
    for p in parents:
        node = node[p]
    if mutant.leaf.key:
        if not isinstance(mutant.value, str) or mutant.value in node:
            return new
        node[mutant.value] = node.pop(last)
    else:
        node[last] = mutant.value
    return new


def dump(data: Any) -> str:
    """Block YAML, every string double-quoted (sfmon's own YAML string quoting, which the
    loader must read back exactly: `judge` checks it did). ruamel's dumper took 75-330 ms
    for the default spec, ten times the load, check and render it feeds."""
    out: list[str] = []
    _emit(data, 0, out)
    return "".join(out)


def _scalar(value: Any) -> str:
    from sfmon.semantics.quoting import yaml_string

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (math.inf, -math.inf):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return yaml_string(str(value))


def _emit(node: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(node, dict):
        if not node:
            out.append(f"{pad}{{}}\n")
        for k, v in node.items():
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{_scalar(k)}:\n")
                _emit(v, indent + 2, out)
            else:
                out.append(f"{pad}{_scalar(k)}: {_flat(v)}\n")
    elif isinstance(node, list):
        if not node:
            out.append(f"{pad}[]\n")
        for v in node:
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}-\n")
                _emit(v, indent + 2, out)
            else:
                out.append(f"{pad}- {_flat(v)}\n")
    else:
        out.append(f"{pad}{_scalar(node)}\n")


def _flat(v: Any) -> str:
    return ("{}" if isinstance(v, dict) else "[]") if isinstance(v, (dict, list)) else _scalar(v)


def same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN (the dump of a mutant must read back as the mutant)."""
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


# --- the promise ----------------------------------------------------------------------------


@dataclass
class Result:
    mutant: Mutant
    outcome: str  # "refused", "rendered" or "broken" (the promise is not kept)
    detail: str = ""
    files: dict[str, str] = field(default_factory=dict)
    # Rule test groups the spec wrote itself ("Alert: test name"): when a mutation makes
    # one fail, validate refuses the spec with that test's failure, which keeps the promise.
    own_tests: frozenset[str] = frozenset()
    jobs: list["Job"] = field(default_factory=list)  # the tool runs it needs beyond the base's


_FIELD = re.compile(r"^[A-Za-z_][\w.\[\]{}<>'\" :/*@+,=-]*?: ")


def placed(problems: list, file: str) -> str:
    """'' when every error problem is placed in the spec (file, line, column, a field), else why not."""
    errors = [p for p in problems if p.severity >= Severity.ERROR]
    if not errors:
        return "refused without an error problem"
    for p in errors:
        if p.file != file or p.line < 1 or p.column < 1:
            return f"not placed in the spec: {p}"
        if not p.message or "Traceback" in p.message:
            return f"no message: {p}"
    return ""


def judge(mutant: Mutant, data: dict) -> Result:
    """Load, check and render one mutant in process."""
    from sfmon.pipeline import check, load_text, render

    file = f"hostile/{Path(mutant.base).name}"
    mutated = apply(data, mutant)
    text = dump(mutated)
    try:
        from sfmon.spec.loader import parse_yaml

        if not same(parse_yaml(file, text), mutated):
            return Result(mutant, "broken", "the sweep's own YAML dump does not read back as the mutant (fix tests/hostile.py)")
    except SpecError:
        pass  # refused as YAML: judged below
    try:
        try:
            loaded = load_text(file, text)
        except SpecError as exc:
            why = placed(exc.problems, file)
            return Result(mutant, "broken" if why else "refused", why or str(exc.problems[0]))
        problems = check(loaded)
        if any(p.severity >= Severity.ERROR for p in problems):
            why = placed(problems, file)
            return Result(mutant, "broken" if why else "refused", why or str(problems[0]))
        try:
            files = render(loaded)
        except SpecError as exc:
            return Result(mutant, "broken", f"render refused after the checks passed: {exc.problems[0]}")
    except Exception as exc:  # an internal error: exactly what the sweep looks for
        return Result(mutant, "broken", f"internal error {type(exc).__name__}: {exc}"[:300])
    own = frozenset(f"{a.name}: {t.name}" for a in loaded.spec.alerts for t in a.tests)
    return Result(mutant, "rendered", files=files, own_tests=own)


# --- consumers that interpolate `$` ---------------------------------------------------------

_COMPOSE_VAR = re.compile(r"\$(?:\$|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))?")


def compose_value(text: str) -> str:
    """What Compose reads from a string of docker-compose.yml: `$$` is `$`, `${VAR...}` and
    `$VAR` are variables (empty here); any other `$` is an error ("invalid interpolation format")."""

    def sub(m: re.Match) -> str:
        whole = m.group(0)
        if whole == "$$":
            return "$"
        if whole == "$" or (m.group(1) is not None and not re.match(r"[A-Za-z_][A-Za-z0-9_]*(?:(?::?[-?+]).*)?$", m.group(1), re.S)):
            raise ValueError(f"invalid interpolation format in {text!r}")
        return ""

    return _COMPOSE_VAR.sub(sub, text)


_GRAFANA_EXPANSION = re.compile(r"\$(__\w+)\{([^}]*)\}|\$\{(\w+)\}|\$(\w+)")


def grafana_value(text: str) -> str:
    """What Grafana's provisioning reads from a string (pkg/services/provisioning/values):
    split on `$$` (a literal `$`), then `$__file{path}` and friends expand (the path ends at
    the first `}`; shown here as `<file:path>`), `$VAR` and `${VAR}` are variables (empty)."""

    def sub(m: re.Match) -> str:
        if m.group(1):
            return f"<{m.group(1)[2:]}:{m.group(2)}>"
        return ""

    return "$".join(_GRAFANA_EXPANSION.sub(sub, part) for part in text.split("$$"))


def _reader(rel: str) -> Any:
    if rel == "docker-compose.yml":
        return compose_value
    if rel.startswith("grafana/provisioning/"):
        return grafana_value
    return None


# Alertmanager's template functions (template/template.go DefaultFuncs), for reading
# notifications/*.tmpl as Alertmanager's Go template parser does.
_AM_FUNCS = frozenset({
    "toUpper", "toLower", "title", "trimSpace", "join", "match", "safeHtml", "safeUrl", "urlUnescape",
    "reReplaceAll", "stringSlice", "date", "tz", "since", "humanizeDuration", "toJson",
})  # fmt: skip


def _go_template_strings(text: str) -> list[str]:
    """The text and the string constants of a Go template file, as its parser reads them."""
    from sfmon.semantics.goparse import Pipe, parse

    out: list[str] = []

    def pipe(p: Pipe | None) -> None:
        for cmd in p.cmds if p else []:
            for arg in cmd.args:
                if isinstance(arg, Pipe):
                    pipe(arg)
                elif arg.kind == "string":
                    out.append(arg.value)

    def nodes(ns: list) -> None:
        for n in ns:
            if n.kind == "text":
                out.append(n.text)
            pipe(n.pipe)
            nodes(n.body)
            nodes(n.else_body or [])

    t = parse(text, _AM_FUNCS, ())
    nodes(t.root)
    for body in t.defines.values():
        nodes(body)
    return out


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON (Grafana's parser refuses it)")

    return json.loads(text, parse_constant=refuse)


_safe = YAML(typ="safe")


def _yaml(text: str) -> Any:
    """ruamel's safe load; through sfmon's fast path when it vouches for the same result (the
    large rule-test files of every mutant)."""
    from sfmon.spec import fastyaml

    data = fastyaml.load(text) if fastyaml.available() else None
    return _safe.load(text) if data is None else data


def scalars(files: dict[str, str]) -> dict[str, list[str]]:
    """Every string (values and keys) of every parsed output file, as its consumer reads it."""
    out: dict[str, list[str]] = {}
    for rel, text in files.items():
        try:
            if rel.endswith(".tmpl"):
                out[rel] = _go_template_strings(text)
                continue
            data = _strict_json(text) if rel.endswith(".json") else _yaml(text)
        except Exception as exc:  # noqa: BLE001 - any parser error means the consumer refuses the file
            raise ValueError(f"{rel} does not parse: {' '.join(str(exc).split())[:200]}") from None
        if rel.startswith("operator/") and isinstance(data, dict):
            # A Secret or ConfigMap carries a whole file: its consumer (Alertmanager, Grafana)
            # reads that file's values, not the file as one string.
            for field in ("stringData", "data"):
                for k, v in list((data.get(field) or {}).items()):
                    data[field][k] = _strict_json(v) if k.endswith(".json") else _yaml(v)
        read = _reader(rel)
        found: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    walk(k)
                    walk(v)
                    if k == "expr" and isinstance(v, str):  # rules and dashboards: PromQL reads it
                        found.extend(_promql_strings(v))
                    if k == "replacement" and isinstance(v, str):  # relabelling expands it: $$ is a $
                        found.append(v.replace("$$", "$"))
            elif isinstance(node, list):
                for v in node:
                    walk(v)
            elif isinstance(node, str):
                found.append(read(node) if read else node)
                if matchers_too:
                    found.extend(_matcher_values(node))

        matchers_too = rel.endswith("alertmanager.yml") or rel.startswith("operator/")
        walk(data)
        out[rel] = found
    return out


def _promql_strings(expr: str) -> list[str]:
    """The names, label names, matcher values and string literals of a PromQL expression, as
    Prometheus reads them (quoted names decoded); [] when it does not parse."""
    import promql_parser as pp

    from sfmon.semantics.names import nodes

    try:
        ast = pp.parse(expr)
    except Exception:  # noqa: BLE001 - not PromQL (a dashboard's $variable, a plain name)
        return []
    out: list[str] = []
    for node in nodes(ast, pp):
        if isinstance(node, pp.VectorSelector):
            out += [node.name] if node.name else []
            ms = node.matchers
            out += [x for m in [*ms.matchers, *(m for group in ms.or_matchers for m in group)] for x in (m.name, m.value)]
        elif isinstance(node, pp.StringLiteral):
            out.append(node.val)
        modifier = getattr(node, "modifier", None)
        if modifier is not None:
            out += list(getattr(modifier, "labels", None) or ())
            out += list(getattr(getattr(modifier, "matching", None), "labels", None) or ())
            out += list(getattr(modifier, "group_labels", None) or ())
    return out


def _matcher_values(text: str) -> list[str]:
    """The names and values a matcher line holds as Alertmanager reads them (`severity="a\\"b"`
    holds `a"b`); amtool's check-config and route tests judge the same lines with the real parser."""
    from sfmon.semantics.matchers import parse

    if "=" not in text and "~" not in text:
        return []
    try:
        return [x for m in parse(text, fallback=True) for x in (m.name, m.value)]
    except ValueError:
        return []


def _file_reference(value: str) -> str:
    """How a Grafana file reference reads back, for comparing with the spec's path."""
    return f"<file:{value}>"


def read_back(mutant: Mutant, original: Any, base: dict[str, list[str]], files: dict[str, str]) -> str:
    """'' when the mutated string reaches every output file the original value reached, as
    its consumer reads it; else the file where it did not. A file "carried" the field when
    the mutation took occurrences of the original value away from it."""
    try:
        now = scalars(files)  # the files that differ from the unmutated render (the rest read back as it did)
    except ValueError as exc:
        return f"a consumer refuses the output: {exc}"
    if mutant.leaf.kind != "str" or not isinstance(mutant.value, str) or not isinstance(original, str) or len(original) < 3:
        return ""  # durations, numbers and percentages are values, rendered in their own form
    if original in mutant.value:
        return ""
    for rel, strings in base.items():
        if rel not in now or rel.startswith("tests/"):
            continue  # the tests hold expanded templates; promtool and amtool judge those
        grafana = rel.startswith("grafana/provisioning/")
        for w in ([original, _file_reference(original)] if grafana else [original]):
            before = sum(s.count(w) for s in strings)
            after = sum(s.count(w) for s in now.get(rel, ()))
            if before > after:
                hostile = mutant.value if w == original else _file_reference(mutant.value)
                # A selector or expression is read as PromQL (`a #b` is `a` and a comment).
                wanted = [hostile] if w != original else _promql_strings(hostile) or [hostile]
                if rel in now and not all(any(h in s or h.strip() in s for s in now[rel]) for h in wanted):
                    return f"{rel} does not read back {mutant.value!r} where the spec had {original!r}"
    return ""


def original_value(data: dict, leaf: Leaf) -> Any:
    node: Any = data
    for p in leaf.path:
        if leaf.key and p == leaf.path[-1]:
            return p
        if isinstance(node, dict) and p in node or isinstance(node, list) and isinstance(p, int) and p < len(node):
            node = node[p]
        else:
            return None
    return node


# --- the real tools, on what changed --------------------------------------------------------


STANDINS = "/@sfmon-standins@"


@dataclass(frozen=True)
class Job:
    key: str
    check: str
    args: tuple[str, ...]
    files: tuple[tuple[str, str], ...]  # (relative path, text) the run needs, stand-ins applied


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def tool_jobs(files: dict[str, str], scratch: Path, standins: Path, promtool: str = "promtool", amtool: str = "amtool") -> list[Job]:
    """The tool runs of one rendered file set, each with the files it reads and a key that
    is the same for the same inputs (so a run is done once however many mutants share it);
    `promtool`: the one of the release the base spec targets."""
    from sfmon.render import outputs
    from sfmon.tools import proofs
    from sfmon.tools.standins import DIRECTORY, prepare
    from sfmon.tools.validate import tool_runs

    work = Path(tempfile.mkdtemp(dir=scratch))
    try:
        for rel, text in files.items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_text(text, encoding="utf-8")
        shutil.copytree(standins, work / DIRECTORY)
        prepare(work)
        runs = [r for r in tool_runs(work, "hostile") if r.check != "promtool/test"]
        rules = work / "alerts.yml"
        for output in (o for o in outputs.OUTPUTS if o.tool is not None and o.tool.check == "promtool/test"):
            tests = work / output.path
            if not tests.is_file() or not rules.is_file() or not proofs.count_rule_cases(tests.read_text(encoding="utf-8")):
                continue
            stem = Path(output.path).name.split(".")[0]
            split = proofs.split_rule_tests(work, tests.read_text(encoding="utf-8"), rules.read_text(encoding="utf-8"), above=0, name=stem)
            if split is None:
                raise AssertionError(f"the rule tests of {output.path} could not be split per alert")
            runs += [types.SimpleNamespace(check="promtool/test", args=("promtool", "test", "rules", f)) for f in split]
        here = str(work / DIRECTORY)  # stand-in paths: the same placeholder in every mutant's files
        texts = {
            p.relative_to(work).as_posix(): p.read_text(encoding="utf-8").replace(here, STANDINS)
            for p in work.rglob("*")
            if p.is_file() and DIRECTORY not in p.parts
        }
        jobs = []
        for r in runs:
            needed = _needs(r.check, r.args, texts)
            args = (promtool, *r.args[1:]) if r.args[0] == "promtool" else (amtool, *r.args[1:]) if r.args[0] == "amtool" else tuple(r.args)
            jobs.append(Job(_digest(r.check, *args, *(t for kv in needed for t in kv)), r.check, args, needed))
        return jobs
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _needs(check: str, args: tuple[str, ...], texts: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The files a run reads: those its arguments name, and what they name in turn (rule
    files of a config or a test); for route tests, the routing config."""
    names = {a for a in args if a in texts}
    if check == "amtool/routes":
        names.add("alertmanager.yml")
    if check == "promtool/config":
        names.add("alerts.yml")
    if check == "amtool/templates":  # the alert's data file and the template files the globs load
        names |= {a.split("=", 1)[1] for a in args if a.startswith("--template.data=")}
        names |= {n for n in texts if n.startswith("notifications/")}
    for a in list(names):
        if a.startswith("tests/split/") and a.endswith(".test.json"):
            names.add(a.replace(".test.json", ".rules.json"))
    return tuple(sorted((n, texts[n]) for n in names))


def run_job(job: Job, scratch: Path, standins: Path) -> list[str]:
    from sfmon.tools import proofs
    from sfmon.tools.runner import Run, run

    work = Path(tempfile.mkdtemp(dir=scratch))
    try:
        for rel, text in job.files:
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_text(text.replace(STANDINS, str(standins)), encoding="utf-8")
        parse = partial(proofs.parse_rule_test_failure, lines={}) if job.check == "promtool/test" else None
        try:
            return [str(p) for p in run(Run(job.check, job.args, job.check, str(work), parse))]
        except Exception as exc:  # sfmon's own reading of the tool's output crashed: an internal error in validate
            return [f"internal error reading {job.check} output: {type(exc).__name__}: {exc}"[:300]]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _own_test_failed(problems: list[str], own: frozenset[str]) -> bool:
    """Whether promtool failed one of the spec's own tests (and nothing else)."""
    return all("promtool/test" in p and any(f'in rule test "{t}"' in p for t in own) for p in problems)


def make_standins(scratch: Path) -> Path:
    from sfmon.tools.standins import standin

    d = scratch / "standins"
    for kind in ("cert", "key", "text"):
        standin(d, kind)
    return d


# --- the sweep ------------------------------------------------------------------------------


@dataclass
class Report:
    fields: int = 0
    values: int = 0
    mutants: int = 0  # judged: all of them, or the sample
    total: int = 0  # every mutant of the base specs
    refused: int = 0
    rendered: int = 0
    tool_runs: int = 0
    broken: list[str] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")

    def summary(self) -> str:
        return (
            f"hostile sweep: {self.fields} fields x {self.values} values = {self.total} mutants"
            f"{'' if self.mutants == self.total else f', a sample of {self.mutants}'}; "
            f"{self.refused} refused in place, {self.rendered} rendered and accepted "
            f"({self.tool_runs} distinct tool runs), {len(self.broken)} broken"
        )


_DATAS: dict[str, Any] = {}
_BASELINES: dict[str, dict[str, str]] = {}
_BASE_SCALARS: dict[str, dict[str, list[str]]] = {}


@dataclass(frozen=True)
class Tools:
    """What a sweep's workers need to build tool jobs (set before they fork)."""

    scratch: Path
    standins: Path
    promtool: dict[str, str]  # by base
    amtool: dict[str, str]
    base_keys: frozenset[str]  # the unmutated renders' runs: judged once, before the sweep


_TOOLS: Tools | None = None


def _setup(bases: list[str]) -> None:
    from sfmon.pipeline import load, render

    for b in bases:
        if b not in _DATAS:
            loaded = load(Path(b))
            _DATAS[b] = loaded.data
            _BASELINES[b] = render(loaded)
            _BASE_SCALARS[b] = scalars(_BASELINES[b])


def judge_fully(mutant: Mutant) -> tuple[Result, float]:
    """judge(), then the read-back of what rendered; only the files that changed are kept.
    With the sweep's tools set: Grafana's schema on changed dashboards, then the tool jobs
    those files need beyond the base's (the files are dropped: jobs carry what they read)."""
    started = time.perf_counter()
    _setup([mutant.base])
    data, baseline = _DATAS[mutant.base], _BASELINES[mutant.base]
    result = judge(mutant, data)
    rendered = result.files  # every file of the mutant's render: a file it no longer writes is gone
    if result.outcome == "rendered":
        result.files = {rel: t for rel, t in result.files.items() if baseline.get(rel) != t}
        why = read_back(mutant, original_value(data, mutant.leaf), _BASE_SCALARS[mutant.base], result.files)
        if why:
            result.outcome, result.detail = "broken", why
    if result.outcome == "rendered" and _TOOLS is not None and result.files:
        from sfmon.tools.dashboards import check_dashboards

        schema = check_dashboards({r: t for r, t in result.files.items() if r.endswith(".json")}, "hostile")
        if schema:
            result.outcome, result.detail = "broken", f"Grafana's schema refuses it: {schema[0]}"
        else:
            t = _TOOLS
            jobs = tool_jobs(rendered, t.scratch, t.standins, t.promtool[mutant.base], t.amtool[mutant.base])
            result.jobs = [j for j in jobs if j.key not in t.base_keys]
        result.files = {}
    return result, time.perf_counter() - started


def _promtool_for(data: dict) -> str:
    """A base that targets Prometheus 3 (full.yaml: 3.5) is judged by a 3.x promtool when one
    is built: what it renders for 3.x (UTF-8 names, quoted) 2.42 rightly refuses."""
    from sfmon.semantics.versions import parse_version

    import toolsets

    version = parse_version(str((data.get("prometheus") or {}).get("version") or "0.0"))
    if version is None or version.major < 3:
        return "promtool"
    built = [n for n in reversed(toolsets.active()) if n != "debian"]
    same = [n for n in built if n.startswith(f"prom-{version.major}.{version.minor}.")]
    for name in same + built:  # the targeted MAJOR.MINOR first
        path = toolsets.all_toolsets()[name].path("promtool")
        if path:
            return path
    return "promtool"  # no 3.x build (a laptop without Go): Debian's, which refuses 3.x-only syntax


def _amtool_for(data: dict) -> str:
    """A base that targets Alertmanager 0.27 or later is judged by a built amtool: it reads
    the UTF-8 label names (group_by, alert labels in route tests) 0.25 rightly refuses."""
    from sfmon.semantics.versions import parse_version

    import toolsets

    version = parse_version(str((data.get("alertmanager") or {}).get("version") or "0.0"))
    if version is None or (version.major, version.minor) < (0, 27):
        return "amtool"
    for name in reversed(toolsets.active()):
        path = toolsets.all_toolsets()[name].path("amtool") if name != "debian" else None
        if path:
            return path
    return "amtool"


def sweep(
    bases: list[Path], sample: int | None = None, seed: int = 14, workers: int = 2, tools: bool = True, shard: tuple[int, int] | None = None
) -> Report:
    """Every mutant of every base spec (or a deterministic sample of `sample` of them; or
    shard k of n, every n-th from the k-th, so a long sweep can run in pieces): judged in
    `workers` processes; the tools run on what changed, `workers` at a time, as the judged
    mutants come in."""
    import multiprocessing

    names = [str(b) for b in bases]
    _setup(names)
    report = Report()
    all_mutants: list[Mutant] = []
    for b in names:
        ms = mutants(b, _DATAS[b])
        report.fields += len({(m.leaf.schema, m.leaf.present, m.leaf.key) for m in ms})
        all_mutants += ms
    report.values = len(set(map(repr, (*STRINGS, *NUMBERS, *DURATIONS, *PERCENTS, *BOOLS, *SHAPES))))
    report.total = len(all_mutants)
    if sample is not None and sample < len(all_mutants):
        all_mutants = random.Random(seed).sample(all_mutants, sample)
    if shard is not None:
        all_mutants = all_mutants[shard[0] - 1 :: shard[1]]
    report.mutants = len(all_mutants)

    global _TOOLS
    shm = Path("/dev/shm")  # scratch in memory where there is some: every rendered mutant writes its files
    scratch_in = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="sfmon-hostile-", dir=scratch_in) as tmp, ThreadPoolExecutor(max_workers=workers) as runner:
        scratch = Path(tmp)
        standins = make_standins(scratch)
        promtools = {b: _promtool_for(_DATAS[b]) for b in names}
        amtools = {b: _amtool_for(_DATAS[b]) for b in names}
        base_keys = frozenset(j.key for b in names for j in tool_jobs(_BASELINES[b], scratch, standins, promtools[b], amtools[b])) if tools else frozenset()
        _TOOLS = Tools(scratch, standins, promtools, amtools, base_keys) if tools else None
        # Tools run as the judged mutants stream in, each distinct run once, beside the judging.
        pending: dict[str, tuple[Any, list[tuple[str, frozenset[str]]]]] = {}
        pool = None
        try:
            if workers > 1:
                pool = multiprocessing.get_context("fork").Pool(workers, _setup, (names,))
                judged: Any = pool.imap_unordered(judge_fully, all_mutants, chunksize=16)
            else:
                judged = map(judge_fully, all_mutants)
            for result, seconds in judged:
                m = result.mutant
                report.slowest = max(report.slowest, (seconds, m.name))
                if result.outcome == "refused":
                    report.refused += 1
                elif result.outcome == "broken":
                    report.broken.append(f"{m.name}: {result.detail}")
                else:
                    report.rendered += 1
                    for job in result.jobs:
                        if job.key not in pending:
                            pending[job.key] = (runner.submit(run_job, job, scratch, standins), [])
                        pending[job.key][1].append((m.name, result.own_tests))
        finally:
            _TOOLS = None
            if pool is not None:
                pool.terminate()
                pool.join()
        report.tool_runs = len(pending)
        for future, users in pending.values():
            problems = future.result()
            if not problems:
                continue
            names_ = [n for n, own in users if not _own_test_failed(problems, own)]
            if names_:
                more = f" (+{len(names_) - 1} more)" if len(names_) > 1 else ""
                report.broken.append(f"{names_[0]}{more}: the tools refuse it: {problems[0]}")
    return report
