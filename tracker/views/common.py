"""Small helpers shared by the UI views: loading by id, the acting user, dates."""

from __future__ import annotations

from datetime import date

from flask import abort, request
from flask_login import current_user

from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.queries import team_todays

MAX_ID = 2**31 - 1


def load_or_404(model, object_id: int):
    """The row with this id, or a 404 (ids beyond the column's range included)."""
    if not 0 < object_id <= MAX_ID:
        abort(404)
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def actor() -> Actor:
    return Actor.of(current_user)


def todays() -> dict[int, date]:
    return team_todays()


def utc_today() -> date:
    return utcnow().date()


def int_arg(name: str, default: int | None = None, low: int = 1, high: int = MAX_ID) -> int | None:
    """An integer query argument within [low, high], else `default`."""
    value = request.args.get(name, "")
    if not value.isdigit() or len(value) > 10:
        return default
    number = int(value)
    return number if low <= number <= high else default


def choice_arg(name: str, allowed) -> str:
    """A query argument that must be one of `allowed`, else ''."""
    value = request.args.get(name, "")
    return value if value in allowed else ""
