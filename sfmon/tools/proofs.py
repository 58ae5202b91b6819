"""Tool runs that prove behaviour: the alert rule tests (promtool test rules) and one amtool
routing test per case, all read from the rendered tests/ files, and their failures turned
into problems that name the alert or the routing case."""

from __future__ import annotations

import json
import os
import re
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from sfmon.problems import Problem, Severity
from sfmon.render import outputs
from sfmon.semantics import names
from sfmon.semantics.matchers import written_name
from sfmon.semantics.quoting import alertmanager_string, go_yaml_json
from sfmon.tools.runner import Run, parse_failure

if TYPE_CHECKING:
    from sfmon.derive import Derived


# Above this many alerts, each alert's tests run against that alert's rule alone: promtool
# evaluates every rule of a test file's rule_files at every step of every test group, so
# one shared rule file makes the cost alerts x groups (hours at 5,000 alerts).
SPLIT_ABOVE = 25
ALERTS_PER_RUN = 250


def rule_test_runs(output: outputs.Output, workdir: Path, label: str) -> list[Run]:
    """promtool test rules on the rendered rule tests: split per alert, or dealt into one
    file per core, or the one file as it is (see split_rule_tests, chunk_rule_tests)."""
    assert output.tool is not None
    path = workdir / output.path
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if not count_rule_cases(text):
        return []
    w = str(workdir)
    parse = partial(parse_rule_test_failure, lines=name_lines(text))
    file = f"{label}/{output.path}"
    rules = workdir / outputs.ALERTS.path
    stem = Path(output.path).name.split(".")[0]  # two test files (alerts, alerts-long) never share scratch names
    split = split_rule_tests(workdir, text, rules.read_text(encoding="utf-8"), name=stem) if rules.is_file() else None
    if split is None:
        chunks = chunk_rule_tests(workdir, text, os.cpu_count() or 1, name=stem)
        return [Run(output.tool.check, output.tool.args(f), file, w, parse) for f in chunks or [output.path]]
    return [
        Run(output.tool.check, output.tool.args(*split[i : i + ALERTS_PER_RUN]), file, w, parse)
        for i in range(0, len(split), ALERTS_PER_RUN)
    ]


def split_rule_tests(workdir: Path, tests_text: str, rules_text: str, above: int | None = None, name: str = "alerts") -> list[str] | None:
    """Per-rule test files (with a rule file holding only that alert's or recording rule's
    rule and the recording rules it reads, transitively) under tests/split/ of the scratch
    directory, or None to run the one file as it is: few alerts, or files sfmon cannot take
    apart (a custom template). Results are the same unless a rule reads another alert's
    ALERTS series."""
    limit = SPLIT_ABOVE if above is None else above
    if len(re.findall(r"(?m)^\s*- alert:", rules_text)) <= limit:
        return None
    tests, rules = _load(tests_text), _load(rules_text)
    try:
        placed = [(gi, r) for gi, g in enumerate(rules["groups"]) for r in g["rules"]]  # file order
        alert_at: dict[str, list[int]] = {}
        for n, (_, r) in enumerate(placed):
            if "alert" in r:
                alert_at.setdefault(str(r["alert"]), []).append(n)
        records: dict[str, list[int]] = {}
        for n, (_, r) in enumerate(placed):
            if "record" in r:
                records.setdefault(names.selector(str(r["record"])), []).append(n)  # as the test's expr reads it
        by_subject: dict[tuple[int, ...], list[Any]] = {}
        for group in tests["tests"]:
            if group.get("alert_rule_test"):
                subject = tuple(alert_at[str(group["alert_rule_test"][0]["alertname"])])  # one rule per tier
            else:
                subject = tuple(records[str(group["promql_expr_test"][0]["expr"]).strip()])
            by_subject.setdefault(subject, []).append(group)
    except (TypeError, KeyError, IndexError, AttributeError):
        return None
    out = workdir / "tests" / "split" / name
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for i, (subject, groups) in enumerate(by_subject.items()):
        keep = _with_recordings(subject, placed, records)
        kept: dict[int, list[Any]] = {}
        for n in sorted(keep):
            kept.setdefault(placed[n][0], []).append(placed[n][1])
        body = [{**_settings(rules["groups"][gi]), "rules": rs} for gi, rs in kept.items()]
        # JSON is YAML: exact, and far faster to write than a YAML dump.
        (out / f"{i}.rules.json").write_text(go_yaml_json({"groups": body}), encoding="utf-8")
        test = {"rule_files": [f"{i}.rules.json"], "evaluation_interval": tests.get("evaluation_interval", "1m"), "tests": groups}
        (out / f"{i}.test.json").write_text(go_yaml_json(test), encoding="utf-8")
        files.append(f"tests/split/{name}/{i}.test.json")
    return files


