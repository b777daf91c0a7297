"""Small helpers shared by the UI views: loading by id, the acting user, dates, a form page's save."""

from __future__ import annotations

from datetime import date
from typing import Callable, TypeVar

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.forms.errors import show_service_errors
from tracker.fields import whole_number

MAX_ID = 2**31 - 1
T = TypeVar("T")


def refuse(form, exc: ValidationFailed | Conflict, aliases: dict[str, str] | None = None) -> int:
    """Undo a refused change, show the service's reasons on `form`, return the status.

    409 when the change conflicts with the register (a duplicate key, a row in
    use), 400 for invalid values; what the user typed stays in the form.
    """
    db.session.rollback()
    show_service_errors(form, exc, aliases)
    return 409 if isinstance(exc, Conflict) else 400


def save_form(form, save: Callable[[], T]) -> tuple[T | None, int]:
    """Run `save` (the service call) once the form is posted and valid: (what it returned, 200).

    Not saved: (None, 200) for a GET, (None, 400) for an invalid form, (None, 400 or 409)
    when the service refused (the change undone, its reasons shown on the form).
    """
    if not form.validate_on_submit():
        return None, 400 if request.method == "POST" else 200
    try:
        return save(), 200
    except (ValidationFailed, Conflict) as exc:
        return None, refuse(form, exc)


def after_save(saved, status: int, message: str, endpoint: str, id_arg: str, template: str, **context):
    """The end of a create or edit page: saved, flash `message` (formatted with `saved=`) and go to
    `endpoint` with the saved row's id as `id_arg`; not saved, the form again with the save's status."""
    if saved is not None:
        flash(message.format(saved=saved), "success")
        return redirect(url_for(endpoint, **{id_arg: saved.id}))
    return render_template(template, **context), status


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


def utc_today() -> date:
    return utcnow().date()


def int_arg(name: str, default: int | None = None, low: int = 1, high: int = MAX_ID) -> int | None:
    """An integer query argument within [low, high], else `default`."""
    number = whole_number(request.args.get(name, ""), high)
    return number if number is not None and number >= low else default


def choice_arg(name: str, allowed) -> str:
    """A query argument that must be one of `allowed`, else ''."""
    value = request.args.get(name, "")
    return value if value in allowed else ""
