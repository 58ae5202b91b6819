"""The spec's models, one module per domain: base (names, references), security, prometheus,
alertmanager, time (intervals, maintenance windows), receivers (a package, one module per integration), grafana, rules (recording
rules, rule group settings), spec (the whole).
`from sfmon.model import Spec` works for any of them; the names resolve lazily, so
`sfmon.kinds` can import `sfmon.model.base` while `sfmon.model.spec` imports the kinds."""

from __future__ import annotations

import importlib
from typing import Any

_MODULES = ("spec", "rules", "alertmanager", "time", "receivers", "grafana", "prometheus", "security", "outputs", "base")


def __getattr__(name: str) -> Any:
    for module in _MODULES:
        mod = importlib.import_module(f"sfmon.model.{module}")
        if name in vars(mod):
            return getattr(mod, name)
    raise AttributeError(f"module 'sfmon.model' has no attribute {name!r}")
