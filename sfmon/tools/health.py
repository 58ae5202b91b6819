"""`sfmon health`: is the running stack the one the spec describes, and is it well?

Checks, each a row (component, check, status, detail):
- Prometheus answers /-/ready and /-/healthy;
- every spec target (each address) is `up` in Prometheus' /api/v1/targets;
- the rule groups of the rendered rule files are loaded, with the same alerting rules;
- each Alertmanager answers /-/ready, and its running config (/api/v2/status) holds every
  setting of the rendered alertmanager.yml (it adds its own defaults; secrets it masks
  match anything);
- Grafana /api/health, when it answers: unreachable is `skip`, not `fail` (Grafana is
  optional here, and cannot run everywhere); an answer other than 200 is `fail`;
- each target's health path answers 200, and its metrics path exports every family of
  its catalog.

Pure apart from HTTP GETs (urllib, bounded by a timeout); no printing.
"""

from __future__ import annotations

import base64
import json
import re
import ssl
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from sfmon.model import Spec, Target
from sfmon.render.outputs import ALERTMANAGER, PROMETHEUS, PROMETHEUS_REPLICAS

OK, FAIL, SKIP = "ok", "fail", "skip"


@dataclass(frozen=True)
class Result:
    component: str  # prometheus, alertmanager, grafana, or a target's name
    check: str
    status: str  # ok | fail | skip
    detail: str
    url: str = ""


@dataclass(frozen=True)
class Options:
    prometheus: str
    alertmanagers: tuple[str, ...]
    grafana: str | None
    timeout: float = 3.0
    insecure: bool = False  # skip TLS certificate checks (self-signed test stacks)
    basic_auth: tuple[str, str] | None = None  # for Prometheus and Alertmanager web endpoints
    headers: dict[str, str] = field(default_factory=dict)


class Unreachable(Exception):
    """No HTTP answer at all: refused, timed out, name not resolved."""


def _base(address: str, scheme: str = "http") -> str:
    address = address.rstrip("/")
    if "://" in address:
        return address
    host, _, port = address.rpartition(":")
    if host in ("0.0.0.0", "", "[::]", "::"):  # a listen address: ask it on loopback
        address = f"127.0.0.1:{port}"
    return f"{scheme}://{address}"


def default_options(spec: Spec, prometheus: str | None = None, alertmanagers: list[str] | None = None,
                    grafana: str | None = None, **kw: Any) -> Options:
    """URLs from the spec unless given: Prometheus at its listen address, the Alertmanagers
    Prometheus sends to, Grafana at `grafana.url`."""
    return Options(
        prometheus=_base(prometheus or spec.prometheus.listen_address),
        alertmanagers=tuple(_base(a) for a in (alertmanagers or spec.prometheus.alertmanagers)),
        grafana=_base(grafana) if grafana else spec.grafana.url.rstrip("/"),
        **kw,
    )


def fetch(url: str, opts: Options, auth: bool = False) -> tuple[int, bytes]:
    headers = dict(opts.headers)
    if auth and opts.basic_auth:
        token = base64.b64encode(":".join(opts.basic_auth).encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    ctx = ssl._create_unverified_context() if opts.insecure and url.startswith("https:") else None  # noqa: S323 (opt-in)
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=opts.timeout, context=ctx) as resp:
            return resp.status, resp.read(8 * 2**20)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(64 * 1024)
    except (urllib.error.URLError, OSError, ValueError) as exc:  # ValueError: a malformed URL
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"{url}: {reason}") from None


def _get_json(url: str, opts: Options) -> Any:
    status, body = fetch(url, opts, auth=True)
    if status != 200:
        raise Unreachable(f"{url} answered {status}")
    return json.loads(body)


# --- Prometheus -------------------------------------------------------------------------------


def check_prometheus(opts: Options) -> list[Result]:
    out = []
    for path in ("/-/ready", "/-/healthy"):
        url = opts.prometheus + path
        out.append(_answers("prometheus", path.strip("/-"), url, opts, auth=True))
    return out


def _answers(component: str, check: str, url: str, opts: Options, auth: bool = False) -> Result:
    try:
        status, body = fetch(url, opts, auth)
    except Unreachable as exc:
        return Result(component, check, FAIL, f"no answer: {exc}", url)
    if status == 200:
        return Result(component, check, OK, "200", url)
    return Result(component, check, FAIL, f"answered {status}: {body[:120].decode(errors='replace').strip()}", url)


