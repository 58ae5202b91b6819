"""sfmon's PromQL arithmetic against Prometheus's own PromQL test scripts, per Prometheus
line, and (for 2.42) the very same evaluations by the installed promtool, exactly.

The loader evaluates the forms sfmon's kinds predict, with sfmon's functions: a selector
(lookback), rate() and increase() of one, sum [by|without] of either, histogram_quantile()
of either."""

from __future__ import annotations

import json
import math
import re
import subprocess
from decimal import Decimal
from typing import Any

import promql_parser
import pytest
from cases import load

from sfmon.semantics import promql
from sfmon.semantics.matchers import Matcher
from sfmon.semantics.units import Duration

PROMQL = load("promql.yaml")
VERSIONS = {"2.42": promql.PROMETHEUS_2_42, "3": promql.PROMETHEUS_3}
_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"')
_TERM = re.compile(r"^(-?[\d.]+)(?:([+-])([\d.]+))?x(\d+)$")


def _labels(text: str) -> dict[str, str]:
    """`name{a="b", c="d"}` or `{a="b"}` -> labels (the name as __name__)."""
    name, _, rest = text.partition("{")
    out = {k: json.loads(f'"{v}"') for k, v in _LABEL.findall(rest)}
    return {"__name__": name, **out} if name else out


def _notation(text: str) -> list[float]:
    """promtool's expanding notation, through sfmon's own reading of it (Segment, samples)."""
    segments = []
    for term in text.split():
        m = _TERM.match(term)
        if m:
            start, sign, step, times = m.groups()
            delta = Decimal(step or 0) * (-1 if sign == "-" else 1)
            segments.append(promql.Segment(Decimal(start), delta, int(times)))
        else:
            segments.append(promql.Segment(Decimal(term), Decimal(0), 0))
    return promql.samples(segments)


def _quantile(node: Any) -> float:
    if isinstance(node, promql_parser.NumberLiteral):
        return float(node.val)
    if isinstance(node, promql_parser.ParenExpr):
        return _quantile(node.expr)
    if isinstance(node, promql_parser.BinaryExpr) and str(node.op) == "/":
        return _quantile(node.lhs) / _quantile(node.rhs)
    if isinstance(node, promql_parser.UnaryExpr):
        return -_quantile(node.expr)
    raise ValueError(f"not a number: {node}")


def _le(text: str) -> float | None:
    try:
        return float(text)  # Go's ParseFloat takes the same spellings used here (+Inf, 1e0, .2)
    except ValueError:
        return None


def evaluate(case: dict, version: promql.Version) -> dict[frozenset, float]:
    """The case's expression as sfmon predicts it: output label set -> value."""
    step = Duration(case["load"]).ms
    at = Duration(case["eval"]["at"]).ms
    series = [(_labels(sel), _notation(values)) for sel, values in case["series"].items()]
    ast = promql_parser.parse(case["eval"]["expr"])

    def vector(node: Any) -> list[tuple[dict[str, str], float]]:
        if isinstance(node, promql_parser.ParenExpr):
            return vector(node.expr)
        if isinstance(node, promql_parser.AggregateExpr) and str(node.op) == "sum":
            mod = node.modifier
            without = mod is not None and str(mod.type) == "AggModifierType.Without"
            names = set(mod.labels) if mod is not None else set()
            sums: dict[frozenset, list[float]] = {}
            for ls, v in vector(node.expr):
                keep = {k: x for k, x in ls.items() if k != "__name__" and ((k not in names) if without else (k in names))}
                sums.setdefault(frozenset(keep.items()), []).append(v)
            return [(dict(k), promql.fsum(vs)) for k, vs in sums.items()]  # in input order, as Prometheus adds
        if isinstance(node, promql_parser.VectorSelector):
            ms = [Matcher(m.name, _OPS[str(m.op)], m.value) for m in node.matchers.matchers]
            picked = [(ls, vs) for ls, vs in series if ls["__name__"] == node.name and all(m.matches(ls) for m in ms)]
            got = [(ls, promql.gauge(vs, step, at, version)) for ls, vs in picked]
            return [(ls, v) for ls, v in got if v is not None]
        if isinstance(node, promql_parser.Call) and node.func.name in ("rate", "increase"):
            sel = node.args[0]
            rng = int(sel.range.total_seconds() * 1000)
            inner = sel.vector_selector
            ms = [Matcher(m.name, _OPS[str(m.op)], m.value) for m in inner.matchers.matchers]
            out = []
            for ls, vs in series:
                if ls["__name__"] == inner.name and all(m.matches(ls) for m in ms):
                    v = promql.rate(vs, step, at, rng, is_rate=node.func.name == "rate", version=version)
                    if v is not None:
                        out.append(({k: x for k, x in ls.items() if k != "__name__"}, v))
            return out
        if isinstance(node, promql_parser.Call) and node.func.name == "histogram_quantile":
            q = _quantile(node.args[0])
            groups: dict[frozenset, list[tuple[float, float]]] = {}
            for ls, v in vector(node.args[1]):
                le = _le(ls.get("le", ""))
                if le is None:
                    continue  # no usable bucket bound: upstream skips the sample
                key = frozenset((k, x) for k, x in ls.items() if k not in ("le", "__name__"))
                groups.setdefault(key, []).append((le, v))
            return [(dict(k), promql.bucket_quantile(q, b)) for k, b in groups.items()]
        raise ValueError(f"the loader does not evaluate {case['eval']['expr']!r}")

    return {frozenset(ls.items()): v for ls, v in vector(ast)}


