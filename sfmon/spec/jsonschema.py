"""The spec's JSON Schema, generated from the models, for editors (yaml-language-server) and CI.

A copy is committed at schema/sfmon.schema.json (`make schema` regenerates it); the
spec's first line points editors at it. The models stay the single source of truth:
the schema only describes what they accept, and sfmon validates with the models.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

DRAFT = "https://json-schema.org/draft/2020-12/schema"
TITLE = "sfmon spec"
DESCRIPTION = (
    "One file describing what SoftFactory monitors (targets, metric catalogs), alerts on "
    "(alerts with thresholds), notifies (receivers, routing) and shows (Grafana dashboards). "
    "See docs/spec.md."
)


class _SpecSchema(GenerateJsonSchema):
    def encode_default(self, dft: Any) -> Any:
        # Number defaults are Decimals: show 0.95, not the string "0.95".
        if isinstance(dft, Decimal):
            return int(dft) if dft == dft.to_integral_value() else float(dft)
        return super().encode_default(dft)

    def dict_schema(self, schema: Any) -> dict[str, Any]:
        # pydantic says patternProperties for validated keys, which lets any other key through;
        # propertyNames + additionalProperties rejects a bad label name as the model does.
        out = super().dict_schema(schema)
        patterns = out.get("patternProperties")
        if isinstance(patterns, dict) and len(patterns) == 1 and "additionalProperties" not in out:
            (pattern, values), = patterns.items()
            del out["patternProperties"]
            out["propertyNames"] = {"pattern": pattern}
            out["additionalProperties"] = values
        return out


def spec_schema() -> dict[str, Any]:
    from sfmon.model import Spec

    body = Spec.model_json_schema(by_alias=True, schema_generator=_SpecSchema)
    body.pop("title", None)
    return {"$schema": DRAFT, "title": TITLE, "description": DESCRIPTION, **body}


def schema_text() -> str:
    """The schema as committed: stable key order, 2-space indent, trailing newline."""
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"
