"""Human-readable field docs from a policy class's config JSON schema (admin help, the page)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldDoc:
    """One config field: name, type, default, whether required, description."""

    name: str
    type: str
    default: str
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class ModelDoc:
    """The fields of one object in the schema (the config itself, or a nested model)."""

    title: str
    fields: list[FieldDoc]


def type_label(prop: dict[str, Any]) -> str:
    """A short type for a schema property: `number`, `list of Replacement`, `string or null`."""
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in prop or "oneOf" in prop:
        return " or ".join(type_label(p) for p in prop.get("anyOf", prop.get("oneOf", [])))
    if "enum" in prop:
        return "one of " + ", ".join(json.dumps(v) for v in prop["enum"])
    if "const" in prop:
        return json.dumps(prop["const"])
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {type_label(prop.get('items', {}))}"
    if kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"map of {type_label(prop['additionalProperties'])}"
    return str(kind)


def _model_doc(title: str, schema: dict[str, Any]) -> ModelDoc:
    required = set(schema.get("required", []))
    fields = [
        FieldDoc(
            name=name,
            type=type_label(prop),
            default=json.dumps(prop["default"]) if "default" in prop else "",
            required=name in required,
            description=str(prop.get("description", "")),
        )
        for name, prop in schema.get("properties", {}).items()
    ]
    return ModelDoc(title=title, fields=fields)


def schema_docs(schema: dict[str, Any]) -> list[ModelDoc]:
    """The config's own fields first, then each nested model's."""
    docs = [_model_doc("config", schema)]
    for name, sub in schema.get("$defs", {}).items():
        if sub.get("properties"):
            docs.append(_model_doc(name, sub))
    return docs
