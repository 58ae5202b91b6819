"""A probe for real: Debian's blackbox exporter probes a local HTTP server on 127.0.0.1 with
the rendered blackbox.yml, a real Prometheus scrapes it through the rendered probe job (the
standard blackbox relabelling), and the failing URL's `probe_success` reaches 0 and fires
the generated probe_failed alert while the healthy one stays 1."""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from harness import Proc, free_port, get_json, require, wait_until
from sfmon.pipeline import load_text, render

pytestmark = pytest.mark.live

QUERY = quote('probe_success{job="site"}')
BLACKBOX = shutil.which("prometheus-blackbox-exporter") or "/usr/bin/prometheus-blackbox-exporter"


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        status = 200 if self.path == "/ok" else 503
        body = b"fine\n" if status == 200 else b"broken\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _spec(site: int, blackbox: int) -> str:
    return f"""
version: 1
project: probes
prometheus: {{scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s, alertmanagers: ["127.0.0.1:{free_port()}"]}}
targets:
  - name: site
    probe: {{module: http_2xx, targets: ["http://127.0.0.1:{site}/ok", "http://127.0.0.1:{site}/fail"]}}
blackbox:
  address: "127.0.0.1:{blackbox}"
  modules:
    http_2xx: {{timeout: 1s, http: {{preferred_ip_protocol: ip4, valid_status_codes: [200]}}}}
alerts:
  - {{name: SiteDown, kind: probe_failed, target: site, for: 0s, severity: critical, summary: "{{{{ $labels.instance }}}} fails"}}
receivers:
  - {{name: team, webhook: {{url: "http://127.0.0.1:9/"}}}}
routing:
  receiver: team
grafana:
  admin_password_file: /run/secrets/grafana
"""


def test_failing_probe_reaches_zero_and_fires(tmp_path: Path, prometheus_bin: str) -> None:
    require(BLACKBOX, "prometheus-blackbox-exporter")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site, bb, prom = server.server_address[1], free_port(), free_port()
    out = tmp_path / "out"
    for rel, text in render(load_text("probes.yaml", _spec(site, bb))).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    procs = [
        Proc("blackbox", [BLACKBOX, "--config.file", str(out / "blackbox.yml"), "--web.listen-address", f"127.0.0.1:{bb}"], tmp_path),
        Proc("prometheus", [prometheus_bin, "--config.file", str(out / "prometheus.yml"), "--storage.tsdb.path", str(tmp_path / "data"),
                            "--web.listen-address", f"127.0.0.1:{prom}"], tmp_path),
    ]  # fmt: skip
    try:
        for p in procs:
            p.start()
        api = f"http://127.0.0.1:{prom}/api/v1"

        def probes() -> dict[str, str] | None:
            found = get_json(f"{api}/query?query={QUERY}")["data"]["result"]
            got = {r["metric"]["instance"]: r["value"][1] for r in found}
            return got if len(got) == 2 else None

        got = wait_until(probes, 30, "both probes scraped")
        assert got == {f"http://127.0.0.1:{site}/ok": "1", f"http://127.0.0.1:{site}/fail": "0"}

        def firing() -> list[dict]:
            alerts = get_json(f"{api}/alerts")["data"]["alerts"]
            return [a for a in alerts if a["labels"].get("alertname") == "SiteDown" and a["state"] == "firing"]

        fired = wait_until(firing, 30, "SiteDown firing")
        assert [a["labels"]["instance"] for a in fired] == [f"http://127.0.0.1:{site}/fail"]
        assert fired[0]["annotations"]["summary"] == f"http://127.0.0.1:{site}/fail fails"
    except AssertionError:
        print("\n".join(f"--- {p.name}\n{p.tail()}" for p in procs))
        raise
    finally:
        for p in procs:
            p.stop()
        server.shutdown()
