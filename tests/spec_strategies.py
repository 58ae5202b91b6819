"""Hypothesis strategies that build valid specs (as the raw data a spec file holds).

Free text comes from the whole of Unicode except surrogates, mixed with what breaks naive
YAML, JSON, PromQL and Alertmanager quoting (`: # " ' { } \\ \n`, NEL/LS/PS line breaks, a
byte-order mark, astral characters, YAML keywords), NUL aside (refused wherever it is). Fields Prometheus or Alertmanager
expand as Go templates get text that is a valid template: free text without braces, and
known-good actions such as `{{ $value }}`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

SPECIALS = [
    ":", ": ", "#", " #", '"', "'", "{", "}", "[", "]", ",", "\\", "\\n", "\n", "\r", "\t", "\r\n",
    "&a", "*a", "!", "!!str", "|", ">", "%", "@", "`", "- ", "---", "...", "? ", "<<",
    "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\xa0",
    "😀", "\U0001f525", "\U0010ffff", "é", "ß", "中文", "\u202e",
    "yes", "no", "on", "off", "null", "~", "true", "NaN", ".inf", "0x1F", "1e3", "012", "-",
    "{{ $value }}", "{{", "}}", "$labels", "%s", "${HOME}", "$$",
]  # fmt: skip
TEMPLATE_ACTIONS = [
    "{{ $value }}", "{{ $labels.instance }}", "{{ $labels.job }}", "{{ humanize $value }}",
    "{{ $value | humanizePercentage }}", "{{- $labels.job -}}", "{{ .Labels.job }}",
    '{{ printf "%.2f" $value }}', '{{ printf "%s/%d %5.1e" $labels.job 7 $value }}', "{{ humanizeDuration $value }}",
    "{{ $value | humanize1024 }}", "{{ $labels.instance | stripPort | toUpper }}", "{{ title $labels.job }}",
    '{{ if gt $value 1.0 }}big{{ else }}small{{ end }}', '{{ reReplaceAll "[0-9]" "#" $labels.job }}',
    "{{ $externalLabels.region }}",
]  # fmt: skip

# Alertmanager's notification template data (.Status, .CommonLabels, .Alerts, ...): no $value.
AM_TEMPLATE_ACTIONS = [
    "{{ .CommonLabels.alertname }}", "{{ .Status | toUpper }}", "{{ range .Alerts }}{{ .Annotations.summary }}{{ end }}",
    "{{ len .Alerts }}", '{{ if eq .Status "firing" }}!{{ end }}', "{{ .GroupLabels.job }}", "{{ .CommonAnnotations.summary }}",
    "{{ title .Receiver }}", '{{ join ", " .GroupLabels.Values }}',
]  # fmt: skip

# No NUL: the loader refuses it in any value (no service reads one; tests/test_hostile.py).
any_char = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
any_text = st.lists(st.one_of(st.text(any_char, max_size=8), st.sampled_from(SPECIALS)), max_size=5).map("".join)
nonempty_text = any_text.filter(lambda s: s.strip() != "")
# Grafana replaces $name, ${name} and [[name]] anywhere in a query, quoted or not.
grafana_text = any_text.filter(lambda s: "$" not in s and "[[" not in s)
# Go template text: free text with no brace at all, between valid actions.
plain_piece = st.text(any_char.filter(lambda c: c not in "{}"), max_size=8)
template_text = st.lists(
    st.one_of(plain_piece, st.sampled_from(TEMPLATE_ACTIONS), st.sampled_from([s for s in SPECIALS if "{" not in s and "}" not in s])),
    max_size=5,
).map("".join)
am_template_text = st.lists(
    st.one_of(plain_piece, st.sampled_from(AM_TEMPLATE_ACTIONS), st.sampled_from([s for s in SPECIALS if "{" not in s and "}" not in s])),
    max_size=5,
).map("".join)
nonempty_template = template_text.filter(lambda s: s.strip() != "")

slugs = st.from_regex(r"[a-z0-9]([a-z0-9_-]{0,10}[a-z0-9])?", fullmatch=True)
label_names = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,12}", fullmatch=True).filter(lambda s: not s.startswith("__"))
# PromQL keywords are matched case-insensitively (`max(oN)` is a syntax error in Prometheus
# too), and so are the numbers Inf and NaN.
PROMQL_WORDS = ("bool", "on", "ignoring", "group_left", "group_right", "offset", "by", "without", "and", "or", "unless", "atan2", "inf", "nan")
metric_names = st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,15}", fullmatch=True).filter(lambda s: s.lower() not in PROMQL_WORDS)
# Selectors read plain names: a name with a `:` is a recorded series, which the spec must
# define (recording/references); the recording rules drawn below carry those.
plain_metric_names = metric_names.filter(lambda s: ":" not in s)
alert_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
labels = st.dictionaries(label_names, any_text, max_size=3)
# Alert labels may template $labels but not $value (a label that changes with the value
# makes a new alert every evaluation; sfmon refuses it).
label_template_text = st.lists(
    st.one_of(
        plain_piece,
        st.sampled_from([a for a in TEMPLATE_ACTIONS if "alue" not in a]),
        st.sampled_from([s for s in SPECIALS if "{" not in s and "}" not in s]),
    ),
    max_size=5,
).map("".join)
template_labels = st.dictionaries(label_names.filter(lambda s: s != "severity"), label_template_text, max_size=2)

# Durations stay where promtool runs generated tests in well under a second (up to a few
# hours, i.e. ~1,500 evaluations at 15s), or go far past the 50,000-evaluation cap where
# sfmon skips them: the days-to-weeks band between made one example take ~30 s of promtool
# and is covered by tests/test_ruletests.py instead. Prometheus durations stop at 2^63-1 ns
# (about 292 years); 293y and up is refused at load.
durations = st.one_of(
    st.builds(lambda n, u: f"{n}{u}", st.integers(1, 300), st.sampled_from(["ms", "s", "m"])),
    st.builds(lambda n: f"{n}h", st.integers(1, 6)),
    st.builds(lambda n: f"{n}y", st.integers(20, 292)),
)
short_durations = st.one_of(
    st.builds(lambda n, u: f"{n}{u}", st.integers(1, 120), st.sampled_from(["s", "m"])),
    st.builds(lambda n: f"{n}h", st.integers(1, 6)),
)
percents = st.decimals(0, 100, places=2).map(lambda d: f"{d.normalize():f}%")
shares = st.decimals(0, Decimal("99.99"), places=2).map(lambda d: f"{d.normalize():f}%")  # an error share of 100% never fires: refused
numbers = st.one_of(st.integers(0, 10**12), st.decimals(0, 10**6, places=4).map(lambda d: float(d)))
signed_numbers = st.one_of(st.integers(-(10**9), 10**9), st.decimals(-(10**6), 10**6, places=4).map(lambda d: float(d)))
small_counts = st.one_of(st.integers(0, 40), st.decimals(0, 40, places=1).map(lambda d: float(d)))
optional_by = st.one_of(st.none(), st.lists(label_names, min_size=1, max_size=2, unique=True))


def promql_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


@st.composite
def selectors(draw: Any, values: Any = any_text) -> str:
    name = draw(plain_metric_names)
    matchers = draw(st.dictionaries(label_names.filter(lambda s: s != "job"), values, max_size=2))
    regex = draw(st.dictionaries(label_names.filter(lambda s: s != "job"), st.sampled_from(["5..", ".*", "a|b", "[0-9]+", "(?i)get"]), max_size=1))
    parts = [f"{k}={promql_string(v)}" for k, v in matchers.items() if k not in regex]
    parts += [f"{k}=~{promql_string(v)}" for k, v in regex.items()]
    return name + ("{" + ",".join(parts) + "}" if parts else "")


def _common(draw: Any, name: str, target: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "severity": draw(st.sampled_from(["critical", "warning", "info"])),
        "summary": draw(nonempty_template),
    }
    if target is not None:
        out["target"] = target
    if draw(st.booleans()):
        out["for"] = draw(durations)
    if draw(st.booleans()):
        out["description"] = draw(template_text)
    if draw(st.booleans()):
        out["runbook_url"] = "https://runbooks.example.com/" + draw(st.from_regex(r"[A-Za-z0-9_/-]{0,20}", fullmatch=True))
    if draw(st.booleans()):
        out["labels"] = draw(template_labels)
    if draw(st.booleans()):
        out["annotations"] = draw(st.dictionaries(label_names, template_text, max_size=2))
    if draw(st.integers(0, 3)) == 0:
        out["keep_firing_for"] = draw(short_durations)
    if draw(st.integers(0, 5)) == 0:
        out["enabled"] = False
    return out


GROUPS = ["fast", "slow"]
group_settings = st.fixed_dictionaries(
    {}, optional={"interval": st.sampled_from(["15s", "30s", "1m", "2m"]), "limit": st.integers(0, 1000),
                  "namespace": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,12}", fullmatch=True)},
)  # fmt: skip


@st.composite
def recording_rules(draw: Any, index: int, earlier: list[dict[str, Any]]) -> dict[str, Any]:
    """A recording rule: an aggregation, a ratio or arithmetic of selectors, or of an earlier
    rule's series; optionally in a named group, with plain-text labels."""
    sel = draw(selectors())
    window = draw(st.sampled_from(["1m", "5m", "90s", "10m"]))
    shapes = [
        f"sum by (job) (rate({sel}[{window}]))",
        f"sum(rate({sel}[{window}]))",
        f"avg by (job) ({sel})",
        f"max without (instance) ({sel})",
        f"count by (job) ({sel})",
        f"sum by (job) (increase({sel}[{window}])) / sum by (job) (increase({draw(selectors())}[{window}]))",
        f"{sel} * {draw(st.integers(0, 100))}",
    ]
    if earlier:  # rules of the same group, before this one
        shapes.append(f"sum by (job) ({draw(st.sampled_from(earlier))['record']}) + 1")
    rule: dict[str, Any] = {"record": f"rec{index}:{draw(metric_names)}", "expr": draw(st.sampled_from(shapes))}
    if draw(st.booleans()):
        rule["labels"] = draw(st.dictionaries(label_names, any_text.filter(lambda s: "{{" not in s), max_size=2))
    return rule


