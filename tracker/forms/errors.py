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
        field = _field(form, aliases.get(name, name)) if name else None
        if field is None:
            form.form_errors.append(f"{name}: {reason}" if name else reason)
            continue
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(reason[:1].upper() + reason[1:])


def _field(form, name: str):
    """A field by name, also inside a FieldList of FormFields (``parts-1-date``)."""
    if name in form._fields:
        return form._fields[name]
    head, _, rest = name.partition("-")
    index, _, sub = rest.partition("-")
    container = form._fields.get(head)
    if container is None or not index.isdigit() or not hasattr(container, "entries"):
        return None
    entries = container.entries
    if int(index) >= len(entries):
        return None
    return entries[int(index)].form._fields.get(sub)


def as_choices(pairs) -> list:
    """(value, label) pairs as WTForms SelectChoice objects (tuples are deprecated)."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(value, label) for value, label in pairs]