def _expected(case: dict) -> dict[frozenset, float]:
    return {frozenset(_labels(k).items()): float(v) for k, v in case["expect"].items()}


def _close(a: float, b: float) -> bool:
    """promqltest's comparison: equal, both NaN, or within a relative 1e-6."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=1e-6)


_CASES = [
    (f"{c['upstream']['file'].rsplit('/', 1)[1]}:{c['upstream']['line']}@{v}", c, v)
    for c in PROMQL["cases"]
    for v in c["prometheus"]
]


@pytest.mark.parametrize("case,version", [(c, v) for _, c, v in _CASES], ids=[i for i, _, _ in _CASES])
def test_promql(case, version):
    got = evaluate(case, VERSIONS[version])
    want = _expected(case)
    assert got.keys() == want.keys(), (got, want)
    for k, v in want.items():
        assert _close(got[k], v), (dict(k), got[k], v)


def _series_text(labels: frozenset) -> str:
    ls = dict(labels)
    inner = ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(ls.items()) if k != "__name__")
    return ls.get("__name__", "") + "{" + inner + "}"


def test_promtool_242_computes_exactly_what_sfmon_predicts(promtool, tmp_path):
    """Every 2.42 case as a promtool rule test whose expected samples are sfmon's
    predictions, digit for digit (promtool compares float64 exactly). NaN never equals
    itself there, so an evaluation with NaN samples is asked twice: `E == E` (the samples
    that are numbers) and `E != bool E` (1 exactly where E is NaN). promtool's harness
    loads input series only up to the last evaluation step before an eval_time, so the
    file steps every second (8000s is then a step, as for upstream's engine)."""
    groups = []
    compared = [c for c in PROMQL["cases"] if "2.42" in c["prometheus"]]
    for i, c in enumerate(compared):
        expr, got = c["eval"]["expr"], evaluate(c, promql.PROMETHEUS_2_42)
        if any(math.isnan(v) for v in got.values()):
            asks = [
                (f"({expr}) == ({expr})", {ls: v for ls, v in got.items() if not math.isnan(v)}),
                (f"({expr}) != bool ({expr})", {_no_name(ls): float(math.isnan(v)) for ls, v in got.items()}),
            ]
        else:
            asks = [(expr, got)]
        groups.append(
            {
                "name": f"case {i}: {expr} at {c['eval']['at']}",
                "interval": c["load"],
                "input_series": [{"series": s, "values": v} for s, v in c["series"].items()],
                "promql_expr_test": [
                    {"expr": e, "eval_time": c["eval"]["at"], "exp_samples": [{"labels": _series_text(ls), "value": v} for ls, v in want.items()]}
                    for e, want in asks
                ],
            }
        )
    assert len(groups) == len(compared) >= 35
    (tmp_path / "empty.yml").write_text("groups: []\n")
    text = "rule_files: [empty.yml]\nevaluation_interval: 1s\ntests:\n" + "".join(f"  - {json.dumps(g)}\n" for g in groups)
    text = text.replace('"value": Infinity', '"value": .inf').replace('"value": -Infinity', '"value": -.inf')
    (tmp_path / "t.yml").write_text(text)
    out = subprocess.run([promtool, "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def _no_name(labels: frozenset) -> frozenset:
    return frozenset((k, v) for k, v in labels if k != "__name__")
