"""Secrets in policy configs are write-only: found through the config schema, masked on the way
out, kept when a write sends the mask back.

A config value is a secret when its schema property is marked `writeOnly` (declare the field with
`secret_field`; pydantic's `SecretStr` is marked the same way). As a safety net for policies that
do not mark theirs (`LUTHIEN_POLICY_MODULES`), a non-empty string is a secret too when its key is
named like a credential (`SECRET_NAME`: `api_key`, `token`, `secret`, `password`, or ending in
`_key`, `_token`, `_secret`, `_password`), unless the schema types it as a map's user data (the
keys of `string-replace`'s `replacements` are text, not field names). A property marked
`x-luthien-policy-config` (a chain member's `config`) is read with the schema of the class its
sibling key names, so a judge inside a chain is masked like a judge on its own.

    config_mask(policy_class, config)                  a copy with every secret → "••••"
    config_keep_secrets(policy_class, config, stored)  every "••••" → the stored secret there
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from pydantic import Field

MASK = "••••"
POLICY_CONFIG_OF = "x-luthien-policy-config"
SECRET_NAME = re.compile(
    r"(?i)^(api_?key|token|secret|password|passwd|.+[_-](key|token|secret|password))$"
)

Path = tuple[str | int, ...]


class MaskedSecretMissing(ValueError):
    """A write sent "••••" where no secret is stored (`paths`: where)."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        super().__init__(", ".join(".".join(map(str, path)) for path in paths))


def secret_field(*, description: str, default: Any = None) -> Any:
    """A pydantic field whose value is a secret: write-only in the API, admin and pages."""
    return Field(default=default, description=description, json_schema_extra={"writeOnly": True})


def config_mask(policy_class: str, config: Any) -> Any:
    """A copy of `config` with every secret replaced by `MASK` (None and "" stay as they are)."""
    paths = list(secret_paths(policy_class, config))
    if not paths:
        return config
    masked = copy.deepcopy(config)
    for path in paths:
        _set(masked, path, MASK)
    return masked


def config_keep_secrets(policy_class: str, config: Any, stored: Any) -> Any:
    """`config` with every `MASK` at a secret's place replaced by the secret `stored` holds
    there (an edit round trip keeps it). MaskedSecretMissing when `stored` has none there."""
    paths = [path for path in secret_paths(policy_class, config) if _get(config, path) == MASK]
    if not paths:
        return config
    kept, missing = copy.deepcopy(config), []
    for path in paths:
        old = _get(stored, path)
        if old is None or old in ("", MASK):
            missing.append(path)
        else:
            _set(kept, path, old)
    if missing:
        raise MaskedSecretMissing(missing)
    return kept


def secret_paths(policy_class: str, config: Any) -> Iterator[Path]:
    """Where `config` (of the class `policy_class`) holds secrets (each path once)."""
    return schema_secret_paths(_class_schema(policy_class), config)


def schema_secret_paths(schema: dict[str, Any], config: Any) -> Iterator[Path]:
    """Where `config`, described by the JSON schema `schema`, holds secrets (each path once)."""
    seen: set[Path] = set()
    for path in _walk(config, schema, schema.get("$defs", {}), ()):
        if path not in seen:
            seen.add(path)
            yield path


# --- the walk ----------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _schema_of(cls: type) -> dict[str, Any]:
    return dict(cls.model_json_schema())  # type: ignore[attr-defined]


def _class_schema(policy_class: Any) -> dict[str, Any]:
    """The config schema of a registered class; {} (untyped: names decide) for anything else."""
    from policies.registry import registry

    if not isinstance(policy_class, str) or policy_class not in registry().names():
        return {}
    return _schema_of(registry().get(policy_class).Config)


def _resolve(schema: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref` (and a one-item `allOf`), keeping the outer keys (e.g. `writeOnly`)."""
    if not isinstance(schema, dict):
        return {}
    inner = schema.get("allOf")
    if isinstance(inner, list) and len(inner) == 1:
        schema = {**{k: v for k, v in schema.items() if k != "allOf"}, **_resolve(inner[0], defs)}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = defs.get(ref.removeprefix("#/$defs/"), {})
        schema = {**_resolve(target, defs), **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _marked(schema: dict[str, Any], defs: dict[str, Any]) -> bool:
    """Whether a property's schema marks it write-only (itself or a branch of its union)."""
    if schema.get("writeOnly") is True or schema.get("format") == "password":
        return True
    branches = schema.get("anyOf") or schema.get("oneOf") or []
    return any(_marked(_resolve(branch, defs), defs) for branch in branches)


def _walk(value: Any, schema: Any, defs: dict[str, Any], path: Path) -> Iterator[Path]:
    schema = _resolve(schema, defs)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:  # a union: every branch that fits the value (over-masking is the safe side)
        for branch in branches:
            if _fits(value, _resolve(branch, defs)):
                yield from _walk(value, branch, defs, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, schema.get("items", {}), defs, (*path, index))
    elif isinstance(value, dict):
        yield from _walk_object(value, schema, defs, path)


def _walk_object(
    value: dict[str, Any], schema: dict[str, Any], defs: dict[str, Any], path: Path
) -> Iterator[Path]:
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        where = (*path, key)
        if key in properties:
            prop = _resolve(properties[key], defs)
            if isinstance(prop.get(POLICY_CONFIG_OF), str):
                member = _class_schema(value.get(prop[POLICY_CONFIG_OF]))
                yield from _walk(item, member, member.get("$defs", {}), where)
            elif (_marked(prop, defs) and item not in (None, "")) or _named_secret(key, item):
                yield where
            else:
                yield from _walk(item, prop, defs, where)
        elif isinstance(extra, dict) and extra:  # a typed map: its keys are data, not names
            yield from _walk(item, extra, defs, where)
        elif _named_secret(key, item):
            yield where
        else:
            yield from _walk(item, {}, defs, where)


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind is None or not isinstance(value, (dict, list)):
        return True
    return kind == ("object" if isinstance(value, dict) else "array")


def _named_secret(key: Any, value: Any) -> bool:
    return (
        isinstance(key, str)
        and isinstance(value, str)
        and bool(value)
        and bool(SECRET_NAME.match(key))
    )


# --- paths -------------------------------------------------------------------------------------


def _get(value: Any, path: Path) -> Any:
    for part in path:
        if isinstance(value, dict) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value


def _set(value: Any, path: Path, new: Any) -> None:
    for part in path[:-1]:
        value = value[part]
    value[path[-1]] = new
