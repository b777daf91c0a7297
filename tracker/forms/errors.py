"""Showing service errors (ValidationFailed, Conflict) next to the form fields."""

from __future__ import annotations

from flask_wtf import FlaskForm

from tracker.errors import Conflict, ValidationFailed


def show_service_errors(form: FlaskForm, exc: ValidationFailed | Conflict,
                        aliases: dict[str, str] | None = None) -> None:
    """Attach each service error to its field (through `aliases`), else to the form."""
    aliases = aliases or {}
    problems = exc.errors.items() if isinstance(exc, ValidationFailed) else [(exc.field, str(exc))]
    for name, reason in problems:
        field = form._fields.get(aliases.get(name, name)) if name else None
        if field is None:
            form.form_errors.append(f"{name}: {reason}" if name else reason)
            continue
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(reason[:1].upper() + reason[1:])


def as_choices(pairs) -> list:
    """(value, label) pairs as WTForms SelectChoice objects (tuples are deprecated)."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(value, label) for value, label in pairs]