@st.composite
def raw_exprs(draw: Any) -> str:
    """A comparison with a constant of the shapes sfmon proves (sfmon.kinds.exprtests), one over
    several series (sfmon.kinds.exprsearch), or one it cannot prove."""
    sel = draw(selectors())
    window = draw(st.sampled_from(["1m", "5m", "90s", "15m"]))
    inner = draw(
        st.sampled_from(
            [sel, f"rate({sel}[{window}])", f"irate({sel}[{window}])", f"increase({sel}[{window}])"]
        )
    )
    agg = draw(st.sampled_from(["", "sum", "avg", "max", "min", "max by (job)", "sum without (instance)"]))
    vector = f"{agg} ({inner})" if agg else inner
    arith = draw(st.sampled_from(["", " * 100", " / 1024", " - 3", "10 - "]))
    vector = f"{arith}{vector}" if arith.endswith("- ") else f"{vector}{arith}"
    op = draw(st.sampled_from([">", "<", ">=", "<=", "==", "!="]))
    constant = draw(st.one_of(st.integers(-100, 100), st.decimals(-1000, 1000, places=3).map(lambda d: f"{d.normalize():f}")))
    if draw(st.integers(0, 9)) == 0:
        return f"{vector} {op} bool {constant}"  # unproven: always a sample
    if draw(st.integers(0, 3)) == 0:  # several series: searched (sfmon.kinds.exprsearch)
        other = draw(selectors())
        return draw(
            st.sampled_from(
                [
                    f"{vector} / {other} {op} {constant}",
                    f"({vector} - {other}) {op} {constant} and {other} > 0",
                    f"{vector} {op} {constant} or {other} == 0",
                    f"{vector} {op} {constant} unless on(job) {other} > 1",
                    f"time() - max_over_time({other}[{window}]) {op} {constant}",
                ]
            )
        )
    return f"{vector} {op} {constant}"


