"""The hardened stack (docs/hardening.md): the default spec renders TLS and basic auth for the
Prometheus and Alertmanager web endpoints and for every client of them, the web configs
pass `promtool check web-config` with real certificates (and with stand-ins in validate),
one overlay switches it all off, and the real servers, started with the rendered files,
refuse anonymous and plain-HTTP requests while Prometheus scrapes itself and delivers an
alert over TLS with basic auth."""

from __future__ import annotations

import base64
import io
import json
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from conftest import ROOT, SPEC, free_port, require_tool, run_sfmon
from sfmon.pipeline import load, render

# Version-sensitive: once per toolset (tests/toolsets.py).
pytestmark = pytest.mark.matrix

yaml = YAML(typ="safe")
PLAIN = ROOT / "specs" / "overlays" / "plain-http.yaml"


def dump(data: Any) -> str:
    buf = io.StringIO()
    YAML(typ="safe").dump(data, buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def default_files() -> dict[str, str]:
    return render(load(SPEC))


def test_default_spec_secures_both_web_endpoints_and_every_client(default_files):
    files = default_files
    for server in ("prometheus", "alertmanager"):
        web = yaml.load(files[f"{server}-web.yml"])
        assert web["tls_server_config"]["cert_file"].startswith("/run/secrets/")
        assert web["tls_server_config"]["min_version"] == "TLS12"
        assert web["basic_auth_users"] and all(h.startswith("$2") for h in web["basic_auth_users"].values())
    prom = yaml.load(files["prometheus.yml"])
    am_client = prom["alerting"]["alertmanagers"][0]
    assert am_client["scheme"] == "https" and am_client["tls_config"]["ca_file"] and am_client["basic_auth"]["password_file"]
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    for job in ("prometheus", "alertmanager"):
        assert jobs[job]["scheme"] == "https" and jobs[job]["tls_config"]["server_name"] == job
        assert jobs[job]["basic_auth"]["password_file"].startswith("/run/secrets/")
    ds = yaml.load(files["grafana/provisioning/datasources/prometheus.yml"])["datasources"][0]
    assert ds["url"].startswith("https://") and ds["basicAuth"] is True
    assert ds["secureJsonData"] == {
        "basicAuthPassword": "$__file{/run/secrets/grafana_prometheus_password}",
        "tlsCACert": "$__file{/run/secrets/ca.crt}",
    }
    compose = yaml.load(files["docker-compose.yml"])
    for server in ("prometheus", "alertmanager"):
        svc = compose["services"][server]
        assert f"--web.config.file=/etc/{server}/web.yml" in svc["command"]
        assert f"./{server}-web.yml:/etc/{server}/web.yml:ro" in svc["volumes"]
        web = yaml.load(files[f"{server}-web.yml"])["tls_server_config"]
        mounted = {s["target"] for s in svc["secrets"]}
        assert {web["cert_file"], web["key_file"]} <= mounted
    grafana = compose["services"]["grafana"]
    assert grafana["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert "GF_SECURITY_ADMIN_PASSWORD" not in grafana["environment"]  # only the __FILE variant


def test_plain_http_overlay_switches_every_measure_off(tmp_path):
    out = tmp_path / "plain"
    done = run_sfmon("generate", "--overlay", str(PLAIN), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert not (out / "prometheus-web.yml").exists() and not (out / "alertmanager-web.yml").exists()
    text = "".join((out / f).read_text(encoding="utf-8") for f in ("prometheus.yml", "docker-compose.yml"))
    for word in ("tls_config", "basic_auth", "web.config.file", 'scheme: "https"', "/run/secrets/ca.crt"):
        assert word not in text, word
    ds = yaml.load((out / "grafana/provisioning/datasources/prometheus.yml").read_text())["datasources"][0]
    assert ds["url"] == "http://prometheus:9090" and "basicAuth" not in ds and "secureJsonData" not in ds


def openssl_ca(directory: Path) -> dict[str, Path]:
    """A CA and a certificate for each server (SANs: its name, localhost, 127.0.0.1)."""
    openssl = require_tool("openssl")
    directory.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=directory, check=True, capture_output=True, timeout=60)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-days", "2", "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=sfmon-test-ca")
    out = {"ca": directory / "ca.crt"}
    for server in ("prometheus", "alertmanager"):
        (directory / f"{server}.ext").write_text(f"subjectAltName=DNS:{server},DNS:localhost,IP:127.0.0.1\n")
        run("req", *ec, "-keyout", f"{server}.key", "-out", f"{server}.csr", "-subj", f"/CN={server}")
        run("x509", "-req", "-in", f"{server}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-out", f"{server}.crt", "-extfile", f"{server}.ext")  # fmt: skip
        out[server] = directory / f"{server}.crt"
        out[f"{server}.key"] = directory / f"{server}.key"
    return out


def bcrypt(password: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import crypt
        except ImportError:  # Python 3.13 dropped it
            htpasswd = require_tool("htpasswd", "apache2-utils")  # skips on a laptop, fails in CI
            out = subprocess.run([htpasswd, "-nbBC", "10", "", password], capture_output=True, text=True, check=True)
            return out.stdout.strip().lstrip(":")
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))


def test_rendered_web_configs_pass_promtool_with_real_certificates(tmp_path, promtool):
    pki = openssl_ca(tmp_path / "pki")
    data = yaml.load(SPEC.read_text(encoding="utf-8"))
    for server in ("prometheus", "alertmanager"):
        settings = data[server]["web"]
        settings["tls"] = {"cert_file": str(pki[server]), "key_file": str(pki[f"{server}.key"]), "client_ca_file": str(pki["ca"]),
                           "client_auth_type": "VerifyClientCertIfGiven", "min_version": "TLS13"}  # fmt: skip
    spec = tmp_path / "spec.yaml"
    spec.write_text(dump(data), encoding="utf-8")
    files = render(load(spec))
    for server in ("prometheus", "alertmanager"):
        path = tmp_path / f"{server}-web.yml"
        path.write_text(files[f"{server}-web.yml"], encoding="utf-8")
        done = subprocess.run([promtool, "check", "web-config", str(path)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "SUCCESS" in done.stdout + done.stderr


def test_validate_reports_a_web_config_promtool_rejects(tmp_path, promtool):
    from sfmon.tools.standins import prepare
    from sfmon.tools.runner import run
    from sfmon.tools.validate import tool_runs

    (tmp_path / "prometheus-web.yml").write_text(
        'tls_server_config:\n  cert_file: "/run/secrets/none.crt"\n  key_file: "/run/secrets/none.key"\n'
        'basic_auth_users:\n  admin: "$2b$10$tooshort"\n',
        encoding="utf-8",
    )
    assert prepare(tmp_path) == ["/run/secrets/none.crt", "/run/secrets/none.key"]
    (job,) = tool_runs(tmp_path, "generated")
    (problem,) = run(job)
    assert problem.file == "generated/prometheus-web.yml" and problem.check == "promtool/web-config"
    assert "bcrypt" in problem.message


def test_validate_without_openssl_for_stand_ins_exits_3(tmp_path):
    done = run_sfmon("validate", env={"SFMON_OPENSSL": str(tmp_path / "absent")})
    assert done.returncode == 3, done.stdout + done.stderr
    assert "openssl not found" in done.stderr and "apt-get install openssl" in done.stderr


# --- live: the real servers with the rendered files -----------------------------------------


def get(url: str, ca: Path | None, auth: tuple[str, str] | None = None, timeout: float = 5) -> tuple[int, bytes]:
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
    ctx = ssl.create_default_context(cafile=str(ca)) if ca else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout, context=ctx) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(what: str, check: Any, seconds: float = 40) -> Any:
    deadline = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    pytest.fail(f"{what} within {seconds:.0f}s (last: {last!r})")


@pytest.mark.live
def test_real_servers_require_tls_and_login_and_still_work(tmp_path, prometheus_bin, alertmanager_bin):
    prometheus, alertmanager = prometheus_bin, alertmanager_bin
    pki = openssl_ca(tmp_path / "pki")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    pw = {"prometheus": "p-" + base64.b32encode(ssl.RAND_bytes(10)).decode(), "alertmanager": "a-" + base64.b32encode(ssl.RAND_bytes(10)).decode()}
    for server, value in pw.items():
        (secrets / server).write_text(value)
    p_port, a_port = free_port(), free_port()

    def client(server: str) -> dict[str, Any]:
        return {"tls": {"ca_file": str(pki["ca"]), "server_name": server},
                "basic_auth": {"username": "prometheus", "password_file": str(secrets / server)}}  # fmt: skip

    def web(server: str) -> dict[str, Any]:
        return {"tls": {"cert_file": str(pki[server]), "key_file": str(pki[f"{server}.key"])},
                "basic_auth_users": {"prometheus": bcrypt(pw[server])}}  # fmt: skip

    data = {
        "version": 1,
        "project": "hardened",
        "prometheus": {
            "scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s",
            "listen_address": f"127.0.0.1:{p_port}", "alertmanagers": [f"127.0.0.1:{a_port}"],
            "alerting": {"scheme": "https", **client("alertmanager")}, "web": web("prometheus"),
        },
        "alertmanager": {"web": web("alertmanager")},
        "targets": [{"name": "prometheus", "addresses": [f"127.0.0.1:{p_port}"], "scheme": "https", **client("prometheus")}],
        "alerts": [{"name": "AlwaysFiring", "kind": "expr", "expr": "vector(1) > 0", "severity": "info", "summary": "always"}],
        "receivers": [{"name": "team", "webhook": {"url": "http://127.0.0.1:9/"}}],
        "routing": {"receiver": "team", "group_wait": "1s"},
        "grafana": {"admin_password_file": "/run/secrets/grafana"},
    }  # fmt: skip
    spec = tmp_path / "spec.yaml"
    spec.write_text(dump(data), encoding="utf-8")
    out = tmp_path / "generated"
    done = run_sfmon("generate", "--spec", str(spec), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    procs = [
        subprocess.Popen([alertmanager, f"--config.file={out / 'alertmanager.yml'}", f"--storage.path={tmp_path / 'am'}",
                          f"--web.listen-address=127.0.0.1:{a_port}", f"--web.config.file={out / 'alertmanager-web.yml'}",
                          "--cluster.listen-address="], stdout=subprocess.DEVNULL, stderr=open(tmp_path / "am.log", "wb")),
        subprocess.Popen([prometheus, f"--config.file={out / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'prom'}",
                          f"--web.listen-address=127.0.0.1:{p_port}", f"--web.config.file={out / 'prometheus-web.yml'}",
                          "--rules.alert.resend-delay=1s"],  # an alert dropped before discovery is re-sent soon
                         stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prom.log", "wb")),
    ]  # fmt: skip
    try:
        p_url, a_url = f"https://127.0.0.1:{p_port}", f"https://127.0.0.1:{a_port}"
        login = {server: ("prometheus", pw[server]) for server in pw}
        wait_for("Prometheus ready", lambda: get(f"{p_url}/-/ready", pki["ca"], login["prometheus"])[0] == 200)
        wait_for("Alertmanager ready", lambda: get(f"{a_url}/-/ready", pki["ca"], login["alertmanager"])[0] == 200)
        # Refused: no login, a wrong password, plain HTTP, a certificate nobody vouched for.
        assert get(f"{p_url}/api/v1/status/config", pki["ca"])[0] == 401
        assert get(f"{p_url}/api/v1/status/config", pki["ca"], ("prometheus", "wrong"))[0] == 401
        assert get(f"{a_url}/api/v2/status", pki["ca"])[0] == 401
        assert get(f"http://127.0.0.1:{p_port}/-/ready", None, login["prometheus"])[0] == 400  # "HTTP request to an HTTPS server"
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            urllib.request.urlopen(f"{p_url}/-/ready", timeout=5, context=ssl.create_default_context())
        # Working: Prometheus scrapes itself over TLS with its login, and delivers the alert.

        def self_scrape_up() -> bool:
            status, body = get(f"{p_url}/api/v1/query?query=up", pki["ca"], login["prometheus"])
            result = json.loads(body)["data"]["result"] if status == 200 else []
            return any(r["metric"].get("job") == "prometheus" and r["value"][1] == "1" for r in result)

        wait_for("up{job='prometheus'} == 1 (scrape over TLS with basic auth)", self_scrape_up)

        def alert_delivered() -> bool:
            status, body = get(f"{a_url}/api/v2/alerts", pki["ca"], login["alertmanager"])
            return status == 200 and any(a["labels"].get("alertname") == "AlwaysFiring" for a in json.loads(body))

        wait_for("AlwaysFiring at Alertmanager (sent over TLS with basic auth)", alert_delivered)
    except BaseException:
        for log in ("prom.log", "am.log"):
            print(f"--- {log}", *(tmp_path / log).read_text(errors="replace").splitlines()[-15:], sep="\n")
        raise
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
