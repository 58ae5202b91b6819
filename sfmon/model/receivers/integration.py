"""What a receiver integration declares (its spec key, Alertmanager's `*_configs` key, its
template) and the secret files a model names, found by the `Secret` marker of their type."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sfmon.model.base import SECRET, StrictModel
from sfmon.semantics.versions import Version


@dataclass(frozen=True)
class Integration:
    key: str  # receivers[].<key> in the spec
    configs: str  # the receiver's list in alertmanager.yml, e.g. email_configs
    model: type[StrictModel]
    # The first Alertmanager release that reads this integration's credentials from files
    # (None: every release sfmon supports). An older `alertmanager.version` is refused.
    since: Version | None = None
    # Its fields Alertmanager executes as templates, as (field in its alertmanager.yml entry,
    # dotted for a nested one; the template sfmon generates for it in
    # templates/notifications/<key>.tmpl.j2, or None; "text" or "html"): what `sfmon validate`
    # renders with amtool for every alert that reaches the receiver.
    messages: tuple[tuple[str, str | None, str], ...] = ()

    @property
    def generated(self) -> dict[str, str]:
        """Field -> the template sfmon writes for it (notifications/<key>.tmpl)."""
        return {f: name for f, name, _ in self.messages if name is not None}

    @property
    def template(self) -> str:
        """The include that renders one entry of `configs` (templates/receivers/)."""
        return f"receivers/{self.key}.yml.j2"


def is_secret(field: FieldInfo) -> bool:
    """Whether a field holds a secret file's path (pydantic keeps a plain field's markers in
    `metadata`, an optional one's inside its annotation)."""
    return any(m is SECRET for m in field.metadata) or _marked(field.annotation)


def _marked(tp: Any) -> bool:
    if typing.get_origin(tp) is Annotated:
        return any(m is SECRET for m in tp.__metadata__) or _marked(typing.get_args(tp)[0])
    return any(_marked(arg) for arg in typing.get_args(tp))


def secret_files(model: BaseModel) -> list[str]:
    """Every secret file path a model and the models inside it name, in field order."""
    out: list[str] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            continue
        if is_secret(field):
            out.append(value)
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, BaseModel):
                out += secret_files(item)
    return out
