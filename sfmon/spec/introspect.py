"""What the models accept where: shared by the loader (unknown-key hints) and docgen."""

from __future__ import annotations

import typing
from typing import Any


def allowed_keys(loc: tuple, data: Any) -> set[str]:
    """The keys the model accepts at `loc` (aliases, as the spec spells them)."""
    from pydantic import BaseModel

    from sfmon.model import Spec

    tp: Any = Spec
    node = data
    for part in loc:
        tp = unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = {(f.alias or n): f for n, f in tp.model_fields.items()}
            if part in fields:
                tp = fields[part].annotation
                node = node.get(part) if isinstance(node, dict) else None
                continue
            tp = union_member(tp, part)
            if tp is None:
                return set()
            continue
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is list and args:
            tp = args[0]
            node = node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None
        elif origin is dict and args:
            tp = args[1]
            node = node.get(part) if isinstance(node, dict) else None
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            member = union_member(tp, part)
            if member is None:
                return set()
            tp = member
        else:
            return set()
    tp = unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return {(f.alias or n) for n, f in tp.model_fields.items()}
    return set()


def unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional; leave other unions alone."""
    import types

    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def union_member(tp: Any, tag: Any) -> Any:
    import types

    tp = unwrap(tp)
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    for member in typing.get_args(tp):
        kind = getattr(member, "model_fields", {}).get("kind")
        if kind is not None and tag in typing.get_args(kind.annotation):
            return member
    return None
