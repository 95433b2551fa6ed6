"""Fast `INSERT … ON CONFLICT DO NOTHING` of model instances for the recorder's writer.

Django's `bulk_create` spends most of its time in the SQL compiler preparing each field of each
row (about 0.25 ms per transaction here, against 0.02 ms for the database itself). The writer
inserts the same rows with one `executemany`, preparing values itself: JSON with orjson,
datetimes with the backend's own adapter, everything else as is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from django.db import connection, models
from django.db.models.constants import OnConflict


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _preparer(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    if isinstance(field, models.JSONField):
        if connection.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            return lambda value: None if value is None else Jsonb(value, dumps=_json_text)
        return lambda value: None if value is None else _json_text(value)
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    return lambda value: value


def insert_ignoring_conflicts(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert `objs`; rows whose primary or unique key already exists are skipped."""
    if not objs:
        return
    fields = list(model._meta.concrete_fields)
    ops = connection.ops
    columns = ", ".join(ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    suffix = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)  # type: ignore[arg-type]
    sql = (
        f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} "
        f"{ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({placeholders}) {suffix}"
    )
    prepare = [(field.attname, _preparer(field)) for field in fields]
    rows = [tuple(fn(getattr(obj, name)) for name, fn in prepare) for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