KIND_NAMES = [
    "target_down", "error_ratio", "latency_quantile", "ratio", "slow_events", "threshold",
    "counter_change", "state", "absent", "forecast", "deadline", "count", "expr",
]  # fmt: skip


def _by(draw: Any, a: dict[str, Any]) -> None:
    by = draw(optional_by)
    if by is not None:
        a["by"] = by


@st.composite
def guards(draw: Any) -> dict[str, Any]:
    g: dict[str, Any] = {draw(st.sampled_from(["and", "unless"])): draw(selectors())}
    on = draw(st.one_of(st.none(), st.lists(st.sampled_from(["job", "instance", "service"]), max_size=2, unique=True)))
    if on is not None:
        g["on"] = on
    return g


def _shape(draw: Any, kind: str, a: dict[str, Any], direction: str) -> None:
    """The fields of the kinds for the shapes of public rule sets (counters, states, absence,
    forecasts, deadlines, counts)."""
    if kind == "counter_change":
        function = draw(st.sampled_from(["increase", "delta", "changes", "resets"]))
        value = draw(signed_numbers if function == "delta" else (small_counts if function in ("changes", "resets") else numbers))
        a |= {"metric": draw(selectors()), "function": function, "window": draw(short_durations), direction: value}
        if draw(st.booleans()):
            a["aggregate"] = draw(st.sampled_from(["sum", "max", "min", "avg"]))
        _by(draw, a)
    elif kind == "state":
        a |= {"metric": draw(selectors()), draw(st.sampled_from(["equals", "not_equals"])): draw(signed_numbers)}
    elif kind == "absent":
        a["metric"] = draw(selectors())
        if draw(st.booleans()):
            a["window"] = draw(short_durations)
    elif kind == "forecast":
        a |= {"metric": draw(selectors()), "window": draw(short_durations), "horizon": draw(durations.filter(lambda d: not d.endswith("y"))), direction: draw(signed_numbers)}
        _by(draw, a)
    elif kind == "deadline":
        a |= {"metric": draw(selectors()), "within": draw(st.one_of(short_durations, st.builds(lambda n: f"{n}d", st.integers(1, 400))))}
        _by(draw, a)
    elif kind == "count":
        a |= {"metric": draw(selectors()), direction: draw(small_counts)}
        _by(draw, a)


@st.composite
def alerts(draw: Any, name: str, targets: list[str]) -> dict[str, Any]:
    kind = draw(st.sampled_from(KIND_NAMES))
    target = draw(st.sampled_from(targets))
    a = _common(draw, name, None if kind == "expr" else target) | {"kind": kind}
    direction = draw(st.sampled_from(["above", "below"]))
    if kind == "target_down" and draw(st.booleans()):
        a["metric"] = draw(plain_metric_names)
    elif kind == "error_ratio":
        a |= {"errors": draw(selectors()), "total": draw(selectors()), "above": draw(shares), "window": draw(short_durations)}
    elif kind == "latency_quantile":
        a |= {"histogram": draw(selectors()), "above": draw(short_durations), "unit": draw(st.sampled_from(["seconds", "milliseconds"]))}
        a["quantile"] = float(draw(st.decimals(Decimal("0.01"), Decimal("0.99"), places=2)))
    elif kind == "ratio":
        a |= {"numerator": draw(selectors()), "denominator": draw(st.lists(selectors(), min_size=1, max_size=2)), direction: draw(st.one_of(percents, numbers))}
        if draw(st.booleans()):
            a["window"] = draw(short_durations)
    elif kind == "slow_events":
        a |= {"histogram": draw(selectors()), "slower_than": draw(short_durations), "above": draw(numbers)}
    elif kind == "threshold":
        a |= {"metric": draw(selectors())}
        if draw(st.booleans()):
            a |= {"window": draw(short_durations), direction: draw(numbers)}
        else:  # a gauge may be compared with a negative number
            a[direction] = draw(signed_numbers)
    elif kind == "expr":
        a["expr"] = draw(raw_exprs())
        if draw(st.booleans()):
            a["target"] = target
    else:
        _shape(draw, kind, a, direction)
    if kind != "expr" and draw(st.integers(0, 3)) == 0:
        a["guards"] = draw(st.lists(guards(), min_size=1, max_size=2))
    if kind in _TIER_VALUES and draw(st.booleans()):
        a["by"] = draw(st.lists(label_names.filter(lambda s: s != "le"), min_size=1, max_size=3, unique=True))
        if kind == "threshold":
            a["aggregate"] = draw(st.sampled_from(["sum", "max", "min", "avg"]))
    if kind in _TIER_VALUES and draw(st.integers(0, 2)) == 0:
        _tiered(draw, a, kind)
    return a


def _duration_ms(text: str) -> int:
    n, unit = int(text[:-1]), text[-1]
    return n * {"s": 1000, "m": 60_000, "h": 3_600_000}[unit]


