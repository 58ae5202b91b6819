"""Prometheus' relabelling (model/relabel/relabel.go `Process`) over a label set, and what
`promtool check config` then asks of a static target (scrape/target.go `PopulateLabels`):
an address is left, and it is a host:port without a path. Steps are the mappings
`RelabelConfig.rendered()` gives (the fields a spec sets; defaults filled in here)."""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

from sfmon.semantics import regex

_DEFAULTS = {"separator": ";", "regex": "(.*)", "modulus": 0, "target_label": "", "replacement": "$1", "action": "replace"}


def _valid_name(name: str, utf8: bool) -> bool:
    if utf8:
        return name != ""
    return bool(name) and (name[0].isascii() and (name[0].isalpha() or name[0] == "_")) and all(c.isascii() and (c.isalnum() or c == "_") for c in name)


def process(labels: Mapping[str, str], steps: list[Mapping[str, Any]], utf8: bool = False) -> dict[str, str] | None:
    """The label set after the steps, or None when a keep/drop step drops it. A label set to
    "" is removed, as Prometheus' labels.Builder removes it."""
    lb = dict(labels)
    for raw in steps:
        c = {**_DEFAULTS, **raw}
        val = c["separator"].join(lb.get(n, "") for n in c.get("source_labels") or ())
        act, rx, target = c["action"], c["regex"], c["target_label"]
        if act == "drop" and regex.compile(rx).fullmatch(val):
            return None
        if act == "keep" and not regex.compile(rx).fullmatch(val):
            return None
        if act == "dropequal" and lb.get(target, "") == val:
            return None
        if act == "keepequal" and lb.get(target, "") != val:
            return None
        if act == "replace":
            name = regex.expand_match(rx, target, val)
            if name is None or not _valid_name(name, utf8):
                continue
            value = regex.expand_match(rx, c["replacement"], val) or ""
            _set(lb, name, value)
        elif act in ("lowercase", "uppercase"):
            _set(lb, target, val.lower() if act == "lowercase" else val.upper())
        elif act == "hashmod":
            h = int.from_bytes(hashlib.md5(val.encode("utf-8", "replace")).digest()[8:], "big")
            _set(lb, target, str(h % int(c["modulus"])))
        elif act == "labelmap":
            for name, value in list(lb.items()):
                if regex.compile(rx).fullmatch(name):
                    _set(lb, regex.replace_all(f"^(?:{rx})$", c["replacement"], name), value)
        elif act in ("labeldrop", "labelkeep"):
            for name in list(lb):
                if regex.compile(rx).fullmatch(name) == (act == "labeldrop"):
                    del lb[name]
    return lb


def _set(lb: dict[str, str], name: str, value: str) -> None:
    if value == "":
        lb.pop(name, None)
    else:
        lb[name] = value


def address_problem(labels: Mapping[str, str] | None) -> str | None:
    """Why promtool refuses a static target relabelled to `labels` (None: dropped or fine)."""
    if labels is None:
        return None
    addr = labels.get("__address__", "")
    if addr == "":
        return "no address"
    if "/" in addr:
        return f"{addr!r} is not a valid hostname"
    return None
