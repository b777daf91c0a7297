"""Reconstructing a row as it stood at an instant from its change records (pure).

A change record says which fields moved from what to what, and when: an audit
entry's `changes` ({field: [old, new]}) or a deadline history row read the same
way. A field's value at `cutoff` is the new value of its last change before
`cutoff`; when every change of the field came later, the old value of the first
of them; when it never changed, its current value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Mapping


@dataclass(frozen=True)
class Change:
    """One recorded change: when, and {field: [old, new]}."""

    at: datetime
    fields: Mapping[str, Any]


def fields_as_of(current: Mapping[str, Any], changes: Iterable[Change], cutoff: datetime) -> dict[str, Any]:
    """The values of `current`'s fields at `cutoff`, undoing the changes made at or after it.

    `changes` must be in the order they were made (time, then record id).
    """
    result = dict(current)
    settled: set[str] = set()
    undone: set[str] = set()
    for change in changes:
        for name, pair in change.fields.items():
            if name not in result or not isinstance(pair, (list, tuple)) or len(pair) != 2:
                continue
            if change.at < cutoff:
                result[name] = pair[1]
                settled.add(name)
            elif name not in settled and name not in undone:
                result[name] = pair[0]
                undone.add(name)
    return result


def changes_before(changes: Iterable[Change], cutoff: datetime, field: str) -> list[Change]:
    """The changes of `field` made before `cutoff`, in order."""
    return [c for c in changes if c.at < cutoff and field in c.fields]


def as_date(value: Any) -> date | None:
    """A date from a stored value: a date, or the ISO text the audit log keeps."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def as_int(value: Any) -> int | None:
    """An id from a stored value (None stays None; anything unreadable is None)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