_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def _with_recordings(subject: tuple[int, ...], placed: list[tuple[int, Any]], records: dict[str, list[int]]) -> set[int]:
    """The rules at `subject` and every recording rule their expressions name, transitively.
    Names are read as words of the expression: a label or function named like a recording
    rule only carries one rule too many, never one too few."""
    keep, todo = set(subject), list(subject)
    while todo:  # bounded: each rule enters once
        n = todo.pop()
        for word in set(_NAME.findall(str(placed[n][1].get("expr", "")))):
            for m in records.get(word, ()):
                if m not in keep:
                    keep.add(m)
                    todo.append(m)
    return keep


def _settings(group: Any) -> dict[str, Any]:
    """A group's name and its own interval and limit, which its rules' results depend on."""
    return {k: group[k] for k in ("name", "interval", "limit") if k in group}


def chunk_rule_tests(workdir: Path, tests_text: str, n: int, name: str = "alerts") -> list[str] | None:
    """The test groups dealt into `n` files that all load the whole rule file, so promtool
    runs on every core with exactly the same rules; None when there is nothing to share."""
    if n < 2:
        return None
    tests = _load(tests_text)
    try:
        groups = list(tests["tests"])
        rule_files = list(tests["rule_files"])  # chunks sit beside the original: same relative paths
    except (TypeError, KeyError):
        return None
    if len(groups) < 2 * n:
        return None
    files = []
    for i in range(n):
        rel = f"tests/{name}-chunk-{i}.test.json"
        body = {"rule_files": rule_files, "evaluation_interval": tests.get("evaluation_interval", "1m"), "tests": groups[i::n]}
        (workdir / rel).write_text(go_yaml_json(body), encoding="utf-8")
        files.append(rel)
    return files


# --- promtool test rules -------------------------------------------------------------------


def _load(text: str) -> Any:
    """Parsed YAML, or None. The C++ fast path when it can vouch for the text (large test
    files), else ruamel."""
    try:
        from sfmon.spec import fastyaml

        data = fastyaml.load(text)
        if data is not None:
            return data
    except ImportError:  # pragma: no cover - fast path not installed
        pass
    from ruamel.yaml import YAML

    try:
        return YAML(typ="safe").load(text)
    except Exception:  # the tools report a broken file; here it only means nothing to split
        return None


def count_rule_cases(text: str) -> int:
    """Checks (eval times) in a rule test file; counted on the text, which is large at scale."""
    return len(re.findall(r"(?m)^\s*-?\s*eval_time:", text))


def load_yaml(text: str) -> Any:
    """A rendered YAML file, parsed as the proofs parse it (None when it does not parse)."""
    return _load(text)


def name_lines(text: str) -> dict[str, int]:
    """1-based line of each `- name: "..."` entry (test groups, routing cases)."""
    out: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r'^\s*- name: (".*")\s*$', line)
        if m:
            try:
                out.setdefault(json.loads(m.group(1)), n)
            except ValueError:
                continue
    return out


_GROUP = re.compile(r"^\s*name: (.*),\s*$")
_ALERT = re.compile(r"^\s*alertname: (.*), time: (\S+?),?\s*$")
_ITEM = re.compile(r'Labels:\{(.*)\}\s*$|Annotations:\{(.*)\}\s*$')
_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _pairs(text: str) -> dict[str, str]:
    return {k: _go_unquote(v) for k, v in _PAIR.findall(text)}


def _go_unquote(v: str) -> str:
    """A label value as promtool prints it (Go escapes); Go's \\x and \\a, which JSON lacks,
    are shown as written rather than crash the report (found by the hostile sweep)."""
    if "\\" not in v:
        return v
    try:
        return json.loads(f'"{v}"')
    except ValueError:
        return v