# kind -> (threshold values, their order): tiers must be strictly ordered by value.
_TIER_VALUES: dict[str, tuple[Any, Any]] = {
    "error_ratio": (shares, lambda v: Decimal(v[:-1])),
    "latency_quantile": (short_durations, _duration_ms),
    "ratio": (percents, lambda v: Decimal(v[:-1])),
    "slow_events": (numbers, lambda v: Decimal(str(v))),
    "threshold": (numbers, lambda v: Decimal(str(v))),
}


def _tiered(draw: Any, a: dict[str, Any], kind: str) -> None:
    """Replace the alert's severity and threshold by 2-3 tiers, least severe first, each
    past the one before (higher for `above`, lower for `below`)."""
    values, order = _TIER_VALUES[kind]
    direction = "below" if "below" in a else "above"
    n = draw(st.integers(2, 3))
    drawn = draw(st.lists(values, min_size=n, max_size=n, unique_by=order))
    drawn.sort(key=order, reverse=direction == "below")
    severities = ["info", "warning", "critical"][3 - n :]
    tiers = []
    for sev, v in zip(severities, drawn):
        tier: dict[str, Any] = {"severity": sev, direction: v}
        if draw(st.booleans()):
            tier["for"] = draw(durations)
        if draw(st.booleans()):
            tier["summary"] = draw(nonempty_template)
        if draw(st.booleans()):
            tier["labels"] = draw(template_labels)
        tiers.append(tier)
    a.pop("severity")
    a.pop(direction)
    a["tiers"] = tiers


