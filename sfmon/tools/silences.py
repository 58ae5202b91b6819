"""`sfmon silences apply`: make a running Alertmanager hold exactly the spec's maintenance
windows as silences, through its v2 HTTP API (urllib; every request bounded by a timeout,
retried a few times on connection errors and 5xx answers).

Only silences whose comment carries this project's tag (sfmon.derive.silences) are read
as sfmon's; any other silence is never changed. Per window, by name:
- no live (active or pending) silence of it: create one (a window that has ended: none);
- one that already says the same: leave it (re-running changes nothing);
- one that differs: post the window with that silence's id, so Alertmanager updates it
  (or, where it cannot update in place, expires it and makes a new one);
- more than one: keep the first as above, expire the others.
A live silence of this project whose window is gone from the spec, or has ended, is expired.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from sfmon.derive.silences import owner

CREATE, UPDATE, EXPIRE, KEEP, SKIP = "create", "update", "expire", "unchanged", "ended"


class ApiError(Exception):
    """Alertmanager did not answer, or refused a request; the message says which and why."""


@dataclass(frozen=True)
class Step:
    action: str  # create | update | expire | unchanged | ended
    name: str  # the window's name
    silence_id: str = ""  # the existing silence, for update / expire / unchanged
    body: dict[str, Any] | None = None  # what is posted, for create / update


@dataclass
class Client:
    url: str
    timeout: float = 5.0
    retries: int = 3
    sleep: Callable[[float], None] = time.sleep
    headers: dict[str, str] = field(default_factory=dict)
    basic_auth: tuple[str, str] | None = None  # Alertmanager's web endpoint (alertmanager.web)
    insecure: bool = False  # skip TLS certificate checks (self-signed test stacks)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        url = self.url.rstrip("/") + path
        headers = {"Content-Type": "application/json", **self.headers}
        if self.basic_auth:
            headers["Authorization"] = "Basic " + base64.b64encode(":".join(self.basic_auth).encode()).decode()
        ctx = ssl._create_unverified_context() if self.insecure and url.startswith("https:") else None  # noqa: S323 (opt-in)
        last = ""
        for attempt in range(self.retries):
            req = urllib.request.Request(url, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout, context=ctx) as resp:
                    text = resp.read(16 * 1024 * 1024).decode("utf-8", "replace")
                    return json.loads(text) if text.strip() else None
            except urllib.error.HTTPError as exc:
                detail = exc.read(4096).decode("utf-8", "replace").strip()
                last = f"{method} {url}: HTTP {exc.code}: {detail}"
                if exc.code < 500:
                    raise ApiError(last) from None
            except (urllib.error.URLError, OSError, json.JSONDecodeError) as exc:
                last = f"{method} {url}: {getattr(exc, 'reason', None) or exc}"
            if attempt + 1 < self.retries:
                self.sleep(0.5 * 2**attempt)
        raise ApiError(f"{last} (after {self.retries} attempts)")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _matchers(ms: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    # isEqual is absent in answers of releases before it existed: it then means "equal"
    return sorted((m["name"], m["value"], bool(m.get("isRegex")), m.get("isEqual", True) is not False) for m in ms)


def same(live: dict[str, Any], want: dict[str, Any], now: datetime) -> bool:
    """Whether a live silence already is the window. A window that has begun is created
    from now (Alertmanager moves a past start to the time it is posted), so two starts
    both in the past are the same start."""
    ls, ws = _instant(live["startsAt"]), _instant(want["startsAt"])
    return (
        _matchers(live["matchers"]) == _matchers(want["matchers"])
        and _instant(live["endsAt"]) == _instant(want["endsAt"])
        and live.get("createdBy") == want["createdBy"]
        and live.get("comment") == want["comment"]
        and (ls == ws or (ls <= now and ws <= now))
    )


def plan(project: str, wanted: list[dict[str, Any]], live: list[dict[str, Any]], now: datetime) -> list[Step]:
    """What to do, from the windows (PostableSilences, in spec order) and the silences the
    Alertmanager holds. Pure."""
    mine: dict[str, list[dict[str, Any]]] = {}
    for s in live:
        who = owner(s.get("comment", ""))
        if who is None or who[0] != project or s.get("status", {}).get("state") == "expired":
            continue
        mine.setdefault(who[1], []).append(s)
    for v in mine.values():
        v.sort(key=lambda s: (s.get("updatedAt", ""), s["id"]))  # stable: the oldest first
    steps: list[Step] = []
    names = set()
    for want in wanted:
        name = owner(want["comment"])[1]  # type: ignore[index]
        names.add(name)
        have = mine.get(name, [])
        if _instant(want["endsAt"]) <= now:
            steps += [Step(SKIP, name)] + [Step(EXPIRE, name, s["id"]) for s in have]
            continue
        if not have:
            steps.append(Step(CREATE, name, body=want))
        elif same(have[0], want, now):
            steps.append(Step(KEEP, name, have[0]["id"]))
        else:
            steps.append(Step(UPDATE, name, have[0]["id"], body={**want, "id": have[0]["id"]}))
        steps += [Step(EXPIRE, name, s["id"]) for s in have[1:]]
    for name, have in sorted(mine.items()):
        if name not in names:
            steps += [Step(EXPIRE, name, s["id"]) for s in have]
    return steps


def apply(client: Client, project: str, wanted: list[dict[str, Any]], now: datetime | None = None, dry_run: bool = False) -> list[tuple[Step, str]]:
    """Carry out the plan; (step, silence id after it) per step. ApiError on a failure
    (the steps before it are done: re-running finishes the job)."""
    now = now or datetime.now(timezone.utc)
    live = client.request("GET", "/api/v2/silences") or []
    done = []
    for step in plan(project, wanted, live, now):
        sid = step.silence_id
        if not dry_run:
            if step.action in (CREATE, UPDATE):
                sid = (client.request("POST", "/api/v2/silences", step.body) or {}).get("silenceID", sid)
            elif step.action == EXPIRE:
                client.request("DELETE", "/api/v2/silence/" + urllib.parse.quote(step.silence_id, safe=""))
        done.append((step, sid))
    return done