def _alerts(lines: list[str]) -> list[tuple[dict[str, str], dict[str, str]]]:
    out: list[tuple[dict[str, str], dict[str, str]]] = []
    for line in lines:
        m = _ITEM.search(line.strip())
        if not m:
            continue
        if m.group(1) is not None:
            out.append((_pairs(m.group(1)), {}))
        elif out:
            out[-1] = (out[-1][0], _pairs(m.group(2)))
    return out


def _describe(alerts: list[tuple[dict[str, str], dict[str, str]]]) -> str:
    if not alerts:
        return "no firing alert"
    shown = "; ".join("{" + ", ".join(f'{k}="{v}"' for k, v in sorted(lab.items()) if k != "alertname") + "}" for lab, _ in alerts)
    return f"{len(alerts)} firing alert{'s' if len(alerts) > 1 else ''} {shown}"


def _difference(exp: list[Any], got: list[Any]) -> str:
    if len(exp) == len(got) == 1 and exp[0][0] == got[0][0]:
        (_, ea), (_, ga) = exp[0], got[0]
        diffs = [
            f"annotation {k}: expected {json.dumps(ea.get(k), ensure_ascii=False)}, got {json.dumps(ga.get(k), ensure_ascii=False)}"
            for k in sorted(set(ea) | set(ga))
            if ea.get(k) != ga.get(k)
        ]
        return "the alert fired, but " + "; ".join(diffs)
    return f"expected {_describe(exp)}, got {_describe(got)}"


def parse_rule_test_failure(job: Run, output: str, lines: Mapping[str, int]) -> list[Problem]:
    """One problem per failed check: `alert X at 12m in rule test "...": expected ..., got ...`."""
    problems: list[Problem] = []
    group = ""
    current: list[str] | None = None
    head: tuple[str, str, str] | None = None

    def flush() -> None:
        if head is None or current is None:
            return
        alertname, at, grp = head
        text = "\n".join(current)
        exp_part, _, got_part = text.partition("got:[")
        message = f'alert {alertname} at {at} in rule test "{grp}": ' + _difference(
            _alerts(exp_part.splitlines()), _alerts(got_part.splitlines())
        )
        problems.append(Problem(job.file, lines.get(grp, 0), 1 if grp in lines else 0, job.check, Severity.ERROR, message))

    for raw in output.splitlines():
        g = _GROUP.match(raw)
        a = _ALERT.match(raw)
        if g and not a:
            flush()
            head, current = None, None
            group = g.group(1)
            continue
        if a:
            flush()
            head, current = (a.group(1), a.group(2), group), []
            continue
        if current is not None:
            current.append(raw)
    flush()
    problems += _expr_failures(job, output, lines)
    return problems or parse_failure(job, output)


_EXPR = re.compile(r'^\s*expr: (".*"), time: (\S+?),?\s*$')
_EXP_GOT = re.compile(r"^\s*(exp|got): (.*)$")


def _recorded(group: str) -> str | None:
    """The recording rule a generated test group is named after (recording_tests)."""
    m = re.fullmatch(r"recording rule (.+) \(recording_rules\[\d+\]\)", group, re.S)
    return m[1] if m else None


def _expr_failures(job: Run, output: str, lines: Mapping[str, int]) -> list[Problem]:
    """A failed promql_expr_test (a recording rule's generated test): promtool names the
    expression, not the test group; the group is the one named after that recording rule."""
    out: list[Problem] = []
    rows = output.splitlines()
    for n, raw in enumerate(rows):
        m = _EXPR.match(raw)
        if not m:
            continue
        try:
            expr = json.loads(m.group(1))
        except ValueError:
            continue
        seen = {k: v.strip() for k, v in (x.groups() for x in map(_EXP_GOT.match, rows[n + 1 : n + 3]) if x)}
        group = next((g for g in lines if (r := _recorded(g)) is not None and names.selector(r) == expr), None)
        line = lines.get(group, 0) if group else 0
        message = f"{expr} at {m.group(2)}: expected {seen.get('exp', '?')}, got {seen.get('got', '?')}"
        if group:
            message = f'rule test "{group}": {message}'
        out.append(Problem(job.file, line, 1 if line else 0, job.check, Severity.ERROR, message))
    return out


