"""What a spec change means: two Specs in, a list of field-level changes out. Pure.

Items are matched by their names (targets, alerts, receivers, dashboards, panels, ...),
not by position, so reordering or reformatting the YAML is no change. Values are shown
as the user wrote them: durations and percentages keep their text (`5m`, `5%`).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Iterator

from pydantic import BaseModel

from sfmon.kinds.base import AlertBase, UserTest
from sfmon.kinds.tiers import Tier
from sfmon.model import Dashboard, Inhibit, MetricFamily, Panel, Route, Row, Spec, Variable
from sfmon.model.time import TimeInterval

MARKER = "<!-- sfmon-diff -->"  # lets a CI job find and update its earlier PR comment


@dataclass(frozen=True)
class Change:
    subject: str  # "alert HighErrorRate", "receiver ops-slack", "routing", ...
    path: str  # within the subject: "threshold above", "slack.channel", "panel 'p95 latency'", "" for itself
    action: str  # "added" | "removed" | "changed" | "enabled" | "disabled" (an alert's `enabled`)
    old: str | None = None
    new: str | None = None

    def text(self, code: Callable[[str], str] = str) -> str:
        """One line for people; `code` formats the values (Markdown code spans, or as is)."""
        head = self.subject + (f": {self.path}" if self.path else "")
        if self.action == "changed":
            return f"{head} {code(self.old or '')} -> {code(self.new or '')}"
        if self.action == "added" and self.new is not None:
            return f"{head} set to {code(self.new)}"
        if self.action == "removed" and self.old is not None:
            return f"{head} removed (was {code(self.old)})"
        return f"{head} {self.action}"


# --- values as the user wrote them ------------------------------------------------------


def show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):  # Duration and Percent too: they keep the user's text
        return value if value else '""'
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, _PanelInRow):
        return show(value.panel)
    if isinstance(value, BaseModel):  # only what the user wrote, not every default
        fields = type(value).model_fields
        return "{" + ", ".join(
            f"{fields[n].alias or n}: {show(getattr(value, n))}" for n in fields if n in value.model_fields_set
        ) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def _matchers(labels: dict[str, str], op: str = "=") -> list[str]:
    return [f"{k}{op}{json.dumps(v, ensure_ascii=False)}" for k, v in labels.items()]


def _lines(lines: list[str]) -> list[str]:
    # `matchers:` lines as the matchers they hold, so a re-quoted or re-spaced line is the same route
    from sfmon.semantics.matchers import parse

    return [str(m) for line in lines for m in parse(line, fallback=True)]


# --- how items are named and which fields they have -------------------------------------


@dataclass(frozen=True)
class _Threshold:
    direction: str  # "above" | "below"
    value: Any


@dataclass(frozen=True)
class _PanelInRow:
    """A panel as the diff sees it: identified by title across the dashboard, row a field."""

    panel: Panel
    row: str


def _label(item: Any) -> str | None:
    """How a list item is named in a change, or None when the list is a plain value."""
    if isinstance(item, _PanelInRow):
        return f"panel {item.panel.title!r}"
    if isinstance(item, Row):
        return f"row {item.title!r}"
    if isinstance(item, Variable):
        return f"variable ${item.name}"
    if isinstance(item, MetricFamily):
        return f"family {item.name}"
    if isinstance(item, Tier):
        return f"tier {item.severity}"
    if isinstance(item, UserTest):
        return f"test {item.name!r}"
    if isinstance(item, Route):  # named by its matchers; children are routes inside it
        sel = _lines(item.matchers) + _matchers(item.match) + _matchers(item.match_re, "=~")
        return "route {" + ", ".join(sel) + "}"
    if isinstance(item, TimeInterval):
        return f"time interval {item.name!r}"
    if isinstance(item, Inhibit):
        source = _lines(item.source_matchers) + _matchers(item.source)
        target = _lines(item.target_matchers) + _matchers(item.target)
        return f"inhibit {{{', '.join(source)}}} mutes {{{', '.join(target)}}}"
    return None


def _fields(model: Any) -> dict[str, Any]:
    """Field name (as the spec spells it) -> value, with the views that make diffs readable."""
    if isinstance(model, _PanelInRow):
        return {"row": model.row, **_fields(model.panel)}
    out = {(f.alias or name): getattr(model, name) for name, f in type(model).model_fields.items()}
    if isinstance(model, (AlertBase, Tier)) and ("above" in out or "below" in out):
        above, below = out.pop("above", None), out.pop("below", None)
        if above is not None or below is not None:
            out["threshold"] = _Threshold("above", above) if above is not None else _Threshold("below", below)
    if isinstance(model, Route):
        out["matchers"] = _lines(model.matchers)
    if isinstance(model, Inhibit):
        out["source_matchers"], out["target_matchers"] = _lines(model.source_matchers), _lines(model.target_matchers)
    if isinstance(model, Row):
        out.pop("panels")
    if isinstance(model, Dashboard):
        rows = out.pop("rows")
        out["rows"] = list(rows)
        out["panels"] = [_PanelInRow(p, r.title) for r in rows for p in r.panels]
    return out


# --- the walk ---------------------------------------------------------------------------

# A path inside a subject: (text, is_item) parts, shown as "panel 'p95 latency': unit" or "slack.channel".
Path = tuple[tuple[str, bool], ...]


def _render(path: Path) -> str:
    out = ""
    for i, (text, item) in enumerate(path):
        if i == 0:
            out = text
        elif item or path[i - 1][1]:
            out += f": {text}"
        else:
            out += f".{text}"
    return out


def _record(value: Any) -> bool:
    return isinstance(value, (BaseModel, _PanelInRow))


def _keyed(items: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, n = _label(item) or "?", 1
        while (key if n == 1 else f"{key} #{n}") in out:  # duplicate names are an error elsewhere
            n += 1
        out[key if n == 1 else f"{key} #{n}"] = item
    return out


def _is_keyed(items: list[Any]) -> bool:
    return bool(items) and all(_label(i) is not None for i in items)


def _node(subject: str, path: Path, old: Any, new: Any) -> Iterator[Change]:
    if old == new:
        return
    if isinstance(old, _Threshold) != isinstance(new, _Threshold) and None in (old, new):
        # One side has no threshold of its own (its tiers hold them): name it, don't show a repr.
        th = old if new is None else new
        where = _render((*path, ("threshold", False)))
        text = f"{th.direction} {show(th.value)}"
        yield Change(subject, where, "removed" if new is None else "added", text if new is None else None, text if old is None else None)
        return
    if old is None:
        yield Change(subject, _render(path), "added", None, show(new))
    elif new is None:
        yield Change(subject, _render(path), "removed", show(old), None)
    elif isinstance(old, _Threshold) and isinstance(new, _Threshold):
        if old.direction == new.direction:
            where = _render((*path, (f"threshold {old.direction}", False)))
            yield Change(subject, where, "changed", show(old.value), show(new.value))
        else:
            where = _render((*path, ("threshold", False)))
            yield Change(subject, where, "changed", f"{old.direction} {show(old.value)}", f"{new.direction} {show(new.value)}")
    elif _record(old) and _record(new):
        a, b = _fields(old), _fields(new)
        for key in [*a, *(k for k in b if k not in a)]:
            x, y = a.get(key), b.get(key)
            if isinstance(x, list) and isinstance(y, list) and _is_keyed(x + y):
                yield from _items(subject, path, x, y)
            elif isinstance(x, _Threshold) or isinstance(y, _Threshold):
                yield from _node(subject, path, x, y)  # names itself "threshold ..."
            else:
                yield from _node(subject, (*path, (key, False)), x, y)
    elif isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            yield from _node(subject, (*path, (str(key), False)), old.get(key), new.get(key))
    else:
        yield Change(subject, _render(path), "changed", show(old), show(new))


def _items(subject: str, path: Path, old: list[Any], new: list[Any]) -> Iterator[Change]:
    a, b = _keyed(old), _keyed(new)
    for key in [*a, *(k for k in b if k not in a)]:
        where = (*path, (key, True))
        if key not in b:
            yield Change(subject, _render(where), "removed")
        elif key not in a:
            yield Change(subject, _render(where), "added")
        else:
            yield from _node(subject, where, a[key], b[key])
    order_a, order_b = [k for k in a if k in b], [k for k in b if k in a]
    if order_a != order_b and any(isinstance(i, Route) for i in old):
        # Alertmanager tries routes in order: a reorder changes who gets notified.
        yield Change(subject, _render((*path, ("route order", False))), "changed", show(order_a), show(order_b))


def _subjects(kind: str, old: list[Any], new: list[Any], key: Callable[[Any], str]) -> Iterator[Change]:
    a, b = {key(x): x for x in old}, {key(x): x for x in new}
    for name in [*a, *(k for k in b if k not in a)]:
        subject = f"{kind} {name}"
        if name not in b:
            yield Change(subject, "", "removed")
        elif name not in a:
            yield Change(subject, "", "added")
        else:
            yield from _node(subject, (), a[name], b[name])


def _record_key(old: Spec, new: Spec) -> Callable[[Any], str]:
    """A recording rule is named by its record; by record and group when either spec has the
    record in two groups (a duplicate within one group is an error elsewhere)."""
    groups: dict[str, set[str | None]] = {}
    for r in [*old.recording_rules, *new.recording_rules]:
        groups.setdefault(r.record, set()).add(r.group)
    return lambda r: r.record if len(groups[r.record]) == 1 else f"{r.record} (group {r.group or 'default'})"


def diff_specs(old: Spec, new: Spec) -> list[Change]:
    """Every semantic change from `old` to `new`, in spec order."""
    out: list[Change] = []
    for field in ("version", "project"):
        out += _node("spec", ((field, False),), getattr(old, field), getattr(new, field))
    out += _node("prometheus", (), old.prometheus, new.prometheus)
    for name in [*old.catalogs, *(k for k in new.catalogs if k not in old.catalogs)]:
        a, b = old.catalogs.get(name), new.catalogs.get(name)
        if a is None or b is None:
            out.append(Change(f"catalog {name}", "", "added" if a is None else "removed"))
        else:
            out += _items(f"catalog {name}", (), a, b)
    out += _subjects("target", old.targets, new.targets, lambda t: t.name)
    out += _node("blackbox", (), old.blackbox, new.blackbox)
    # An alert switched off or on is one line that says so, not a field change.
    out += [
        Change(c.subject, "", "disabled" if c.new == "false" else "enabled") if c.path == "enabled" else c
        for c in _subjects("alert", old.alerts, new.alerts, lambda a: a.name)
    ]
    out += _subjects("recording rule", old.recording_rules, new.recording_rules, _record_key(old, new))
    for name in [*old.rule_groups, *(k for k in new.rule_groups if k not in old.rule_groups)]:
        out += _node(f"rule group {name}", (), old.rule_groups.get(name), new.rule_groups.get(name))
    out += _subjects("receiver", old.receivers, new.receivers, lambda r: r.name)
    out += _node("routing", (), old.routing, new.routing)
    out += _subjects("maintenance", old.maintenance, new.maintenance, lambda m: m.name)
    # The message templates (alertmanager.messages), global settings, target release, web.
    out += _node("alertmanager", (), old.alertmanager, new.alertmanager)
    out += _subjects("dashboard", old.dashboards, new.dashboards, lambda d: d.uid)
    out += _node("grafana", (), old.grafana, new.grafana)
    out += _node("images", (), old.images, new.images)
    return out


# --- output ---------------------------------------------------------------------------


def _code(value: str) -> str:
    """A Markdown code span that survives backticks and newlines in the value."""
    value = value.replace("\r", "").replace("\n", "\\n")
    fence = "`"
    while fence in value:
        fence += "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _md(text: str) -> str:
    """Names in Markdown: user text (panel titles, matchers) must not turn into markup."""
    return re.sub(r"([\\`*_\[\]<>|~#])", r"\\\1", text)


_TWO_WORD_KINDS = ("recording rule ", "rule group ")


def _md_subject(subject: str) -> str:
    two = next((k for k in _TWO_WORD_KINDS if subject.startswith(k)), None)
    if two is not None:
        return f"{two}**{_md(subject[len(two):])}**"
    kind, _, name = subject.partition(" ")
    return f"{kind} **{_md(name)}**" if name else _md(kind)


def to_markdown(changes: list[Change], old_label: str, new_label: str) -> str:
    lines = [MARKER, f"### sfmon: {_count(len(changes))} in the monitoring spec", ""]
    lines.append(f"Comparing {_code(old_label)} with {_code(new_label)}.")
    lines.append("")
    if not changes:
        lines.append("No semantic changes (formatting, comments or order only).")
    for c in changes:
        head = _md_subject(c.subject) + (f": {_md(c.path)}" if c.path else "")
        lines.append(f"- {Change(head, '', c.action, c.old, c.new).text(_code)}")
    return "\n".join(lines) + "\n"


def to_json(changes: list[Change], old_label: str, new_label: str) -> str:
    items = [{**asdict(c), "text": c.text()} for c in changes]
    return json.dumps({"old": old_label, "new": new_label, "changes": items}, indent=2, ensure_ascii=False) + "\n"


def _count(n: int) -> str:
    return "no changes" if n == 0 else f"{n} change" + ("" if n == 1 else "s")


# --- environments -----------------------------------------------------------------------


def diff_environments(old: dict[str | None, Spec], new: dict[str | None, Spec]) -> list[tuple[str, list[Change]]]:
    """Per environment, the changes from `old` to `new`. A side without environments (key
    None) stands for every environment of the other side; one only in `new` (or `old`) is
    reported added (or removed) with no other changes."""
    names = [n for n in dict.fromkeys([*old, *new]) if n is not None]
    out = []
    for name in names:
        a, b = old.get(name, old.get(None)), new.get(name, new.get(None))
        if a is None or b is None:
            out.append((name, [Change(f"environment {name}", "", "added" if a is None else "removed")]))
        else:
            out.append((name, diff_specs(a, b)))
    return out


def to_markdown_environments(per_env: list[tuple[str, list[Change]]], old_label: str, new_label: str) -> str:
    total = sum(len(c) for _, c in per_env)
    lines = [MARKER, f"### sfmon: {_count(total)} in the monitoring spec", ""]
    lines.append(f"Comparing {_code(old_label)} with {_code(new_label)}, in {len(per_env)} environments.")
    for name, changes in per_env:
        lines += ["", f"#### {_code(name)}: {_count(len(changes))}", ""]
        if not changes:
            lines.append("No semantic changes.")
        for c in changes:
            head = _md_subject(c.subject) + (f": {_md(c.path)}" if c.path else "")
            lines.append(f"- {Change(head, '', c.action, c.old, c.new).text(_code)}")
    return "\n".join(lines) + "\n"


def to_json_environments(per_env: list[tuple[str, list[Change]]], old_label: str, new_label: str) -> str:
    items = [{"environment": name, **asdict(c), "text": c.text()} for name, changes in per_env for c in changes]
    envs = {name: len(changes) for name, changes in per_env}
    return json.dumps({"old": old_label, "new": new_label, "environments": envs, "changes": items}, indent=2, ensure_ascii=False) + "\n"