def check_targets(spec: Spec, opts: Options) -> list[Result]:
    url = opts.prometheus + "/api/v1/targets?state=active"
    try:
        active = _get_json(url, opts)["data"]["activeTargets"]
    except (Unreachable, ValueError, KeyError) as exc:
        return [Result(t.name, "up in Prometheus", FAIL, f"cannot list targets: {exc}", url) for t in spec.targets]
    out = []
    for t in spec.targets:
        states = {}
        for a in t.addresses:
            found = [x for x in active if x["labels"].get("job") == t.name and a in (x["labels"].get("instance"), x["discoveredLabels"].get("__address__"))]
            states[a] = found[0] if found else None
        missing = [a for a, x in states.items() if x is None]
        down = {a: x for a, x in states.items() if x is not None and x["health"] != "up"}
        if missing:
            detail = f"not scraped by Prometheus: {', '.join(missing)} (is its config the generated one?)"
        elif down:
            detail = "; ".join(f"{a} {x['health']}: {x.get('lastError') or 'not scraped yet'}" for a, x in down.items())
        else:
            detail = f"{len(states)}/{len(states)} up"
        out.append(Result(t.name, "up in Prometheus", FAIL if missing or down else OK, detail, url))
    return out


def expected_rules(files: dict[str, str]) -> dict[str, list[str]]:
    """Alerting rules per group, from the rendered prometheus.yml's rule files."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    groups: dict[str, list[str]] = {}
    config = PROMETHEUS.path if PROMETHEUS.path in files else PROMETHEUS_REPLICAS.path.replace("{}", "0")  # replicas share rules
    for rel in yaml.load(files[config]).get("rule_files") or []:
        doc = yaml.load(files.get(rel, "")) or {}
        for g in doc.get("groups") or []:
            groups.setdefault(g["name"], []).extend(r["alert"] for r in g.get("rules") or [] if "alert" in r)
    return groups


def check_rules(files: dict[str, str], opts: Options) -> list[Result]:
    url = opts.prometheus + "/api/v1/rules?type=alert"
    want = expected_rules(files)
    try:
        loaded = _get_json(url, opts)["data"]["groups"]
    except (Unreachable, ValueError, KeyError) as exc:
        return [Result("prometheus", "rules loaded", FAIL, f"cannot list rules: {exc}", url)]
    have: dict[str, list[str]] = {}
    for g in loaded:
        have.setdefault(g["name"], []).extend(r["name"] for r in g["rules"] if r.get("type") == "alerting")
    problems = []
    for name, alerts in sorted(want.items()):
        got = have.get(name)
        if got is None:
            problems.append(f"group {name!r} not loaded")
        elif sorted(got) != sorted(alerts):
            lost, extra = sorted(set(alerts) - set(got)), sorted(set(got) - set(alerts))
            problems.append(f"group {name!r}: {len(got)} alerts loaded, {len(alerts)} generated"
                            + (f"; missing {', '.join(lost)}" if lost else "") + (f"; not in spec {', '.join(extra)}" if extra else ""))
    if problems:
        return [Result("prometheus", "rules loaded", FAIL, "; ".join(problems), url)]
    count = sum(len(a) for a in want.values())
    return [Result("prometheus", "rules loaded", OK, f"{len(want)} group(s), {count} alerts, as generated", url)]


# --- Alertmanager -----------------------------------------------------------------------------


def config_differences(generated: Any, running: Any, path: str = "") -> list[str]:
    """Where `running` (Alertmanager's config with its defaults filled in) does not hold a
    setting of `generated`. Durations compare by length (90s == 1m30s); a value the
    server masks as <secret> matches anything."""
    here = path or "(top)"
    if isinstance(generated, dict):
        if not isinstance(running, dict):
            return [f"{here}: running config has {_show(running)}, generated a mapping"]
        out = []
        for k, v in generated.items():
            if k not in running:
                out.append(f"{path}.{k}".lstrip(".") + f": not in the running config (generated {_show(v)})")
            else:
                out += config_differences(v, running[k], f"{path}.{k}".lstrip("."))
        return out
    if isinstance(generated, list):
        if not isinstance(running, list) or len(running) != len(generated):
            return [f"{here}: running config has {_show(running)}, generated {_show(generated)}"]
        return [d for i, (g, r) in enumerate(zip(generated, running)) for d in config_differences(g, r, f"{path}[{i}]")]
    if running == "<secret>" or _same_scalar(generated, running):
        return []
    # Alertmanager resolves a relative template glob against its config file's directory.
    if path.startswith("templates[") and isinstance(generated, str) and isinstance(running, str):
        if not generated.startswith("/") and running.startswith("/") and running.endswith("/" + generated):
            return []
    return [f"{here}: running {_show(running)}, generated {_show(generated)}"]


def _same_scalar(a: Any, b: Any) -> bool:
    if a == b:
        return True
    if isinstance(a, str) and isinstance(b, str):
        from sfmon.semantics.units import Duration

        try:
            return Duration(a).ms == Duration(b).ms
        except ValueError:
            return False
    return False


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def check_alertmanager(base: str, files: dict[str, str], opts: Options, several: bool) -> list[Result]:
    from ruamel.yaml import YAML

    label = f" ({base})" if several else ""
    out = [_answers("alertmanager", "ready" + label, base + "/-/ready", opts, auth=True)]
    url = base + "/api/v2/status"
    try:
        running = YAML(typ="safe").load(_get_json(url, opts)["config"]["original"])
    except (Unreachable, ValueError, KeyError) as exc:
        out.append(Result("alertmanager", "config as generated" + label, FAIL, f"cannot read its config: {exc}", url))
        return out
    diffs = config_differences(YAML(typ="safe").load(files[ALERTMANAGER.path]), running)
    if diffs:
        more = f" (+{len(diffs) - 3} more)" if len(diffs) > 3 else ""
        out.append(Result("alertmanager", "config as generated" + label, FAIL, "; ".join(diffs[:3]) + more, url))
    else:
        out.append(Result("alertmanager", "config as generated" + label, OK, "running config holds every generated setting", url))
    return out


# --- Grafana and targets ------------------------------------------------------------------------


def check_grafana(opts: Options) -> list[Result]:
    if not opts.grafana:
        return [Result("grafana", "api/health", SKIP, "no Grafana URL")]
    url = opts.grafana + "/api/health"
    try:
        status, body = fetch(url, opts)
    except Unreachable as exc:
        return [Result("grafana", "api/health", SKIP, f"not reachable, not checked ({exc})", url)]
    if status != 200:
        return [Result("grafana", "api/health", FAIL, f"answered {status}", url)]
    try:
        database = json.loads(body).get("database")
    except ValueError:
        database = None
    if database != "ok":
        return [Result("grafana", "api/health", FAIL, f"database: {database!r}", url)]
    return [Result("grafana", "api/health", OK, "200, database ok", url)]


_NAME = re.compile(r"^(?:# TYPE )?([a-zA-Z_:][a-zA-Z0-9_:]*)", re.M)


def exported_names(text: str) -> set[str]:
    """Names in a Prometheus text exposition: of samples, and of families declared with
    `# TYPE` (a labelled family has no sample until its first event)."""
    return {m.group(1) for m in _NAME.finditer(text)}


def check_target(spec: Spec, t: Target, opts: Options) -> list[Result]:
    out = []
    families = spec.catalogs.get(t.catalog, []) if t.catalog else []
    for a in t.addresses:
        base = _base(a, t.scheme)
        label = f" ({a})" if len(t.addresses) > 1 else ""
        if t.health_path:
            out.append(_answers(t.name, "health" + label, base + t.health_path, opts))
        if families:
            url = base + t.metrics_path
            try:
                status, body = fetch(url, opts)
            except Unreachable as exc:
                out.append(Result(t.name, "metrics" + label, FAIL, f"no answer: {exc}", url))
                continue
            if status != 200:
                out.append(Result(t.name, "metrics" + label, FAIL, f"answered {status}", url))
                continue
            names = exported_names(body.decode(errors="replace"))
            missing = [f.name for f in families if not names & {f.name, *f.series_names()}]
            if missing:
                out.append(Result(t.name, "metrics" + label, FAIL, f"catalog {t.catalog}: not exported: {', '.join(missing)}", url))
            else:
                out.append(Result(t.name, "metrics" + label, OK, f"all {len(families)} families of {t.catalog}", url))
    return out


# --- all of it ----------------------------------------------------------------------------------


def run(spec: Spec, files: dict[str, str], opts: Options) -> list[Result]:
    """Every check, concurrently (each bounded by opts.timeout), in a stable order."""
    several = len(opts.alertmanagers) > 1
    jobs: list[Callable[[], list[Result]]] = [
        lambda: check_prometheus(opts),
        lambda: check_rules(files, opts),
        *[(lambda b=b: check_alertmanager(b, files, opts, several)) for b in opts.alertmanagers],
        lambda: check_grafana(opts),
        lambda: check_targets(spec, opts),
        *[(lambda t=t: check_target(spec, t, opts)) for t in spec.targets],
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        batches = list(pool.map(lambda job: job(), jobs))
    order = {"prometheus": 0, "alertmanager": 1, "grafana": 2}
    targets = {t.name: i for i, t in enumerate(spec.targets)}
    results = [r for batch in batches for r in batch]
    return sorted(results, key=lambda r: (order.get(r.component, 3), targets.get(r.component, -1), r.component))


def failed(results: list[Result]) -> bool:
    return any(r.status == FAIL for r in results)


def as_table(results: list[Result], colour: bool = False) -> str:
    colours = {OK: "\033[32m", FAIL: "\033[31m", SKIP: "\033[33m"}
    rows = [("COMPONENT", "CHECK", "STATUS", "DETAIL")] + [(r.component, r.check, r.status, r.detail) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for i, row in enumerate(rows):
        status = row[2].ljust(widths[2])
        if colour and i:
            status = f"{colours.get(row[2], '')}{status}\033[0m"
        lines.append(f"{row[0].ljust(widths[0])}  {row[1].ljust(widths[1])}  {status}  {row[3]}".rstrip())
    n_fail = sum(r.status == FAIL for r in results)
    n_skip = sum(r.status == SKIP for r in results)
    lines.append(f"{len(results) - n_fail - n_skip} ok, {n_fail} failed, {n_skip} skipped")
    return "\n".join(lines)


def as_json(results: list[Result]) -> str:
    return json.dumps({"ok": not failed(results), "checks": [asdict(r) for r in results]}, indent=2, ensure_ascii=False)
