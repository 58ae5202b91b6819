"""What SoftFactory's own app did besides /metrics: a structured JSON access log (one line per
request) and /api/admin/metrics, a JSON summary of the same counters behind an admin token."""

from __future__ import annotations

import hmac
import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from prometheus_client import CollectorRegistry


class AccessLog:
    """One JSON object per line: time (RFC 3339, UTC), method, path, status, duration_ms, user."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self._lock = threading.Lock()  # one writer at a time: lines never interleave

    def write(self, method: str, path: str, status: int, seconds: float, user: str | None) -> None:
        if self.stream is None:
            return
        line = json.dumps({
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "method": method, "path": path, "status": status, "duration_ms": round(seconds * 1000, 3), "user": user,
        }, ensure_ascii=False)  # fmt: skip
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()


def authorized(header: str | None, token_file: Path | None) -> bool:
    """`Authorization: Bearer <token>` with the token the file holds (read per request, so a
    rotated token takes effect at once). No file configured: nobody is an admin."""
    if token_file is None or not header or not header.startswith("Bearer "):
        return False
    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return bool(token) and hmac.compare_digest(header[len("Bearer "):].encode(), token.encode())


def counters(registry: CollectorRegistry) -> dict[str, Any]:
    """Every counter family: its total and its value per label set, as /metrics has them."""
    out: dict[str, Any] = {}
    for family in registry.collect():
        if family.type != "counter":
            continue
        series = [
            {"labels": dict(sorted(s.labels.items())), "value": s.value} for s in family.samples if s.name.endswith("_total")
        ]
        out[f"{family.name}_total"] = {"total": sum(s["value"] for s in series), "series": series}
    return dict(sorted(out.items()))
