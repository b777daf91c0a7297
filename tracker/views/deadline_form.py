"""The obligation form's deadline: posted fields -> the engine's JSON form, and the live explanation.

The form is read into the same JSON object packs and the API use (anchors are
event ids here), checked by ``tracker.deadlines.check_deadline`` and computed by
``evaluate`` against the register's resolved events, so the words shown while
typing are the words the obligation page shows after saving.
"""

from __future__ import annotations

import re

from flask import Blueprint, jsonify, request
from flask_login import login_required
from sqlalchemy import select

from tracker.db import db
from tracker.deadlines import check_deadline, evaluate, expression_to_json
from tracker.deadlines.expressions import Combined
from tracker.errors import ValidationFailed
from tracker.forms.register import ObligationForm
from tracker.models import Event
from tracker.register.chains import node, resolved_graph

bp = Blueprint("deadline_form", __name__)

# Engine paths -> form fields (the simple rule's fields, and a part's).
RULE_FIELDS = {"rule": "rule", "of": "rule", "date": "rule_date", "precision": "rule_date", "anchor": "anchor_event_id",
               "offset": "rule_offset", "unit": "rule_unit", "calendar": "rule_calendar", "rrule": "rule_rrule",
               "roll": "rule_roll"}
PART_FIELDS = {"rule": "kind", "date": "date", "precision": "date", "anchor": "anchor_event_id", "offset": "offset",
               "unit": "unit", "calendar": "kind", "roll": "kind"}
# A form's empty field reads better than the JSON checker's "required field is missing".
MISSING_WORDS = {"anchor": "choose the event this deadline counts from", "date": "a date is required",
                 "rrule": "a recurrence rule is required"}
_PART_PATH = re.compile(r"^of\[(\d+)\]\.(\w+)")


def _text(value) -> str:
    return (value or "").strip() if isinstance(value, str) else ""


def _part_json(part) -> dict:
    data: dict = {"rule": part.kind.data}
    if part.kind.data == "fixed":
        data["date"] = _text(part.date.data)
    else:
        if part.anchor_event_id.data:
            data["anchor"] = node(part.anchor_event_id.data)
        data["offset"] = part.offset.data if part.offset.data is not None else 0
        data["unit"] = part.unit.data or "days"
    return data


def form_deadline_json(form: ObligationForm) -> tuple[dict, list[int]]:
    """The deadline as the engine's JSON form, and for a combination the form row of each part."""
    kind = form.rule.data
    roll = form.rule_roll.data or "none"
    calendar = _text(form.rule_calendar.data).upper()
    data: dict = {"rule": kind}
    rows: list[int] = []
    if kind in ("earliest", "latest"):
        rows = [i for i, entry in enumerate(form.parts.entries) if entry.form.kind.data in ("fixed", "relative")]
        data["of"] = [_part_json(form.parts.entries[i].form) for i in rows]
    elif kind == "relative":
        if form.anchor_event_id.data:
            data["anchor"] = node(form.anchor_event_id.data)
        data["offset"] = form.rule_offset.data if form.rule_offset.data is not None else 0
        data["unit"] = form.rule_unit.data or "days"
    else:
        data["date"] = _text(form.rule_date.data)
        if kind == "recurring":
            data["rrule"] = _text(form.rule_rrule.data).upper()
    if roll != "none":
        data["roll"] = roll
    # A calendar counts for business days and rolls; elsewhere the form leaves it out.
    if calendar and (roll != "none" or data.get("unit") == "business_days"):
        data["calendar"] = calendar
    return data, rows


def _form_field(path: str, rows: list[int]) -> str:
    match = _PART_PATH.match(path)
    if match:
        index, name = int(match.group(1)), match.group(2)
        row = rows[index] if index < len(rows) else 0
        return f"parts-{row}-{PART_FIELDS.get(name, 'kind')}"
    return RULE_FIELDS.get(path.split(".")[0].split("[")[0], "rule")


def check_form_deadline(form: ObligationForm):
    """(expression, {form field: problem}) for the posted deadline."""
    data, rows = form_deadline_json(form)
    known = {node(i) for i in db.session.scalars(select(Event.id))}
    expr, problems = check_deadline(data, events=known)
    errors: dict[str, str] = {}
    for problem in problems:
        path, _, reason = problem.partition(": ")
        if reason in ("required field is missing", "must not be empty"):
            reason = MISSING_WORDS.get(path.rsplit(".", 1)[-1], reason)
        errors.setdefault(_form_field(path, rows), reason)
    return expr, errors


def rule_fields(form: ObligationForm) -> dict:
    """The ObligationInput rule fields of the posted deadline; ValidationFailed naming the form fields."""
    expr, errors = check_form_deadline(form)
    if errors:
        raise ValidationFailed(errors)
    if isinstance(expr, Combined):
        parts = []
        for part in expr.parts:
            data = expression_to_json(part)
            if "anchor" in data:
                data["anchor"] = int(data["anchor"])
            parts.append(data)
        return {"rule": "fixed", "rule_combination": expr.how, "rule_parts": parts, "rule_roll": expr.roll,
                "rule_calendar": expr.calendar}
    rule = expr.rule
    return {"rule": rule.kind, "rule_date": rule.date, "rule_precision": rule.precision,
            "anchor_event_id": int(expr.anchor) if expr.anchor else None, "rule_offset": rule.offset,
            "rule_unit": rule.unit, "rule_calendar": rule.calendar, "rule_rrule": rule.rrule,
            "rule_roll": expr.roll, "rule_combination": None, "rule_parts": None}


@bp.route("/obligations/explain")
@login_required
def explain_deadline():
    """The live explanation of the deadline being typed (read-only; the form's fields as the query)."""
    form = ObligationForm(request.args, meta={"csrf": False})
    expr, errors = check_form_deadline(form)
    if errors:
        return jsonify(ok=False, errors=errors, explanation="")
    try:
        outcome = evaluate(expr, resolved_graph())
    except (ValueError, ValidationFailed) as exc:
        return jsonify(ok=False, errors={"rule": str(exc)}, explanation="")
    due = outcome.due
    return jsonify(ok=True, errors={}, explanation=outcome.explanation,
                   due_date=due.date.isoformat() if due.date else None, due_state=due.state)


def register(app) -> None:
    app.register_blueprint(bp)
