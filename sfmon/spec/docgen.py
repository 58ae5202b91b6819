"""Writes docs/spec.md, the field reference, from the Pydantic models.

Each field gets its type, default, description and an example value taken from a real
spec (the default spec first, then the test fixtures), so the reference cannot drift from
the models and every field is shown in use. `make docs` runs this; a test compares.
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

INTRO = """# Spec reference

Generated from the models in `sfmon/model/` and `sfmon/kinds/` by `make docs`; a test
fails when it is out of date. Examples are taken from `specs/specs.yaml` and the valid
fixtures in `tests/fixtures/specs/valid/`.

Units: durations use Prometheus syntax (`15s`, `5m`, `1h30m`, `15d`); percentages are
strings like `5%`; times are RFC 3339 with a UTC offset (`2026-12-24T18:00:00Z`, quoted inside
`{...}`); secrets are only ever file paths (`*_file`) or environment variable
names (`*_env`), never values.
"""


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        base = args[0]
        name = getattr(base, "__name__", str(base))
        return {"Duration": "duration", "Percent": "percent", "Decimal": "number", "datetime": "time (RFC 3339)"}.get(name, _type_name(base))
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if len(members) > 1 and all(isinstance(m, type) and issubclass(m, BaseModel) or typing.get_origin(m) is typing.Annotated for m in members):
            return "alert (one of the kinds below)"
        inner = " \\| ".join(_type_name(a) for a in members)  # a bare | would split the table cell
        return f"{inner} (optional)" if len(members) < len(args) else inner
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"map of {_type_name(args[0])} to {_type_name(args[1])}"
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    plain = {
        "str": "string", "int": "integer", "float": "number", "bool": "boolean", "Percent": "percent", "Decimal": "number",
        "datetime": "time (RFC 3339)",
    }  # fmt: skip
    return plain.get(getattr(tp, "__name__", ""), str(tp))


def _models(root: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """Every model reachable from `root`, in first-seen order."""
    seen: list[type[BaseModel]] = []

    def visit(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp in seen:
                return
            seen.append(tp)
            for f in tp.model_fields.values():
                visit(f.annotation)
            return
        for arg in typing.get_args(tp):
            visit(arg)

    visit(root)
    return iter(seen)


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default_factory is not None else field.default
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, BaseModel):
        return "see below"
    return f"`{json.dumps(value, default=str, ensure_ascii=False)}`"


def _examples(sources: list[Any]) -> dict[tuple[str, str], Any]:
    """(model name, key) -> first value seen, found by walking the specs along the models."""
    from sfmon.spec.introspect import union_member, unwrap
    from sfmon.model import Spec

    found: dict[tuple[str, str], Any] = {}

    def walk(tp: Any, node: Any) -> None:
        tp = unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(node, dict):
            fields = {(f.alias or n): f for n, f in tp.model_fields.items()}
            for key, value in node.items():
                if key in fields:
                    found.setdefault((_owner(tp, key), key), value)
                    walk(fields[key].annotation, value)
        elif origin is list and isinstance(node, list):
            for item in node:
                walk(typing.get_args(tp)[0], item)
        elif origin is dict and isinstance(node, dict):
            for value in node.values():
                walk(typing.get_args(tp)[1], value)
        elif origin in (typing.Union, types.UnionType) and isinstance(node, dict):
            member = union_member(tp, node.get("kind"))
            if member is not None:
                walk(member, node)

    for data in sources:
        walk(Spec, data)
    return found


def _owner(model: type[BaseModel], key: str) -> str:
    """Alert kinds share AlertBase's fields; document (and find examples for) them once."""
    from sfmon.kinds.base import AlertBase

    if issubclass(model, AlertBase) and key in {(f.alias or n) for n, f in AlertBase.model_fields.items()}:
        return AlertBase.__name__
    return model.__name__


def _own_fields(model: type[BaseModel]) -> list[tuple[str, Any]]:
    from sfmon.kinds.base import AlertBase

    fields = list(model.model_fields.items())
    if issubclass(model, AlertBase) and model is not AlertBase:
        fields = [(n, f) for n, f in fields if n not in AlertBase.model_fields]
    # A kind that takes away a field it inherits declares it `None` (ProbeSlow.window).
    return [(n, f) for n, f in fields if f.annotation is not type(None)]


def _all_models() -> list[type[BaseModel]]:
    from sfmon.kinds.base import AlertBase
    from sfmon.model import Spec

    models = list(_models(Spec))
    first_kind = next(i for i, m in enumerate(models) if issubclass(m, AlertBase))
    return [*models[:first_kind], AlertBase, *models[first_kind:]]


def _example_text(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > 70:
        text = text[:67] + "..."
    return "`" + text.replace("|", "\\|") + "`"


def spec_sources(root: Path) -> list[Any]:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    fixtures = root / "tests" / "fixtures" / "specs"
    # newer/: specs that target a newer Alertmanager than Debian's (the receivers it gates)
    paths = [
        root / "specs" / "specs.yaml", root / "examples" / "teams" / "specs.yaml",
        *sorted((fixtures / "valid").glob("*.yaml")), *sorted((fixtures / "newer").glob("*.yaml")),
    ]  # fmt: skip
    return [yaml.load(p.read_text(encoding="utf-8")) for p in paths if p.exists()]


def missing_examples(root: Path) -> list[str]:
    """Fields no shipped or fixture spec uses: every field should be shown (and tested) in use."""
    examples = _examples(spec_sources(root))
    return [
        f"{m.__name__}.{f.alias or n}"
        for m in _all_models()
        for n, f in _own_fields(m)
        if (m.__name__, f.alias or n) not in examples
    ]


def render_markdown(root: Path) -> str:
    examples = _examples(spec_sources(root))
    out = [INTRO]
    for model in _all_models():
        doc = (model.__doc__ or "").strip().splitlines()
        out.append(f"\n## {model.__name__}\n")
        if doc and not doc[0].startswith("!!!") and model.__doc__ != BaseModel.__doc__:
            out.append(doc[0] + "\n")
        out.append("| field | type | default | description | example |\n|---|---|---|---|---|")
        for name, field in _own_fields(model):
            key = field.alias or name
            example = examples.get((model.__name__, key))
            desc = (field.description or "").replace("|", "\\|")
            tp = field.annotation if not field.metadata else typing.Annotated[(field.annotation, *field.metadata)]
            out.append(
                f"| `{key}` | {_type_name(tp)} | {_default(field)} | {desc} "
                f"| {_example_text(example) if example is not None else '—'} |"
            )
    return "\n".join(out) + "\n"


def main() -> None:
    from sfmon.paths import PACKAGE

    root = PACKAGE.parent  # the checkout
    (root / "docs" / "spec.md").write_text(render_markdown(root), encoding="utf-8")


if __name__ == "__main__":
    main()
