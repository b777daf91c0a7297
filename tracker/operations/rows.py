"""Rows as JSON lines, whatever the table: the one encoding backups write and restores read.

Pure: imports SQLAlchemy's type classes only, no session and no Flask. A value is
written by its Python type (dates and datetimes in ISO 8601, bytes in base64) and
read back by its column's type, so a table added later needs nothing here.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import Column, Table
from sqlalchemy.types import TypeDecorator


def encode(value: Any) -> Any:
    """A JSON-ready form of one column value."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def row_line(values) -> bytes:
    """One row as a JSON array on one line (UTF-8, newline-terminated)."""
    return json.dumps([encode(value) for value in values], ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8") + b"\n"


def _python_type(column: Column):
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def decoder(column: Column) -> Callable[[Any], Any]:
    """The function that turns an encoded value back into what `column` stores."""
    python_type = _python_type(column)
    if python_type is datetime:
        return lambda value: None if value is None else datetime.fromisoformat(value)
    if python_type is date:
        return lambda value: None if value is None else date.fromisoformat(value)
    if python_type is time:
        return lambda value: None if value is None else time.fromisoformat(value)
    if python_type is bytes:
        return lambda value: None if value is None else base64.b64decode(value)
    if python_type is Decimal:
        return lambda value: None if value is None else Decimal(value)
    if python_type is timedelta:
        return lambda value: None if value is None else timedelta(seconds=value)
    return lambda value: value


def binary_columns(table: Table) -> list[str]:
    """Names of the columns holding bytes (stored files, rendered bodies, messages)."""
    return [column.name for column in table.columns if _python_type(column) is bytes]


def self_references(table: Table) -> list[str]:
    """Columns that point at another row of the same table (inserted after the table's rows)."""
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