def client_auth(draw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    choice = draw(st.sampled_from(["none", "basic", "bearer"]))
    if choice == "basic":
        out["basic_auth"] = {"username": draw(nonempty_text), "password_file": "/run/secrets/" + draw(slugs)}
    elif choice == "bearer":
        out["bearer_token_file"] = "/run/secrets/" + draw(slugs)
    return out


@st.composite
def targets(draw: Any, name: str) -> dict[str, Any]:
    t: dict[str, Any] = {
        "name": name,
        "addresses": draw(st.lists(st.builds(lambda h, p: f"{h}:{p}", st.from_regex(r"[a-z][a-z0-9.-]{0,12}[a-z0-9]", fullmatch=True), st.integers(1, 65535)), min_size=1, max_size=2, unique=True)),
        "labels": draw(labels.filter(lambda d: "job" not in d and "instance" not in d)),
        "description": draw(any_text),
    }  # fmt: skip
    if draw(st.booleans()):
        t["metrics_path"] = "/" + draw(st.from_regex(r"[a-z0-9/_-]{0,12}", fullmatch=True))
    if draw(st.booleans()):
        t["scheme"] = "https"
        if draw(st.booleans()):
            t["tls"] = {"ca_file": "/run/secrets/ca.crt", "server_name": draw(st.from_regex(r"[a-z][a-z0-9.-]{0,10}", fullmatch=True)), "insecure_skip_verify": draw(st.booleans())}
    if draw(st.booleans()):
        t |= draw(scraping())
    return t | client_auth(draw)


REGEXES = ["(.*)", ".+", "a|b", "(?i)prod-.*", "[0-9]+", "x\\.y", "", "(\\w+):(\\d+)", "\\Qa.b\\E", "é+"]
META = ["__address__", "__meta_consul_dc", "__name__", "__meta_kubernetes_pod_name", "job"]


def relabel_steps(draw: Any) -> dict[str, Any]:
    """One relabel step of an action, with only the fields that action takes (as promtool
    accepts them on 2.x: legacy label names)."""
    action = draw(st.sampled_from(["replace", "keep", "drop", "hashmod", "labelmap", "labeldrop", "labelkeep", "lowercase", "uppercase", "keepequal", "dropequal"]))
    src = draw(st.lists(st.one_of(st.sampled_from(META), label_names), min_size=1, max_size=2))
    target = draw(label_names)
    regex = draw(st.sampled_from(REGEXES))
    if action == "replace":
        return {"source_labels": src, "regex": regex, "target_label": target, "replacement": draw(st.sampled_from(["$1", "${1}x", "", "a$$b"]) | any_text), "separator": draw(st.sampled_from([";", "/", ""]))}
    if action in ("keep", "drop"):
        return {"action": action, "source_labels": src, "regex": regex}
    if action == "hashmod":
        return {"action": action, "source_labels": src, "modulus": draw(st.integers(1, 2**64 - 1)), "target_label": target}
    if action == "labelmap":
        return {"action": action, "regex": "__meta_(.+)", "replacement": draw(st.sampled_from(["$1", "meta_${1}", "x"]))}
    if action in ("labeldrop", "labelkeep"):
        # never __address__: promtool refuses a static target relabelled out of its address
        return {"action": action, "regex": "__.*|job|instance" if action == "labelkeep" else draw(st.sampled_from(["tmp_.*", "pod|rack", "é"]))}
    return {"action": draw(st.sampled_from([action, action.upper(), action.title()])), "source_labels": src, "target_label": target}


@st.composite
def scraping(draw: Any) -> dict[str, Any]:
    """Params, relabelling, limits and a file_sd group (which Debian's promtool reads)."""
    out: dict[str, Any] = {
        "params": draw(st.dictionaries(st.sampled_from(["module", "collect[]", "target", "é"]), st.lists(any_text, max_size=2), max_size=2)),
        "relabel_configs": [relabel_steps(draw) for _ in range(draw(st.integers(0, 3)))],
        "metric_relabel_configs": [relabel_steps(draw) for _ in range(draw(st.integers(0, 2)))],
    }
    for key in ("sample_limit", "label_limit", "label_name_length_limit", "label_value_length_limit", "target_limit"):
        if draw(st.booleans()):
            out[key] = draw(st.integers(0, 10**6))
    for key in ("honor_labels", "honor_timestamps"):
        if draw(st.booleans()):
            out[key] = draw(st.booleans())
    if draw(st.booleans()):
        out["discovery"] = {"file": {"groups": [{"targets": ["sd-1:9100"], "labels": draw(labels)}]}}
    return out


def remote_write(draw: Any) -> dict[str, Any]:
    rw: dict[str, Any] = {"url": draw(st.sampled_from(["https://mimir.example.com/api/v1/push", "http://victoria:8428/api/v1/write"]))}
    if draw(st.booleans()):
        rw["name"] = draw(slugs)
    if rw["url"].startswith("https://") and draw(st.booleans()):
        rw["tls"] = {"ca_file": "/run/secrets/rw-ca.crt"}
    if draw(st.booleans()):
        lo = draw(st.integers(1, 50))  # at most Prometheus' default max_shards, for a queue that sets only min_shards
        hi = draw(st.integers(lo, 200))
        rw["queue"] = draw(st.fixed_dictionaries({}, optional={
            "capacity": st.integers(1, 100000), "min_shards": st.just(lo), "max_shards": st.just(hi),
            "max_samples_per_send": st.integers(1, 10000), "batch_send_deadline": st.sampled_from(["1s", "5s", "1m"]),
            "min_backoff": st.sampled_from(["30ms", "100ms"]), "max_backoff": st.sampled_from(["1s", "5s"]),
        }))  # fmt: skip
    return rw | client_auth(draw)


# Kubernetes names, namespaces and label keys/values (sfmon/model/outputs.py).
dns_labels = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?", fullmatch=True)
kube_labels = st.dictionaries(
    st.from_regex(r"([a-z0-9]([-a-z0-9]{0,6}[a-z0-9])?(\.[a-z]{2,4})?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?", fullmatch=True),
    st.from_regex(r"(|[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?)", fullmatch=True), max_size=2,
)  # fmt: skip


def outputs(draw: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """outputs.ruler and outputs.operator; the operator only where its object names are
    RFC 1123 (no `_` in target names or dashboard uids) and the targets carry no credential
    files (outputs/operator refuses both, tests/fixtures/specs/invalid/operator_*)."""
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["ruler"] = draw(st.fixed_dictionaries({}, optional={"namespace": st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,12}", fullmatch=True)}))
    names = [t["name"] for t in spec["targets"]] + [d["uid"] for d in spec["dashboards"]]
    carried = ("tls", "basic_auth", "bearer_token_file", "discovery", "probe", "params", "relabel_configs", "metric_relabel_configs",
               "honor_labels", "honor_timestamps", "sample_limit", "label_limit", "label_name_length_limit",
               "label_value_length_limit", "target_limit")  # fmt: skip
    clean = not any(t.get(k) not in (None, [], {}) for t in spec["targets"] for k in carried)
    if clean and not any("_" in n for n in names) and draw(st.booleans()):
        op: dict[str, Any] = {"namespace": draw(dns_labels), "name": draw(dns_labels), "labels": draw(kube_labels)}
        if draw(st.booleans()):
            op["alertmanager"] = draw(dns_labels)
        if draw(st.booleans()):
            op["dashboard_labels"] = draw(kube_labels)
        out["operator"] = op
    return out


BCRYPT = "$2b$10$Ke8NwnbCCOuOrAhqoIBOquh9J4BB7Z0QzWGqxJ18lGsRUWaRQQMQa"


def web(draw: Any, server: str) -> dict[str, Any] | None:
    if not draw(st.booleans()):
        return None
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["tls"] = {"cert_file": f"/run/secrets/{server}.crt", "key_file": f"/run/secrets/{server}.key", "min_version": draw(st.sampled_from(["TLS12", "TLS13"]))}
    if not out or draw(st.booleans()):
        out["basic_auth_users"] = draw(st.dictionaries(st.from_regex(r"[A-Za-z0-9._@-]{1,12}", fullmatch=True), st.just(BCRYPT), min_size=1, max_size=2))
    return out


# Every receiver integration (tests/test_receivers.py holds this to sfmon's registry).
INTEGRATIONS = ["email", "slack", "pagerduty", "webhook", "opsgenie", "victorops", "webex", "sns", "telegram", "discord", "pushover", "msteams"]
# Read from files only by Alertmanager 0.26/0.27 and later: drawn by receivers(gated=True),
# in specs that target such a release (tests/test_messages.py), never in the specs Debian's
# amtool 0.25 checks.
GATED = ["telegram", "discord", "pushover", "msteams"]
# Alertmanager expands these fields as Go templates when it notifies: text with no braces.
plain_nonempty = st.text(any_char.filter(lambda c: c not in "{}"), min_size=1, max_size=8).filter(lambda s: s.strip() != "")
urls = st.from_regex(r"[A-Za-z0-9_/.~-]{0,20}", fullmatch=True).map(lambda p: f"https://api.example.com/{p}")


def _some(draw: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Each optional field, set or left out."""
    return {k: draw(v) for k, v in options.items() if draw(st.booleans())}


@st.composite
def opsgenie(draw: Any) -> dict[str, Any]:
    responder = st.builds(
        lambda t, ref, v: {"type": t, ref: v},
        st.sampled_from(["team", "teams", "user", "escalation", "schedule"]),
        st.sampled_from(["id", "name", "username"]),
        plain_nonempty,
    )
    return {"api_key_file": "/run/secrets/opsgenie"} | _some(draw, {
        "api_url": urls, "message": am_template_text, "priority": st.sampled_from(["P1", "P2", "P3", "P4", "P5"]),
        "tags": st.lists(plain_nonempty.filter(lambda s: "," not in s), max_size=3),
        "responders": st.lists(responder, max_size=3), "send_resolved": st.booleans(),
    })  # fmt: skip


@st.composite
def victorops(draw: Any) -> dict[str, Any]:
    return {"api_key_file": "/run/secrets/victorops", "routing_key": draw(plain_nonempty)} | _some(draw, {"api_url": urls, "send_resolved": st.booleans()})


@st.composite
def webex(draw: Any) -> dict[str, Any]:
    return {"room_id": draw(nonempty_text), "bot_token_file": "/run/secrets/webex"} | _some(draw, {"api_url": urls, "message": am_template_text})


@st.composite
def sns(draw: Any) -> dict[str, Any]:
    arn = st.from_regex(r"arn:aws:sns:[a-z]{2}-[a-z]{4,9}-[1-3]:[0-9]{12}:[A-Za-z0-9_-]{1,20}", fullmatch=True)
    destination = draw(st.sampled_from([
        ("topic_arn", arn), ("target_arn", arn.map(lambda a: a + "/endpoint")), ("phone_number", st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True)),
    ]))  # fmt: skip
    sigv4 = {"region": draw(st.sampled_from(["eu-west-1", "us-east-1"]))} | _some(draw, {"role_arn": st.just("arn:aws:iam::123456789012:role/am")})
    return {destination[0]: draw(destination[1]), "sigv4": sigv4} | _some(draw, {"subject": am_template_text, "message": am_template_text, "api_url": urls})


@st.composite
def telegram(draw: Any) -> dict[str, Any]:
    return {"bot_token_file": "/run/secrets/telegram", "chat_id": draw(st.integers(-(2**63), 2**63 - 1).filter(bool))} | _some(draw, {
        "api_url": urls, "message": am_template_text, "parse_mode": st.sampled_from(["", "HTML", "Markdown", "MarkdownV2"]),
        "disable_notifications": st.booleans(), "send_resolved": st.booleans(),
    })  # fmt: skip


@st.composite
def discord(draw: Any) -> dict[str, Any]:
    return {"webhook_url_file": "/run/secrets/discord"} | _some(draw, {"title": am_template_text, "message": am_template_text})


@st.composite
def pushover(draw: Any) -> dict[str, Any]:
    return {"user_key_file": "/run/secrets/pushover_user", "token_file": "/run/secrets/pushover_token"} | _some(draw, {
        "title": am_template_text, "message": am_template_text, "priority": st.sampled_from(["-2", "0", "1", "2"]),
        "retry": st.sampled_from(["30s", "1m"]), "expire": st.sampled_from(["1h", "3h"]),
    })  # fmt: skip


@st.composite
def msteams(draw: Any) -> dict[str, Any]:
    return {"webhook_url_file": "/run/secrets/teams"} | _some(draw, {"title": am_template_text, "text": am_template_text})


NEW_INTEGRATIONS = {
    "opsgenie": opsgenie, "victorops": victorops, "webex": webex, "sns": sns,
    "telegram": telegram, "discord": discord, "pushover": pushover, "msteams": msteams,
}  # fmt: skip


@st.composite
def messages(draw: Any) -> dict[str, Any]:
    """alertmanager.messages: link texts and labels go into Go templates as constants."""
    return _some(draw, {
        "title": plain_nonempty,
        "labels": st.lists(label_names, max_size=3, unique=True),
        "links": st.dictionaries(label_names, nonempty_text, max_size=2),
    })  # fmt: skip


@st.composite
def receivers(draw: Any, name: str, gated: bool = False) -> dict[str, Any]:
    kinds = draw(st.lists(st.sampled_from(INTEGRATIONS if gated else [k for k in INTEGRATIONS if k not in GATED]), min_size=1, max_size=4, unique=True))
    r: dict[str, Any] = {"name": name}
    mailbox = st.from_regex(r"[a-z0-9._-]{1,10}@[a-z0-9-]{1,10}\.[a-z]{2,4}", fullmatch=True)
    for kind in kinds:
        if kind == "email":
            r["email"] = {"to": draw(st.lists(mailbox, min_size=1, max_size=2)), "from": draw(mailbox), "smarthost": "smtp.example.com:587",
                          "auth_username": draw(nonempty_text), "auth_password_file": "/run/secrets/smtp", "require_tls": draw(st.booleans())}  # fmt: skip
        elif kind == "slack":
            r["slack"] = {"channel": draw(nonempty_text), "api_url_file": "/run/secrets/slack", "title": draw(am_template_text), "text": draw(am_template_text)}
        elif kind == "pagerduty":
            key = draw(st.sampled_from(["routing_key_file", "service_key_file"]))
            r["pagerduty"] = {key: "/run/secrets/pd"}
            if draw(st.booleans()):
                r["pagerduty"]["url"] = "http://127.0.0.1:9999/v2/enqueue"
        elif kind == "webhook":
            path = draw(st.from_regex(r"[A-Za-z0-9_/.~-]{0,20}", fullmatch=True))
            r["webhook"] = {"url": f"https://hooks.example.com/{path}", "max_alerts": draw(st.integers(0, 100))} | client_auth(draw)
        else:
            r[kind] = draw(NEW_INTEGRATIONS[kind]())
    return r


@st.composite
def dashboards(draw: Any, uid: str) -> dict[str, Any]:
    rows = []
    titles = draw(st.lists(nonempty_text, min_size=1, max_size=4, unique=True))
    for i, chunk in enumerate([titles[:2], titles[2:]]):
        if not chunk:
            continue
        panels = []
        for title in chunk:
            p: dict[str, Any] = {
                "title": title,
                "type": draw(st.sampled_from(["timeseries", "stat", "gauge", "bargauge", "table"])),
                "description": draw(any_text),
                "unit": draw(st.sampled_from(["short", "s", "ms", "percentunit", "reqps", "bytes"])),
                "width": draw(st.integers(1, 24)),
                "height": draw(st.integers(1, 40)),
            }
            if draw(st.booleans()):
                p |= {"expr": f"sum(rate({draw(selectors(grafana_text))}[5m]))", "legend": draw(any_text)}
            else:
                p["queries"] = [{"expr": f"max({draw(selectors(grafana_text))})", "legend": draw(any_text)} for _ in range(draw(st.integers(1, 3)))]
            if draw(st.booleans()):
                p["thresholds"] = [{"value": draw(numbers), "color": draw(st.sampled_from(["red", "orange", "#ff0000"]))}]
            panels.append(p)
        rows.append({"title": draw(nonempty_text), "collapsed": draw(st.booleans()), "panels": panels})
    d: dict[str, Any] = {"uid": uid, "title": draw(nonempty_text), "description": draw(any_text), "tags": draw(st.lists(any_text, max_size=3)), "rows": rows}
    if draw(st.booleans()):
        d["variables"] = [{"name": draw(label_names), "label": draw(any_text), "query": f"label_values({draw(metric_names)}, job)"}]
    return d


REGEXES = ["critical|warning", ".*", "api-.+", "[a-z]+", "team-(?i)ops"]


@st.composite
def matcher_lines(draw: Any) -> str:
    """One `matchers:` line: one matcher or the braced list form, each op, values quoted
    as Alertmanager reads them (any text for `=`/`!=`), sometimes unquoted and spaced."""
    from sfmon.semantics.quoting import alertmanager_string

    parts = []
    for _ in range(draw(st.integers(1, 2))):
        op = draw(st.sampled_from(["=", "!=", "=~", "!~"]))
        value = draw(st.sampled_from(REGEXES)) if "~" in op else draw(any_text)
        written = value if draw(st.booleans()) and value.isalnum() else alertmanager_string(value)
        parts.append(f"{draw(label_names)}{draw(st.sampled_from(['', ' ']))}{op}{written}")
    return "{" + ", ".join(parts) + "}" if len(parts) > 1 or draw(st.booleans()) else parts[0]


def route_trees(receiver_names: list[str], depth: int) -> Any:
    """Up to 3 routes, each with children down to `depth` levels: matchers in every form,
    receivers left to inherit, `continue`, group_by with '...', timings."""

    @st.composite
    def route(draw: Any, level: int) -> dict[str, Any]:
        r: dict[str, Any] = {}
        children = draw(st.lists(route(level + 1), max_size=2)) if level < depth and draw(st.booleans()) else []
        if children:
            r["routes"] = children
        if not children or draw(st.booleans()):  # a route with children notifies at most one
            if draw(st.integers(0, 3)) > 0:
                r["notify"] = draw(st.lists(st.sampled_from(receiver_names), min_size=1, max_size=1 if children else 3, unique=True))
        r |= _some(draw, {"matchers": st.lists(matcher_lines(), max_size=2), "match": labels, "continue": st.booleans()})
        if draw(st.booleans()):
            r["match_re"] = draw(st.dictionaries(label_names, st.sampled_from(REGEXES), max_size=1))
        r |= _some(draw, {
            "group_by": st.one_of(st.just(["..."]), st.lists(label_names, max_size=2, unique=True)),
            "group_wait": st.sampled_from(["0s", "10s", "1m"]),
            "group_interval": st.sampled_from(["30s", "5m"]),
            "repeat_interval": st.sampled_from(["1h", "3h"]),
        })  # fmt: skip
        return r

    return st.lists(route(1), max_size=3)


WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
ZONES = ["UTC", "Europe/Berlin", "Australia/Sydney", "America/New_York", "Asia/Kolkata"]


def _ordered(draw: Any, low: int, high: int) -> tuple[int, int]:
    a, b = sorted((draw(st.integers(low, high)), draw(st.integers(low, high))))
    return a, b


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def time_spans(draw: Any) -> dict[str, Any]:
    """One period of a time interval: any subset of its fields, each in a form Alertmanager reads."""
    span: dict[str, Any] = {}
    if draw(st.booleans()):
        times = []
        for _ in range(draw(st.integers(0, 2))):
            a = draw(st.integers(0, 1439))
            times.append({"start_time": _clock(a), "end_time": _clock(draw(st.integers(a + 1, 1440)))})
        span["times"] = times
    if draw(st.booleans()):
        pairs = [_ordered(draw, 0, 6) for _ in range(draw(st.integers(0, 2)))]
        span["weekdays"] = [WEEKDAYS[a].capitalize() if draw(st.booleans()) else WEEKDAYS[a] if a == b else f"{WEEKDAYS[a]}:{WEEKDAYS[b]}" for a, b in pairs]
    if draw(st.booleans()):
        days = []
        for _ in range(draw(st.integers(1, 2))):
            shape = draw(st.sampled_from(["pos", "neg", "mixed", "one"]))
            if shape == "pos":
                a, b = _ordered(draw, 1, 31)
                days.append(f"{a}:{b}")
            elif shape == "neg":
                a, b = _ordered(draw, -31, -1)
                days.append(f"{a}:{b}")
            elif shape == "mixed":  # upstream judges a positive start and negative end on a 28-day month
                a = draw(st.integers(1, 27))
                days.append(f"{a}:{draw(st.integers(a - 28, -1))}")
            else:
                days.append(draw(st.one_of(st.integers(1, 31), st.integers(-31, -1))))
        span["days_of_month"] = days
    if draw(st.booleans()):
        a, b = _ordered(draw, 1, 12)
        span["months"] = [draw(st.sampled_from([f"{a}:{b}", f"{MONTHS[a - 1]}:{MONTHS[b - 1]}", MONTHS[a - 1].upper()]))]
    if draw(st.booleans()):
        a, b = _ordered(draw, 2020, 2035)
        span["years"] = [draw(st.sampled_from([f"{a}:{b}", a, str(b)]))]
    if draw(st.booleans()):
        span["location"] = draw(st.sampled_from(ZONES))
    return span


@st.composite
def maintenance_windows(draw: Any, name: str) -> dict[str, Any]:
    from datetime import datetime, timedelta, timezone

    start = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=draw(st.integers(0, 10**6)))
    end = start + timedelta(minutes=draw(st.integers(1, 10**5)))
    zone = timezone(timedelta(minutes=draw(st.sampled_from([0, 60, -300, 330]))))
    first = f'{draw(label_names)}="{draw(st.from_regex(r"[A-Za-z0-9 ._:-]{0,8}", fullmatch=True))}x"'
    rest = [f"{n}{op}\"{v}\"" for n, op, v in draw(st.lists(st.tuples(label_names, st.sampled_from(["=", "!=", "=~", "!~"]), st.sampled_from(["a", "b.*", "", "db"])), max_size=2))]
    return {
        "name": name, "matchers": [first, *rest], "start": start.astimezone(zone).isoformat(), "end": end.astimezone(zone).isoformat(),
        "comment": draw(nonempty_text), "creator": draw(nonempty_text),
    }  # fmt: skip


@st.composite
def specs(draw: Any) -> dict[str, Any]:
    target_names = draw(st.lists(slugs, min_size=1, max_size=3, unique=True))
    receiver_names = draw(st.lists(slugs, min_size=1, max_size=4, unique=True))
    alert_list = [draw(alerts(n, target_names)) for n in draw(st.lists(alert_names, max_size=4, unique=True))]
    records: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 3))):
        group = draw(st.sampled_from([None, *GROUPS]))
        rule = draw(recording_rules(i, [r for r in records if r.get("group") == group]))
        if group is not None:
            rule["group"] = group
        records.append(rule)
    if records and "ReadsRecord" not in {a["name"] for a in alert_list} and draw(st.booleans()):  # reads a recorded series
        alert_list.append(_common(draw, "ReadsRecord", None) | {"kind": "expr", "expr": f"{records[0]['record']} > 0"})
    routes = draw(route_trees(receiver_names, 3))
    interval_names = draw(st.lists(nonempty_text, max_size=3, unique=True))
    time_intervals = [{"name": n, "time_intervals": draw(st.lists(time_spans(), max_size=2))} for n in interval_names]
    stack = list(routes)
    for _ in range(100):  # every route of the tree (at most 3 + 6 + 12)
        if not stack:
            break
        route = stack.pop()
        stack.extend(route.get("routes", []))
        if interval_names and draw(st.booleans()):
            route["mute_time_intervals"] = draw(st.lists(st.sampled_from(interval_names), min_size=1, max_size=2, unique=True))
        if interval_names and draw(st.booleans()):
            route["active_time_intervals"] = draw(st.lists(st.sampled_from(interval_names), min_size=1, max_size=2, unique=True))
    inhibit = []
    for _ in range(draw(st.integers(0, 2))):
        rule: dict[str, Any] = {"equal": draw(st.lists(label_names, max_size=2, unique=True))}
        for side in ("source", "target"):
            if draw(st.booleans()):
                rule[side] = draw(labels.filter(bool))
            else:
                rule[f"{side}_matchers"] = draw(st.lists(matcher_lines(), min_size=1, max_size=2))
        inhibit.append(rule)
    spec: dict[str, Any] = {
        "version": 1,
        "project": draw(slugs),
        "prometheus": {"external_labels": draw(labels), "scrape_interval": draw(st.sampled_from(["15s", "30s", "1m"]))},
        "targets": [draw(targets(n)) for n in target_names],
        "alerts": alert_list,
        "recording_rules": records,
        "rule_groups": draw(st.dictionaries(st.sampled_from(GROUPS), group_settings, max_size=2)),
        "receivers": [draw(receivers(n)) for n in receiver_names],
        "routing": {"receiver": receiver_names[0], "routes": routes, "inhibit": inhibit, "group_by": draw(st.lists(label_names, max_size=2, unique=True)),
                    "time_intervals": time_intervals},
        "maintenance": [draw(maintenance_windows(n)) for n in draw(st.lists(slugs, max_size=2, unique=True))],
        "dashboards": [draw(dashboards(u)) for u in draw(st.lists(slugs, max_size=2, unique=True))],
        "grafana": {"admin_user": draw(nonempty_text), "admin_password_file": "/run/secrets/grafana", "folder": draw(nonempty_text)},
    }
    if draw(st.booleans()):
        spec["prometheus"]["remote_write"] = [remote_write(draw) for _ in range(draw(st.integers(1, 2)))]
    taken = {k for t in spec["targets"] for k in t["labels"]} | set(spec["prometheus"]["external_labels"])
    if draw(st.booleans()):  # HA: a replica label no target label hides (targets/replica refuses that)
        spec["prometheus"]["replicas"] = draw(st.integers(1, 3))
        spec["prometheus"]["replica_label"] = draw(label_names.filter(lambda n: n not in taken))
    if draw(st.booleans()):
        spec.setdefault("alertmanager", {})["replicas"] = draw(st.integers(1, 3))
    if out := outputs(draw, spec):
        spec["outputs"] = out
    releases = {"prometheus": ["2.42", "3.5", "3.16.0", "v3.5.1"], "alertmanager": ["0.25", "0.35.0", "v0.28"]}
    for server, where in (("prometheus", spec["prometheus"]), ("alertmanager", spec.setdefault("alertmanager", {}))):
        w = web(draw, server)
        if w is not None:
            where["web"] = w
        if draw(st.booleans()):  # the release sfmon predicts for (test_properties sets the judging promtool's)
            where["version"] = draw(st.sampled_from(releases[server]))
    if draw(st.booleans()):
        spec["alertmanager"]["messages"] = draw(messages())
    return spec
