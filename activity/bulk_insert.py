"""Fast `INSERT … ON CONFLICT DO NOTHING` of plain rows for the recorder's writer.

Django's `bulk_create` spends most of its time in the SQL compiler preparing each field of each
row, and building model instances first costs as much again. The writer hands plain mappings
(attribute name → Python value) instead; they are inserted with one `executemany`, values
prepared here: JSON with orjson, datetimes with the backend's own adapter, everything else as
is. A column missing from a row gets the field's default. The statement and the preparers are
built once per model and database backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

import orjson
from django.db import connection, models
from django.db.models.constants import OnConflict

Row = Mapping[str, Any]
_Column = tuple[str, Callable[[Any], Any], "models.Field[Any, Any]"]


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _same(value: Any) -> Any:
    return value


def _preparer(field: models.Field[Any, Any], vendor: str) -> Callable[[Any], Any]:
    if isinstance(field, models.JSONField):
        if vendor == "postgresql":
            from psycopg.types.json import Jsonb

            return lambda value: None if value is None else Jsonb(value, dumps=_json_text)
        return lambda value: None if value is None else _json_text(value)
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    return _same


@cache
def _statement(model: type[models.Model], vendor: str) -> tuple[str, tuple[_Column, ...]]:
    """The INSERT statement of `model` and how to prepare each of its columns."""
    fields = list(model._meta.concrete_fields)
    ops = connection.ops
    columns = ", ".join(ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    suffix = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)  # type: ignore[arg-type]
    sql = (
        f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} "
        f"{ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({placeholders}) {suffix}"
    )
    prepared = tuple((field.attname, _preparer(field, vendor), field) for field in fields)
    return sql, prepared


def insert_ignoring_conflicts(model: type[models.Model], rows: Sequence[Row]) -> None:
    """Insert `rows`; rows whose primary or unique key already exists are skipped."""
    if not rows:
        return
    sql, columns = _statement(model, connection.vendor)
    values = [
        tuple(
            prepare(row[name]) if name in row else prepare(field.get_default())
            for name, prepare, field in columns
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)
