"""`sfmon silences apply|plan`: keep the spec's maintenance windows as silences in a running
Alertmanager (sfmon.tools.silences)."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from sfmon.cli import output
from sfmon.cli.options import EXIT_PROBLEMS, TEXT, basic_auth, InsecureOpt, OverlayOpt, PasswordFileOpt, SetOpt, SpecOpt, examples

EPILOG = examples(
    "sfmon silences plan --url http://127.0.0.1:9093",
    "sfmon silences apply --url http://127.0.0.1:9093",
    note="apply creates, updates and expires only silences sfmon made for this project (their comment ends "
    "with [sfmon PROJECT/NAME]); re-running it changes nothing. plan prints the same steps and changes nothing. "
    "An Alertmanager that does not answer or refuses a silence: exit 1.",
)


class Action(str, Enum):
    apply = "apply"
    plan = "plan"


class SilencesFormat(str, Enum):
    text = "text"
    json = "json"


def command(
    action: Annotated[Action, typer.Argument(help="apply: make the silences so; plan: only say what apply would do.")],
    url: Annotated[str, typer.Option("--url", metavar="<url>", help="Alertmanager's base URL, e.g. http://127.0.0.1:9093.")],
    spec: SpecOpt = Path("specs/specs.yaml"),
    overlay: OverlayOpt = None,
    set_: SetOpt = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, max=60, help="Seconds per HTTP request.")] = 5.0,
    retries: Annotated[int, typer.Option("--retries", min=1, max=10, help="Attempts per request (connection errors, 5xx).")] = 3,
    insecure: InsecureOpt = False,
    user: Annotated[Optional[str], typer.Option("--user", help="Basic-auth user for Alertmanager.")] = None,
    password_file: PasswordFileOpt = None,
    fmt: Annotated[SilencesFormat, typer.Option("--format", "-f", help="Lines for people, JSON for machines.")] = SilencesFormat.text,
) -> None:
    """Make a running Alertmanager hold exactly the spec's maintenance windows as silences."""
    from sfmon.cli.options import Format
    from sfmon.derive.silences import silences
    from sfmon.tools import silences as s

    problems_fmt = Format("json") if fmt is SilencesFormat.json else TEXT
    loaded = output.load(spec, problems_fmt, overlay, set_)
    auth = basic_auth(user, password_file)
    client = s.Client(url, timeout=timeout, retries=retries, basic_auth=auth, insecure=insecure)
    try:
        done = s.apply(client, loaded.spec.project, silences(loaded.spec), dry_run=action is Action.plan)
    except s.ApiError as exc:
        raise output.error(str(exc), EXIT_PROBLEMS) from None
    if fmt is SilencesFormat.json:
        typer.echo(json.dumps([{"action": st.action, "window": st.name, "silence_id": sid} for st, sid in done], indent=2))
        return
    for st, sid in done:
        typer.echo(f"{st.action:<9} {st.name}" + (f"  {sid}" if sid else ""))
    changed = sum(st.action in (s.CREATE, s.UPDATE, s.EXPIRE) for st, _ in done)
    verb = "would change" if action is Action.plan else "changed"
    output.info(f"{len(loaded.spec.maintenance)} maintenance windows; {verb} {changed} silences", problems_fmt)
