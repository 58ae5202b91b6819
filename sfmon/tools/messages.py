"""Every notification rendered before it ships: for each case of the rendered
tests/messages.test.yml (an alert, a receiver it reaches, Alertmanager's data for it), each
templated field of that receiver's entries in the rendered alertmanager.yml (the registry's
`messages`) goes through `amtool template render` with the rendered notification templates.

Alertmanager's check-config parses the template files but never executes them: a template
that fails at send time drops the notification (alertmanager#3490). Here a failure, or a
field that renders empty, is a problem naming the receiver, the alert and the field.

One amtool run per (case, entry, text or html): the fields of one run are joined by marker
lines and split back from its output.
"""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache, partial
from pathlib import Path
from typing import Any

from sfmon.model.receivers import INTEGRATIONS
from sfmon.problems import Problem, Severity
from sfmon.render import outputs
from sfmon.tools.runner import Run

# Where Debian's package keeps Alertmanager's own templates: its amtool's `template render`
# does not load them (upstream's embeds them), while its Alertmanager does.
DEBIAN_DEFAULTS = ("/usr/share/prometheus/alertmanager/default.tmpl", "/usr/share/prometheus/alertmanager/email.tmpl")

MARK = "\n@@sfmon-field {}@@\n"
_MARK = re.compile(r"\n@@sfmon-field (\S+)@@\n")


def field_text(entry: Any, field: str) -> str | None:
    """The text of a dotted field (`headers.Subject`) in one `*_configs` entry, or None."""
    value = entry
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, str) else None


@cache
def default_templates(amtool: str) -> tuple[str, ...]:
    """The template files to add so that this amtool knows Alertmanager's own templates
    (slack.default.title ...), as the server does: none when it has them built in."""
    try:
        done = subprocess.run(
            [amtool, "template", "render", "--template.glob=/nonexistent/*.tmpl", '--template.text={{ template "__subject" . }}'],
            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ()
    if done.returncode == 0 or "not defined" not in done.stderr + done.stdout:
        return ()
    return tuple(p for p in DEBIAN_DEFAULTS if Path(p).is_file())


def message_runs(output: outputs.Output, workdir: Path, label: str) -> list[Run]:
    from sfmon.tools.proofs import load_yaml, name_lines

    assert output.tool is not None
    cases_path, am_path = workdir / output.path, workdir / outputs.ALERTMANAGER.path
    if not cases_path.is_file() or not am_path.is_file():
        return []
    try:
        cases = (load_yaml(cases_path.read_text(encoding="utf-8")) or {}).get("cases") or []
        am_text = am_path.read_text(encoding="utf-8")
        config = load_yaml(am_text) or {}
    except (ValueError, AttributeError):
        return []  # a broken alertmanager.yml is amtool check-config's to report
    lines = name_lines(am_text)  # the receivers' `- name:` lines (and the routes' none)
    receivers = {str(r.get("name")): r for r in config.get("receivers") or [] if isinstance(r, dict)}
    from sfmon.tools.runner import ToolMissing, find

    try:
        defaults = default_templates(find("amtool"))
    except ToolMissing:
        defaults = ()  # validate reports the missing tool (exit 3)
    globs = [*defaults, *(str(t) for t in config.get("templates") or [])] or ["notifications/*.tmpl"]
    data_dir = workdir / ".sfmon-messages"
    data_dir.mkdir(exist_ok=True)
    runs: list[Run] = []
    for n, case in enumerate(cases):
        receiver, alert = str(case.get("receiver")), str(case.get("alert"))
        severity = (((case.get("data") or {}).get("commonLabels")) or {}).get("severity")
        data = data_dir / f"{n}.json"
        data.write_text(json.dumps(case.get("data"), ensure_ascii=False), encoding="utf-8")
        for integ in INTEGRATIONS.values():
            for i, entry in enumerate((receivers.get(receiver) or {}).get(integ.configs) or []):
                for kind in ("text", "html"):
                    fields = {
                        f"{integ.configs}[{i}].{f}": text
                        for f, _, k in integ.messages
                        if k == kind and (text := field_text(entry, f)) is not None
                    }
                    if not fields:
                        continue
                    joined = "".join(MARK.format(name) + text for name, text in fields.items())
                    args = (
                        *output.tool.args(), *(f"--template.glob={g}" for g in globs),
                        f"--template.type={kind}", f"--template.text={joined}", f"--template.data={data.relative_to(workdir)}",
                    )  # fmt: skip
                    where = f"receiver {receiver!r}, alert {alert!r}" + (f" ({severity})" if severity else "")
                    runs.append(Run(
                        output.tool.check, args, f"{label}/{outputs.ALERTMANAGER.path}", str(workdir),
                        partial(parse_render_failure, where=where, fields=list(fields), line=lines.get(receiver, 0)),
                        partial(check_rendered, where=where, fields=list(fields), line=lines.get(receiver, 0)),
                    ))  # fmt: skip
    return runs


def split(output: str) -> dict[str, str]:
    """Field -> its rendered text, from one run's output."""
    parts = _MARK.split(output)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def check_rendered(job: Run, output: str, where: str, fields: list[str], line: int = 0) -> list[Problem]:
    """A run that succeeded: each field must render some text (an empty message is dropped
    or refused by the service)."""
    got = split(output)
    return [
        Problem(job.file, line, 1 if line else 0, job.check, Severity.ERROR, f"{where}: {field} renders empty")
        for field in fields
        if not got.get(field, "").strip()
    ]


_AT = re.compile(r"template: :(\d+):")


def failing_field(fields: list[str], texts: list[str], output: str) -> list[str]:
    """The field amtool's error is in (its `template: :LINE:COL:` counts lines of the joined
    text), or every field when it does not say."""
    m = _AT.search(output)
    if m is None:
        return fields
    line, start = int(m.group(1)), 1
    for field, text in zip(fields, texts):
        start += MARK.count("\n")  # the marker's lines come first
        end = start + text.count("\n")
        if start <= line <= end:
            return [field]
        start = end
    return fields


def parse_render_failure(job: Run, output: str, where: str, fields: list[str], line: int = 0) -> list[Problem]:
    said = [s.strip() for s in output.splitlines() if s.strip()]
    why = "; ".join(said) or "amtool failed with no message"
    text = next((a.split("=", 1)[1] for a in job.args if a.startswith("--template.text=")), "")
    texts = [t for i, t in enumerate(_MARK.split(text)) if i and i % 2 == 0]
    which = failing_field(fields, texts, output)
    return [Problem(job.file, line, 1 if line else 0, job.check, Severity.ERROR, f"{where}: {', '.join(which)}: amtool cannot render it: {why}")]
