"""Secrets policy: every credential is a reference (a file, or for Grafana's admin password an
environment variable), never a value. An inline value is refused naming the field and the
safe alternative, without quoting the value back; and no secret from the files a spec
references ever appears in a generated file or in what sfmon prints (docs/secrets.md)."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from conftest import FIXTURES, ROOT, SPEC, newest_build, run_sfmon
from sfmon.pipeline import load_and_check
from sfmon.problems import has_errors

yaml = YAML(typ="safe")
SECRET = "hunter2-SFMON-INLINE-SECRET"

# (path to the mapping in the default spec, inline key a user might write, the reference it must use)
CREDENTIALS = [
    (("receivers", 0, "email"), "auth_password", "auth_password_file"),  # SMTP password
    (("receivers", 1, "slack"), "api_url", "api_url_file"),  # Slack webhook URL
    (("receivers", 2, "pagerduty"), "routing_key", "routing_key_file"),  # PagerDuty Events v2
    (("receivers", 2, "pagerduty"), "service_key", "service_key_file"),  # PagerDuty Events v1
    (("receivers", 3, "webhook"), "bearer_token", "bearer_token_file"),  # webhook token
    (("receivers", 0, "opsgenie"), "api_key", "api_key_file"),  # Opsgenie API key
    (("receivers", 1, "victorops"), "api_key", "api_key_file"),  # VictorOps API key
    (("receivers", 2, "webex"), "bot_token", "bot_token_file"),  # Webex bot token
    (("grafana",), "admin_password", "admin_password_file"),  # Grafana admin
    (("grafana", "datasource_basic_auth"), "password", "password_file"),  # Grafana -> Prometheus
    (("prometheus", "alerting", "basic_auth"), "password", "password_file"),  # Prometheus -> Alertmanager
    (("prometheus", "alerting", "tls"), "key", "key_file"),  # client certificate key
    (("targets", 1, "basic_auth"), "password", "password_file"),  # scrape basic auth
    (("targets", 0), "bearer_token", "bearer_token_file"),  # scrape bearer token
    (("targets", 1, "tls"), "key", "key_file"),  # scrape client key
    (("prometheus", "web", "tls"), "key", "key_file"),  # Prometheus server key
    (("alertmanager", "web", "tls"), "key", "key_file"),  # Alertmanager server key
]


def default_data() -> dict[str, Any]:
    return yaml.load(SPEC.read_text(encoding="utf-8"))


def dump(data: Any) -> str:
    buf = io.StringIO()
    YAML(typ="safe").dump(data, buf)
    return buf.getvalue()


def problems_for(tmp_path: Path, data: Any) -> list[str]:
    path = tmp_path / "spec.yaml"
    path.write_text(dump(data), encoding="utf-8")
    loaded, problems = load_and_check(path)
    return [p.message for p in problems if p.severity >= 2]


def test_default_spec_is_clean(tmp_path):
    assert problems_for(tmp_path, default_data()) == []


@pytest.mark.parametrize("where,inline,reference", CREDENTIALS, ids=lambda v: v if isinstance(v, str) else None)
def test_inline_credential_is_refused_naming_the_reference(tmp_path, where, inline, reference):
    data = default_data()
    node = data
    for part in where:
        node = node[part] if isinstance(node, list) or part in node else node.setdefault(part, {})
    node.pop(reference, None)
    node[inline] = SECRET
    messages = problems_for(tmp_path, data)
    field = ".".join(str(p) for p in where).replace(".0", "[0]").replace(".1", "[1]").replace(".2", "[2]").replace(".3", "[3]")
    assert any(
        m.startswith(f"{field}.{inline}: unknown key {inline!r}: inline secrets are not allowed; use {reference!r}") for m in messages
    ), messages
    assert all(SECRET not in m for m in messages)


def test_grafana_admin_password_may_come_from_the_environment_only_by_name(tmp_path):
    data = default_data()
    del data["grafana"]["admin_password_file"]
    data["grafana"]["admin_password_env"] = "GF_ADMIN_PASSWORD"
    assert problems_for(tmp_path, data) == []
    data["grafana"]["admin_password_env"] = "s3cret!"  # a value, not a name
    (message,) = problems_for(tmp_path, data)
    assert "admin_password_env: must be an environment variable name" in message and "s3cret" not in message


@pytest.mark.parametrize(
    "where,key,value,expected",
    [
        (("receivers", 3, "webhook"), "url", "https://am:" + SECRET + "@hooks.example.com/", "credentials in a URL are not allowed"),
        (("grafana",), "datasource_url", "https://grafana:" + SECRET + "@prometheus:9090", "credentials in a URL are not allowed"),
        (("prometheus", "web", "basic_auth_users"), "prometheus", SECRET, "must be a bcrypt hash"),
        (("receivers", 0, "email"), "auth_password_file", SECRET, "must be an absolute path to a file holding the secret"),
    ],
)
def test_secret_in_the_wrong_place_is_refused_without_echo(tmp_path, where, key, value, expected):
    data = default_data()
    node = data
    for part in where:
        node = node[part]
    node[key] = value
    messages = problems_for(tmp_path, data)
    assert any(expected in m for m in messages), messages
    assert all(SECRET not in m for m in messages)


RECEIVERS_SPEC = FIXTURES / "specs" / "valid" / "receivers.yaml"


def registry_secret_fields() -> list[tuple[str, str]]:
    """(integration, field) for every top-level secret file field in the receiver registry."""
    from sfmon.model.receivers import INTEGRATIONS
    from sfmon.model.receivers.integration import is_secret

    return [(key, name) for key, e in INTEGRATIONS.items() for name, f in e.model.model_fields.items() if is_secret(f)]


@pytest.mark.parametrize("integration,field", registry_secret_fields())
def test_every_receiver_secret_is_refused_inline_and_needs_a_path(tmp_path, integration, field):
    """From the registry: a new integration's credential is covered without listing it here."""
    # the integrations gated on a newer Alertmanager are in the newer fixture
    base = yaml.load(RECEIVERS_SPEC.read_text(encoding="utf-8"))["receivers"]
    spec = RECEIVERS_SPEC if any(integration in r for r in base) else FIXTURES / "specs" / "newer" / "receivers.yaml"
    data = yaml.load(spec.read_text(encoding="utf-8"))
    i, receiver = next((i, r) for i, r in enumerate(data["receivers"]) if integration in r)
    config = receiver[integration]
    inline = field.removesuffix("_file")
    config.pop(field, None)
    config[inline] = SECRET
    messages = problems_for(tmp_path, data)
    assert any(
        m.startswith(f"receivers[{i}].{integration}.{inline}: unknown key {inline!r}: inline secrets are not allowed; use {field!r}")
        for m in messages
    ), messages
    del config[inline]
    config[field] = SECRET  # the secret itself pasted into the file field
    messages = problems_for(tmp_path, data)
    assert any(f"receivers[{i}].{integration}.{field}: must be an absolute path to a file holding the secret" in m for m in messages), messages
    assert all(SECRET not in m for m in messages)


