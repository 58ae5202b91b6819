"""Scraping beyond static targets: relabelling judged by promtool, discovery, params, probes.

Relabel cases are data: each is a relabel_configs step as a user writes it. sfmon's verdict
(model/relabel.py and the targets/relabel check) must be the verdict of the promtool of each
toolset (Debian's 2.42 reads legacy label names, 3.x UTF-8 ones). The cases follow upstream's
model/relabel/relabel_test.go (TestRelabelValidate) and config/config_test.go (the
labelname/labelmap/lowercase/uppercase/labeldrop/labelkeep/modulus_missing/keepequal bad
files), plus the boundaries found between them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML

from sfmon.model.relabel import RelabelConfig
from sfmon.pipeline import load, load_and_check_text, load_text, render

from conftest import FIXTURES, run_sfmon

MINIMAL = (FIXTURES / "specs" / "valid" / "minimal.yaml").read_text(encoding="utf-8")

RELABEL_CASES = [
    "{action: Replace, source_labels: [a], target_label: b}",  # the action is case-insensitive
    "{action: foo, target_label: b}",
    '{action: "", target_label: b}',
    "{source_labels: [a]}",  # replace (the default) needs a target
    "{action: hashmod, target_label: b}",  # modulus_missing.bad.yml
    "{action: hashmod, target_label: b, modulus: 3}",
    '{action: hashmod, target_label: "b.c", modulus: 3}',
    '{action: hashmod, target_label: "$1", modulus: 3}',
    '{action: replace, target_label: "b.c"}',
    '{action: replace, target_label: "not:allowed"}',  # labelname2.bad.yml
    '{action: replace, target_label: "b$1"}',
    '{action: replace, target_label: "${1}_x"}',
    '{action: replace, target_label: "1b"}',
    '{action: lowercase, source_labels: [a]}',  # lowercase.bad.yml
    '{action: lowercase, target_label: "42lab"}',  # lowercase2.bad.yml
    '{action: lowercase, target_label: b, replacement: x}',  # lowercase3.bad.yml
    '{action: lowercase, target_label: "b$1"}',
    '{action: uppercase, target_label: "b.c"}',
    '{action: uppercase, target_label: b, replacement: "$1"}',  # the default, written: accepted
    '{action: keepequal, source_labels: [a], target_label: b}',
    '{action: keepequal, target_label: b, regex: "(.*)"}',  # any regex written counts as set
    '{action: keepequal, target_label: b, separator: ";"}',
    '{action: dropequal, target_label: b, separator: ","}',
    '{action: dropequal, target_label: b, modulus: 2}',
    '{action: keepequal, target_label: "b$1"}',
    '{action: labeldrop, regex: a}',
    '{action: labeldrop, regex: a, source_labels: []}',  # labeldrop.bad.yml
    '{action: labeldrop, regex: a, separator: ";"}',
    '{action: labelkeep, regex: a, replacement: "$1"}',
    '{action: labelkeep, regex: a, replacement: "x"}',  # labelkeep3.bad.yml
    '{action: labelkeep, regex: a, target_label: b}',  # labelkeep2.bad.yml
    '{action: labelkeep, regex: a, modulus: 1}',  # labelkeep4.bad.yml
    '{action: labelmap, regex: "a(.*)", replacement: "l-$1"}',  # labelmap.bad.yml
    '{action: labelmap, regex: "a(.*)", replacement: "x$1"}',
    '{action: labelmap, regex: "a(.*)", replacement: "x.$1"}',
    '{action: keep, source_labels: ["a.b"]}',
    '{action: keep, source_labels: [""]}',
    '{action: keep, regex: "a(b"}',  # regex.bad.yml
    '{action: keep, source_labels: [a], modulus: 3}',
    '{action: drop, source_labels: [a], target_label: "x.y", replacement: "z"}',
]

RELABEL_CASES += [
    '{action: replace, target_label: "b.$1"}',  # 3.x: any UTF-8 name, references or not
    '{action: replace, target_label: "$"}',
    '{action: labelmap, regex: "a", replacement: "$"}',
    '{action: labelmap, regex: "a(.*)", replacement: ""}',
]

_yaml = YAML(typ="safe")


def _promtool_major(promtool: str) -> int:
    out = subprocess.run([promtool, "--version"], capture_output=True, text=True, timeout=30).stdout
    return int(out.split("version ", 1)[1].split(".", 1)[0])


def _sfmon_accepts(case: dict, major: int) -> tuple[bool, str]:
    try:
        step = RelabelConfig.model_validate(case)
    except ValidationError as exc:
        return False, str(exc.errors()[0]["msg"])
    if major < 3:
        found = [m for _, m in step.legacy_problems()]
        if found:
            return False, found[0]
    return True, ""


def _promtool_accepts(promtool: str, case: str, tmp_path: Path) -> tuple[bool, str]:
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(
        # metric_relabel_configs: the same type as relabel_configs, which promtool would
        # also apply to the static target (and then judge what is left of it)
        "scrape_configs:\n  - job_name: x\n    static_configs: [{targets: ['a:1']}]\n"
        f"    metric_relabel_configs:\n      - {case}\n",
        encoding="utf-8",
    )
    done = subprocess.run([promtool, "check", "config", str(cfg)], capture_output=True, text=True, timeout=60)
    return done.returncode == 0, done.stdout + done.stderr


@pytest.mark.matrix
def test_relabel_verdicts_are_promtools(promtool, tmp_path):
    major = _promtool_major(promtool)
    wrong = []
    for case in RELABEL_CASES:
        theirs, why = _promtool_accepts(promtool, case, tmp_path)
        ours, our_why = _sfmon_accepts(_yaml.load(case), major)
        if ours != theirs:
            wrong.append(f"{case}: promtool {'accepts' if theirs else 'refuses'} ({why.strip()[-120:]}), sfmon {'accepts' if ours else 'refuses'} ({our_why})")
    assert not wrong, "\n".join(wrong)


def _spec(extra_targets: str, version: str | None = None, rest: str = "") -> str:
    head = f'version: 1\nproject: t\nprometheus: {{version: "{version}"}}\n' if version else "version: 1\nproject: t\n"
    return (
        head + "targets:\n" + extra_targets
        + "receivers:\n  - {name: team, webhook: {url: 'http://localhost:5001/'}}\nrouting:\n  receiver: team\n"
        + "grafana:\n  admin_password_file: /run/secrets/grafana\n" + rest
    )  # fmt: skip


def _problems(text: str) -> list[str]:
    _, problems = load_and_check_text("spec.yaml", text)
    return [str(p) for p in problems if p.severity.name == "ERROR"]


def test_legacy_names_are_refused_unless_the_spec_targets_3x():
    t = "  - {name: a, addresses: ['a:1'], relabel_configs: [{source_labels: [x], target_label: 'k8s.ns'}]}\n"
    got = _problems(_spec(t))
    assert any("targets[0].relabel_configs[0].target_label" in p and "before Prometheus 3.0" in p for p in got), got
    assert _problems(_spec(t, "3.5")) == []


def test_query_string_in_metrics_path_is_refused_with_a_hint():
    got = _problems(_spec("  - {name: bb, addresses: ['bb:9115'], metrics_path: '/probe?module=http_2xx'}\n"))
    assert len(got) == 1 and "targets[0].metrics_path" in got[0], got
    assert "/probe%3Fmodule=http_2xx" in got[0] and "params" in got[0]


def test_params_render_as_prometheus_reads_them(tmp_path):
    text = _spec("  - {name: bb, addresses: ['bb:9115'], metrics_path: /probe, params: {module: [http_2xx], target: ['a', 'b&c']}}\n")
    files = render(_loaded(text))
    job = _yaml.load(files["prometheus.yml"])["scrape_configs"][0]
    assert job["metrics_path"] == "/probe" and job["params"] == {"module": ["http_2xx"], "target": ["a", "b&c"]}


def _loaded(text: str):
    return load_text("spec.yaml", text)


def test_file_sd_file_holds_the_groups_with_the_target_labels():
    text = _spec(
        "  - name: nodes\n    labels: {team: infra}\n"
        "    discovery: {file: {groups: [{targets: ['n1:9100', 'n2:9100'], labels: {rack: r1}}, {targets: ['n3:9100']}]}}\n"
    )
    files = render(_loaded(text))
    assert json.loads(files["file_sd/nodes.json"]) == [
        {"targets": ["n1:9100", "n2:9100"], "labels": {"rack": "r1", "team": "infra"}},
        {"targets": ["n3:9100"], "labels": {"team": "infra"}},
    ]
    job = _yaml.load(files["prometheus.yml"])["scrape_configs"][0]
    assert job["file_sd_configs"] == [{"files": ["file_sd/nodes.json"]}] and "static_configs" not in job


def test_discovered_targets_get_the_target_labels_by_relabelling_with_dollars_kept():
    text = _spec("  - {name: n, labels: {cost: '$5'}, discovery: {dns: [{names: [_n._tcp.example.com]}]}}\n")
    job = _yaml.load(render(_loaded(text))["prometheus.yml"])["scrape_configs"][0]
    assert job["relabel_configs"][0] == {"target_label": "cost", "replacement": "$$5", "action": "replace"}


def test_a_target_without_instances_is_refused():
    got = _problems(_spec("  - {name: a}\n"))
    assert len(got) == 1 and "targets[0].addresses: set addresses, discovery or probe" in got[0], got


def _bb(modules: str = "{http_2xx: {http: {}}}") -> str:
    return f"blackbox:\n  address: 'localhost:9115'\n  modules: {modules}\n"


def test_probe_job_has_the_standard_blackbox_relabelling():
    text = _spec("  - {name: site, probe: {module: http_2xx, targets: ['https://a.example.com']}}\n", rest=_bb())
    job = _yaml.load(render(_loaded(text))["prometheus.yml"])["scrape_configs"][0]
    assert job["metrics_path"] == "/probe" and job["params"] == {"module": ["http_2xx"]}
    assert job["static_configs"] == [{"targets": ["https://a.example.com"]}]
    assert job["relabel_configs"] == [
        {"source_labels": ["__address__"], "target_label": "__param_target", "action": "replace"},
        {"source_labels": ["__param_target"], "target_label": "instance", "action": "replace"},
        {"target_label": "__address__", "replacement": "localhost:9115", "action": "replace"},
    ]


def test_probe_references_are_checked():
    t = "  - {name: site, probe: {module: http_2x, targets: ['https://a.example.com']}}\n  - {name: app, addresses: ['a:1']}\n"
    alerts = "alerts:\n  - {name: AppProbe, kind: probe_failed, target: app, severity: critical, summary: s}\n"
    got = _problems(_spec(t, rest=_bb() + alerts))
    assert any("targets[0].probe.module: unknown blackbox module 'http_2x'" in p and "http_2xx" in p for p in got), got
    assert any("alerts[0].target: probe_failed needs a probe target" in p for p in got), got
    assert any("targets[0].probe: a probe needs the exporter" in p for p in _problems(_spec(t)))


def test_blackbox_config_is_checked_by_the_exporter(tmp_path):
    import shutil

    exe = shutil.which("prometheus-blackbox-exporter")
    if exe is None:
        from conftest import skip_or_fail

        skip_or_fail("prometheus-blackbox-exporter is not installed")
    files = render(load(FIXTURES / "specs" / "valid" / "full.yaml"))
    (tmp_path / "blackbox.yml").write_text(files["blackbox.yml"], encoding="utf-8")
    ok = subprocess.run([exe, "--config.check", "--config.file", str(tmp_path / "blackbox.yml")], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # The check is strict YAML (an unknown prober name is only found when probing): a
    # misspelt key is refused, so the check is not a no-op.
    bad = files["blackbox.yml"].replace("method:", "methd:", 1)
    (tmp_path / "blackbox.yml").write_text(bad, encoding="utf-8")
    refused = subprocess.run([exe, "--config.check", "--config.file", str(tmp_path / "blackbox.yml")], capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "methd" in refused.stdout + refused.stderr


@pytest.mark.parametrize(
    "sd,message",
    [
        ("{dns: [{names: [a.example.com], type: A}]}", "discovery.dns[0].port: a port is required"),
        ("{dns: [{names: []}]}", "discovery.dns[0].names"),
        ("{http: [{url: 'ftp://sd'}]}", "discovery.http[0].url"),
        ("{kubernetes: [{role: pods}]}", "discovery.kubernetes[0].role"),
        ("{kubernetes: [{role: pod, selectors: [{role: node}]}]}", "pod role supports only pod selectors before Prometheus 3.16"),
        ("{kubernetes: [{role: service, selectors: [{role: pod}]}]}", "service role supports only service selectors"),
        ("{kubernetes: [{role: endpoints, selectors: [{role: pod}, {role: pod}]}]}", "duplicated selector role: pod"),
        ("{kubernetes: [{role: pod, bearer_token_file: /run/secrets/t}]}", "please provide the 'api_server' URL explicitly"),
        ("{kubernetes: [{role: pod, api_server: 'https://k:6443', kubeconfig_file: /run/secrets/k}]}", "cannot use 'kubeconfig_file' and 'api_server' simultaneously"),
        ("{kubernetes: [{role: pod, api_server: 'https://k:6443', namespaces: {own_namespace: true}}]}", "cannot use 'api_server' and 'namespaces.own_namespace'"),
        ("{consul: [{server: 'consul', services: [a]}]}", "discovery.consul[0].server"),
        ("{consul: [{token: abc}]}", "discovery.consul[0].token"),
    ],
)
def test_discovery_refusals(sd, message):
    got = _problems(_spec(f"  - {{name: a, discovery: {sd}}}\n"))
    assert any(message in p for p in got), got


@pytest.mark.matrix
def test_kubernetes_refusals_are_promtools(tmp_path, promtool):
    """The Kubernetes rules sfmon re-implements, against a promtool that has Kubernetes SD
    (Debian's 2.42 build leaves it out: then only that is checked)."""
    probe = tmp_path / "probe.yml"
    probe.write_text("scrape_configs:\n  - job_name: x\n    kubernetes_sd_configs: [{role: pod}]\n", encoding="utf-8")
    lacking = subprocess.run([promtool, "check", "config", str(probe)], capture_output=True, text=True, timeout=60)
    if lacking.returncode != 0:  # Debian's build: the field itself is unknown, as docs/versions.md says
        assert "field kubernetes_sd_configs not found" in lacking.stdout + lacking.stderr, lacking.stdout + lacking.stderr
        return
    (tmp_path / "t").write_text("x", encoding="utf-8")
    release = subprocess.run([promtool, "--version"], capture_output=True, text=True, timeout=30).stdout
    from sfmon.model.discovery import NODE_SELECTOR_ON_POD
    from sfmon.semantics.versions import reported_version

    node_on_pod = tuple(reported_version(release)[:2]) >= NODE_SELECTOR_ON_POD
    probe.write_text("scrape_configs:\n  - job_name: x\n    kubernetes_sd_configs: [{role: pod, selectors: [{role: node}]}]\n", encoding="utf-8")
    took = subprocess.run([promtool, "check", "config", str(probe)], capture_output=True, timeout=60).returncode == 0
    assert took == node_on_pod, "sfmon's release for node selectors on the pod role is not this promtool's"
    ours = _problems(_spec("  - {name: a, discovery: {kubernetes: [{role: pod, selectors: [{role: node}]}]}}\n", str(reported_version(release))))
    assert bool(ours) != node_on_pod, ours
    cases = {
        "{role: service, selectors: [{role: node}]}": "service role supports only service",
        "{role: endpoints, selectors: [{role: pod}, {role: pod}]}": "duplicated selector role: pod",
        f"{{role: pod, authorization: {{credentials_file: {tmp_path / 't'}}}}}": "provide the 'api_server' URL explicitly",
        f"{{role: pod, api_server: 'https://k:6443', kubeconfig_file: {tmp_path / 't'}}}": "cannot use 'kubeconfig_file' and 'api_server' simultaneously",
        "{role: pod, api_server: 'https://k:6443', namespaces: {own_namespace: true}}": "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously",
        f"{{role: pod, kubeconfig_file: {tmp_path / 't'}, namespaces: {{own_namespace: true}}}}": "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously",
    }
    for case, message in cases.items():
        probe.write_text(f"scrape_configs:\n  - job_name: x\n    kubernetes_sd_configs: [{case}]\n", encoding="utf-8")
        done = subprocess.run([promtool, "check", "config", str(probe)], capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and message in done.stdout + done.stderr, (case, done.stdout + done.stderr)


def test_generate_refuses_a_bad_relabel_regex_with_a_placed_message(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(_spec("  - {name: a, addresses: ['a:1'], metric_relabel_configs: [{action: drop, source_labels: [__name__], regex: 'go_(gc'}]}\n"), encoding="utf-8")
    done = run_sfmon("generate", "--spec", str(spec), "--out", str(tmp_path / "out"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    out = done.stdout + done.stderr
    assert "targets[0].metric_relabel_configs[0].regex: " in out and "missing )" in out, out


def test_diff_reports_probe_and_blackbox_changes():
    from sfmon.spec.diff import diff_specs

    t = "  - {name: site, probe: {module: web, targets: ['https://a.example.com']}}\n"
    old = load_text("old.yaml", _spec(t, rest=_bb("{web: {timeout: 5s, http: {}}, tcp: {tcp: {}}}"))).spec
    new_text = _spec(t.replace("module: web", "module: tcp"), rest=_bb("{web: {timeout: 7s, http: {}}, tcp: {tcp: {}}}"))
    lines = [c.text() for c in diff_specs(old, load_text("new.yaml", new_text).spec)]
    assert any("target site" in x and "probe.module" in x and "web" in x and "tcp" in x for x in lines), lines
    assert any(x.startswith("blackbox") and "modules.web.timeout" in x and "7s" in x for x in lines), lines


STATIC_CASES = [
    "[{action: labelkeep, regex: 'job|instance'}]",  # drops __address__: "no address"
    "[{action: labeldrop, regex: '(.*)'}]",
    "[{action: labeldrop, regex: '__scheme__'}]",
    "[{source_labels: [__address__], regex: '(.*)', target_label: __address__, replacement: '$1/metrics'}]",  # a path
    "[{source_labels: [__address__], regex: '(.*):.*', target_label: __address__, replacement: '${1}:9100'}]",
    "[{source_labels: [nothing], target_label: __address__}]",  # the empty value removes the address
    "[{action: keep, source_labels: [__address__], regex: 'other:.*'}]",  # dropped: no target, no error
    "[{action: labelmap, regex: '__(address)__', replacement: 'a_$1'}, {action: labeldrop, regex: '__address__'}]",
    "[{action: hashmod, source_labels: [__address__], modulus: 2, target_label: __tmp}, {action: keep, source_labels: [__tmp], regex: '1'}, {action: labeldrop, regex: '__address__'}]",
    "[{action: lowercase, source_labels: [team], target_label: __address__}]",
]


@pytest.mark.matrix
def test_static_targets_relabelled_out_of_their_address_are_refused_as_promtool_does(promtool, tmp_path):
    """promtool relabels static targets and refuses one left without an address (or with a
    path in it); sfmon's targets/relabel check must say so before promtool does."""
    wrong = []
    for case in STATIC_CASES:
        text = _spec(f"  - {{name: a, addresses: ['a-1:80', 'b-2:80'], labels: {{team: Platform}}, relabel_configs: {case}}}\n", "3.5")
        ours = [p for p in _problems(text) if "after relabelling" in p]
        files = render(load_text("spec.yaml", text))
        (tmp_path / "prometheus.yml").write_text(files["prometheus.yml"], encoding="utf-8")
        (tmp_path / "alerts.yml").write_text(files["alerts.yml"], encoding="utf-8")
        done = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True, timeout=60)
        if bool(ours) != (done.returncode != 0):
            wrong.append(f"{case}: promtool {'refuses' if done.returncode else 'accepts'} ({(done.stdout + done.stderr).strip()[-150:]}), sfmon: {ours}")
    assert not wrong, "\n".join(wrong)