# --- amtool config routes test -------------------------------------------------------------


def route_runs(output: outputs.Output, workdir: Path, label: str) -> list[Run]:
    """One amtool run per case of the rendered route tests. amtool compares the receivers it
    resolves, in order, with --verify.receivers as one string; the spec's list is a set, so
    when sfmon's own evaluation of the rendered alertmanager.yml (the file amtool reads, built
    once here) resolves the same set, its order is what amtool must confirm."""
    from sfmon.semantics import routing

    assert output.tool is not None
    path = workdir / output.path
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    cases = (_load(text) or {}).get("tests") or []
    tree = None
    am = workdir / outputs.ALERTMANAGER.path
    if am.is_file():
        try:
            # As the newest release reads it: sfmon writes a line only 0.27+ reads only for
            # a spec targeting 0.27+, and an older amtool refuses that file on its own.
            tree = routing.from_config(_load(am.read_text(encoding="utf-8")) or {}, fallback=True)
        except (KeyError, ValueError, TypeError, AttributeError, re.error):
            tree = None  # amtool check-config reports what is wrong with the file
    lines = name_lines(text)
    runs = []
    for case in cases:
        labels = {str(k): str(v) for k, v in (case.get("labels") or {}).items()}
        expected = [str(r) for r in case.get("receivers") or []]
        ours = routing.receivers(tree, labels) if tree is not None else None
        verify = ours if ours is not None and set(ours) == set(expected) else expected
        args = (
            *output.tool.args(),
            f"--config.file={outputs.ALERTMANAGER.path}",
            f"--verify.receivers={','.join(verify)}",
            *(f"{written_name(k)}={alertmanager_string(v)}" for k, v in sorted(labels.items())),  # amtool reads matchers
        )
        name = str(case.get("name", ""))
        parse = partial(parse_route_failure, name=name, labels=labels, expected=expected, ours=ours, line=lines.get(name, 0))
        runs.append(Run(output.tool.check, args, f"{label}/{output.path}", str(workdir), parse))
    return runs


def parse_route_failure(
    job: Run, output: str, name: str, labels: Mapping[str, str], expected: list[str], ours: list[str] | None, line: int
) -> list[Problem]:
    out = [
        s.strip()
        for s in output.splitlines()
        if s.strip() and not s.startswith(("Warning: --config.file", "WARNING: Expected receivers"))
    ]
    where = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
    if not out or out[0].startswith("amtool:") or "=" in out[0]:
        detail = "; ".join(p.message for p in parse_failure(job, output))
        message = f'route test "{name}" ({where}): amtool failed: {detail}'
    else:
        actual = out[0].split(",")
        message = f'route test "{name}" ({where}): expected receivers {", ".join(sorted(expected))}; amtool resolved {", ".join(actual)}'
        if ours is not None and ours != actual:
            message += f" (sfmon's route evaluation gives {', '.join(ours)}: please report this disagreement)"
    return [Problem(job.file, line, 1 if line else 0, job.check, Severity.ERROR, message)]


# --- summary -------------------------------------------------------------------------------


def proof_summary(derived: Derived) -> str:
    """`26 rule test cases (promtool), 11 route tests (amtool); 9 of 9 alerts proven, 2 of 2
    recording rules proven`: what validate ran, for its success line, counted on the derived
    tests (not on the rendered text). A recording rule is proven when a generated test checks
    its value; an alert when a case shows it firing and one shows it quiet."""
    tests = derived.rule_tests
    rules = tests.cases()
    routes = len(derived.route_cases)
    ran = f"{rules} rule test case{'s' if rules != 1 else ''} (promtool), {routes} route test{'s' if routes != 1 else ''} (amtool)"
    # Time has no amtool command: the timed route tests and the generated inside/outside
    # cases of each time interval are sfmon's own evaluation.
    timed = sum(c.at is not None for c in derived.route_cases) + len(derived.interval_cases)
    if timed:
        ran += f", {timed} time-interval case{'s' if timed != 1 else ''} (sfmon)"
    messages = len(derived.message_cases)
    if messages:
        ran += f", {messages} alert notification{'s' if messages != 1 else ''} rendered (amtool)"
    coverage = ", ".join(str(c) for c in tests.coverage)
    return f"{ran}; {coverage}" if coverage else ran