@pytest.mark.parametrize("key", ["access_key", "secret_key", "secret_key_file"])
def test_sns_takes_no_aws_key(tmp_path, key):
    """Alertmanager 0.25 reads an AWS secret key only inline: sfmon accepts none (IAM role or environment)."""
    data = yaml.load(RECEIVERS_SPEC.read_text(encoding="utf-8"))
    i, receiver = next((i, r) for i, r in enumerate(data["receivers"]) if "sns" in r)
    receiver["sns"]["sigv4"][key] = SECRET
    messages = problems_for(tmp_path, data)
    assert any(m.startswith(f"receivers[{i}].sns.sigv4.{key}: unknown key {key!r}") for m in messages), messages
    assert all(SECRET not in m for m in messages)


# --- no secret reaches a generated file ---------------------------------------------------------


def with_secret_files(data: dict[str, Any], secrets_dir: Path) -> dict[str, str]:
    """Point every *_file reference of `data` at a file under `secrets_dir`: a real certificate
    or key for TLS fields (promtool loads them), else a unique known value. Returns
    {secret text: path}."""
    from sfmon.tools.standins import standin

    values: dict[str, str] = {}
    pem = secrets_dir / "pem"

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in list(node.items()):
                if isinstance(v, str) and k.endswith("_file") and v.startswith("/"):
                    if k in ("cert_file", "ca_file", "client_ca_file", "key_file"):
                        path = standin(pem, "key" if k == "key_file" else "cert")
                        value = path.read_text().splitlines()[1]  # a line of the PEM body
                    else:
                        value = f"SFMON-TEST-SECRET-{k}-{uuid.uuid4().hex}"
                        path = secrets_dir / f"{len(values)}-{Path(v).name}"
                        path.write_text(value + "\n", encoding="utf-8")
                    node[k] = str(path)
                    values[value] = str(path)
                else:
                    walk(v)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return values


SPECS = {"default": SPEC, **{p.stem: p for p in sorted((FIXTURES / "specs" / "valid").glob("*.yaml"))}}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_no_secret_value_appears_in_any_generated_file_or_output(tmp_path, name, promtool, amtool):
    data = yaml.load(SPECS[name].read_text(encoding="utf-8"))
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    values = with_secret_files(data, secrets_dir)
    assert values, "the spec references no secret file"
    spec = tmp_path / "spec.yaml"
    spec.write_text(dump(data), encoding="utf-8")
    out = tmp_path / "generated"
    printed = ""
    # scraping.yaml uses what only Prometheus 3 reads (Kubernetes and Consul discovery, UTF-8 names)
    env = {"SFMON_PROMTOOL": newest_build("promtool")} if name == "scraping" else None
    for args in (("generate",), ("generate", "--check"), ("validate",), ("validate", "--format", "json")):
        done = run_sfmon(*args, "--spec", str(spec), "--out", str(out), cwd=ROOT, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        printed += done.stdout + done.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 8
    for value in values:
        for path in files:
            assert value.encode() not in path.read_bytes(), f"{value} leaked into {path.relative_to(out)}"
        assert value not in printed
    # Every reference reaches the configs as a path, so each service reads its own secret.
    text = "".join(p.read_text(encoding="utf-8") for p in files)
    for path in values.values():
        assert path in text


def test_committed_generated_files_hold_only_references():
    """Every credential-looking key in generated/ holds a path or Grafana's $__file{path}."""
    pattern = re.compile(r"(?mi)^[\s-]*\"?([\w.]*(?:password|secret|token|key|api_url|cert)[\w.]*)\"?:[ \t]*(\S.*)$")
    seen = 0
    for path in (ROOT / "generated").rglob("*"):
        if not path.is_file() or path.name == ".sfmon-manifest":
            continue
        for m in pattern.finditer(path.read_text(encoding="utf-8")):
            value = m.group(2).strip().strip('"')
            seen += 1
            assert value.startswith(("/", "$__file{")) or value in ("true", "false"), (path.name, m.group(0))
    assert seen >= 10
