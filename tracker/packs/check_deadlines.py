"""Checks for an obligation's `deadline` object: a fixed, relative or recurring rule."""

from __future__ import annotations

from tracker import deadlines
from tracker.packs.check_base import MISSING, Checker, JsonObject
from tracker.packs.messages import detail, quote, show_number
from tracker.packs.specs import (
    DEADLINE_RULES,
    KEY_MAX,
    OFFSET_MAX_DAYS,
    OFFSET_MAX_MONTHS,
    RRULE_MAX,
    DeadlineSpec,
    ExistingKeys,
)

_DEADLINE_FIELDS_BY_RULE = {
    "fixed": frozenset({"rule", "date", "precision"}),
    "relative": frozenset({"rule", "anchor", "offset", "unit", "calendar"}),
    "recurring": frozenset({"rule", "date", "precision", "rrule"}),
}
_DEADLINE_FIELDS = frozenset().union(*_DEADLINE_FIELDS_BY_RULE.values())


class DeadlineChecks(Checker):
    """Checks deadline objects; a relative deadline's anchor must be an event so far."""

    def __init__(self, existing: ExistingKeys) -> None:
        super().__init__(existing)
        self._rrule_cache: dict[str, str | None] = {}
        self._calendar_cache: dict[str, bool] = {}

    def deadline(self, obj: JsonObject) -> DeadlineSpec | None:
        before = len(self.errors)
        rule = self.choice(obj, "rule", DEADLINE_RULES, "rule")
        allowed = _DEADLINE_FIELDS_BY_RULE.get(rule or "", _DEADLINE_FIELDS)
        for name in obj.data:
            if name not in allowed:
                if name in _DEADLINE_FIELDS:
                    self.field_error(obj, name, f"not used by a {quote(rule or '')} deadline")
                else:
                    self.field_error(obj, name, "unknown field")
        spec = None
        if rule == "fixed":
            spec = self.fixed_deadline(obj)
        elif rule == "relative":
            spec = self.relative_deadline(obj)
        elif rule == "recurring":
            spec = self.recurring_deadline(obj)
        return spec if len(self.errors) == before else None

    def fixed_deadline(self, obj: JsonObject) -> DeadlineSpec | None:
        precision = self.choice(obj, "precision", deadlines.PRECISIONS, "precision", required=False)
        when = self.partial_date(obj, "date", precision)
        if when is None:
            return None
        return DeadlineSpec(rule="fixed", date=when.first, precision=when.precision)

    def relative_deadline(self, obj: JsonObject) -> DeadlineSpec | None:
        anchor = self.reference(obj, "anchor", self.event_keys, self.existing.events, "event")
        offset = obj.get("offset")
        offset_path, offset_pos = obj.at("offset")
        if offset is MISSING:
            self.error(offset_path, offset_pos, "required field is missing")
            offset = None
        elif type(offset) is not int:
            self.type_error(offset_path, offset_pos, "an integer", offset)
            offset = None
        unit = self.choice(obj, "unit", deadlines.UNITS, "unit", required=False, default="days")
        if offset is not None and unit is not None:
            limit = OFFSET_MAX_MONTHS if unit == "months" else OFFSET_MAX_DAYS
            if abs(offset) > limit:
                self.error(
                    offset_path,
                    offset_pos,
                    f"{show_number(offset)} is out of range for unit {quote(unit)}"
                    f" (allowed -{limit} to {limit})",
                )
        calendar = self.text(obj, "calendar", limit=KEY_MAX, required=False, default=None)
        if calendar is not None:
            if unit is not None and unit != "business_days":
                self.field_error(
                    obj,
                    "calendar",
                    f"calendar {quote(calendar)} is only allowed with unit 'business_days'",
                )
            elif not self._supported_calendar(calendar):
                self.field_error(obj, "calendar", f"unknown calendar {quote(calendar)}")
        return DeadlineSpec(
            rule="relative", anchor=anchor, offset=offset or 0, unit=unit or "days", calendar=calendar
        )

    def _supported_calendar(self, code: str) -> bool:
        if code not in self._calendar_cache:
            try:
                self._calendar_cache[code] = bool(deadlines.supported_calendar(code))
            except Exception:
                self._calendar_cache[code] = False
        return self._calendar_cache[code]

    def recurring_deadline(self, obj: JsonObject) -> DeadlineSpec | None:
        precision = self.choice(obj, "precision", deadlines.PRECISIONS, "precision", required=False)
        when = self.partial_date(obj, "date", precision)
        if when is not None and when.precision != "day":
            self.field_error(
                obj,
                "date",
                f"{quote(str(obj.get('date')).strip())} is not a full date (a recurring deadline"
                f" needs day precision, not {quote(str(when.precision))})",
            )
        rrule = self.text(obj, "rrule", limit=RRULE_MAX)
        if rrule is not None:
            problem = self._rrule_problem(rrule)
            if problem is not None:
                self.field_error(obj, "rrule", f"invalid recurrence rule {quote(rrule)} ({problem})")
        if when is None:
            return None
        return DeadlineSpec(rule="recurring", date=when.first, precision=when.precision, rrule=rrule)

    def _rrule_problem(self, text: str) -> str | None:
        if text not in self._rrule_cache:
            try:
                problem = deadlines.validate_rrule(text)
                self._rrule_cache[text] = None if problem is None else detail(Exception(problem))
            except Exception as exc:
                self._rrule_cache[text] = detail(exc)
        return self._rrule_cache[text]

