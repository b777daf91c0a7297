"""The JSON forms of deadline expressions and derived events, checked with a path per problem.

One checker for packs, the API and forms: ``check_deadline`` turns a decoded
``deadline`` object into an Expression and lists every problem as
``path: message`` (``of[1].offset: must be a whole number``);
``check_derivation`` does the same for an event's ``derived`` object. Paths
are relative to ``at`` (pass ``obligations[2].deadline`` to get full pack paths).
``expression_to_json`` and ``derivation_to_json`` write the same forms back.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date

from tracker.deadlines.derived import DerivedEvent
from tracker.deadlines.engine import (
    PRECISIONS,
    UNITS,
    DeadlineRule,
    parse_partial_date,
    partial_from,
    supported_calendar,
)
from tracker.deadlines.expressions import COMBINATIONS, Combined, Expression, RuleExpr
from tracker.deadlines.recurrence import validate_rrule
from tracker.deadlines.rolling import ROLLS

DEADLINE_KINDS: tuple[str, ...] = ("fixed", "relative", "recurring") + COMBINATIONS
PART_KINDS: tuple[str, ...] = ("fixed", "relative")
OFFSET_MAX_DAYS = 3650  # days and business days, as for packs
OFFSET_MAX_MONTHS = 120
PARTS_MAX = 20
_TEXT_MAX = 200

_FIELDS = {
    "fixed": {"rule", "date", "precision", "roll", "calendar"},
    "relative": {"rule", "anchor", "offset", "unit", "calendar", "roll"},
    "recurring": {"rule", "date", "precision", "rrule", "roll", "calendar"},
    "earliest": {"rule", "of", "roll", "calendar"},
    "latest": {"rule", "of", "roll", "calendar"},
}
_ALL_FIELDS = set().union(*_FIELDS.values())
_DERIVED_FIELDS = {"from", "offset", "unit", "calendar"}


class ExpressionError(ValueError):
    """An invalid deadline or derivation; ``problems`` lists ``path: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _at(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: object) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)


class _Checker:
    def __init__(self, events: Container[str] | None) -> None:
        self.events = events
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def choice(self, obj: dict, name: str, allowed: tuple[str, ...], at: str, default: str | None) -> str | None:
        value = obj.get(name, default)
        if name not in obj and default is None:
            self.fail(_at(at, name), "required field is missing")
            return None
        if not isinstance(value, str) or value not in allowed:
            self.fail(_at(at, name), f"must be one of {', '.join(allowed)}, got {_show(value)}")
            return None
        return value

    def text(self, obj: dict, name: str, at: str, *, required: bool) -> str | None:
        if name not in obj:
            if required:
                self.fail(_at(at, name), "required field is missing")
            return None
        value = obj[name]
        if not isinstance(value, str):
            self.fail(_at(at, name), f"must be a string, got {_kind(value)}")
            return None
        if not value.strip():
            self.fail(_at(at, name), "must not be empty")
            return None
        if len(value) > _TEXT_MAX:
            self.fail(_at(at, name), f"is too long (at most {_TEXT_MAX} characters)")
            return None
        return value.strip()

    def fields(self, obj: dict, allowed: set[str], every: set[str], at: str, what: str) -> None:
        for name in obj:
            if name not in allowed:
                reason = f"not used by {what}" if name in every else "unknown field"
                self.fail(_at(at, str(name)), reason)

    def offset(self, obj: dict, unit: str | None, at: str) -> int | None:
        if "offset" not in obj:
            self.fail(_at(at, "offset"), "required field is missing")
            return None
        value = obj["offset"]
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 90.0 from a form or a JSON writer is still 90
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(_at(at, "offset"), f"must be a whole number, got {_show(value)}")
            return None
        limit = OFFSET_MAX_MONTHS if unit == "months" else OFFSET_MAX_DAYS
        if abs(value) > limit:
            self.fail(_at(at, "offset"), f"{value} is out of range for unit {unit!r} "
                                         f"(allowed -{limit} to {limit})")
            return None
        return value

    def calendar(self, obj: dict, at: str, *, used: bool, why: str) -> str | None:
        code = self.text(obj, "calendar", at, required=False)
        if code is None:
            return None
        if not used:
            self.fail(_at(at, "calendar"), f"only used {why}")
            return None
        if not supported_calendar(code):
            self.fail(_at(at, "calendar"), f"unknown holiday calendar {code!r} (use e.g. US, US-CA, DE, GB or EU)")
            return None
        return code

    def anchor(self, obj: dict, name: str, at: str) -> str | None:
        key = self.text(obj, name, at, required=True)
        if key is not None and self.events is not None and key not in self.events:
            self.fail(_at(at, name), f"unknown event {key!r}")
            return None
        return key

    def when(self, obj: dict, at: str, *, whole_day: bool) -> tuple[date, str] | None:
        precision = None
        if "precision" in obj:
            precision = self.choice(obj, "precision", PRECISIONS, at, "day")
            if precision is None:
                return None
        text = self.text(obj, "date", at, required=True)
        if text is None:
            return None
        try:
            parsed = parse_partial_date(text, precision)
        except ValueError as exc:
            self.fail(_at(at, "date"), str(exc))
            return None
        if whole_day and parsed.precision != "day":
            self.fail(_at(at, "date"), f"{text!r} is not a full date (a recurring deadline needs day precision)")
            return None
        return parsed.first, parsed.precision

    def deadline(self, data: object, at: str, *, part: bool = False) -> Expression | None:
        if not isinstance(data, dict):
            self.fail(at or "deadline", f"must be an object, got {_kind(data)}")
            return None
        before = len(self.problems)
        kinds = PART_KINDS if part else DEADLINE_KINDS
        if part and isinstance(data.get("rule"), str) and data["rule"] in DEADLINE_KINDS and data["rule"] not in kinds:
            self.fail(_at(at, "rule"), f"{data['rule']!r} cannot be a part of earliest/latest (use fixed or relative)")
            return None
        kind = self.choice(data, "rule", kinds, at, None)
        self.fields(data, _FIELDS.get(kind or "", _ALL_FIELDS), _ALL_FIELDS, at, f"a {kind!r} deadline")
        roll = self.choice(data, "roll", ROLLS, at, "none")
        if roll is None:
            roll = "following"  # already reported; a calendar beside a bad roll is not a second problem
        expr: Expression | None = None
        if kind in COMBINATIONS:
            expr = self.combined(data, kind, roll, at)
        elif kind == "relative":
            unit = self.choice(data, "unit", UNITS, at, "days")
            offset = self.offset(data, unit, at)
            calendar = self.calendar(data, at, used=unit == "business_days" or roll != "none",
                                     why="with unit 'business_days' or a roll")
            anchor = self.anchor(data, "anchor", at)
            if unit is not None and offset is not None:
                expr = RuleExpr(DeadlineRule("relative", offset=offset, unit=unit, calendar=calendar),
                                anchor, roll)
        elif kind in ("fixed", "recurring"):
            when = self.when(data, at, whole_day=kind == "recurring")
            calendar = self.calendar(data, at, used=roll != "none", why="with a roll")
            rrule = None
            if kind == "recurring":
                rrule = self.text(data, "rrule", at, required=True)
                problem = validate_rrule(rrule) if rrule is not None else None
                if problem:
                    self.fail(_at(at, "rrule"), f"invalid recurrence rule {rrule!r} ({problem})")
            if when is not None:
                expr = RuleExpr(DeadlineRule(kind, date=when[0], precision=when[1], calendar=calendar,
                                             rrule=rrule), None, roll)
        return expr if len(self.problems) == before else None

    def combined(self, data: dict, kind: str, roll: str, at: str) -> Combined | None:
        calendar = self.calendar(data, at, used=roll != "none", why="with a roll")
        if "of" not in data:
            self.fail(_at(at, "of"), "required field is missing")
            return None
        items = data["of"]
        if not isinstance(items, list):
            self.fail(_at(at, "of"), f"must be a list of rules, got {_kind(items)}")
            return None
        if not 2 <= len(items) <= PARTS_MAX:
            self.fail(_at(at, "of"), f"must list 2 to {PARTS_MAX} rules, got {len(items)}")
            return None
        parts = [self.deadline(item, f"{_at(at, 'of')}[{i}]", part=True) for i, item in enumerate(items)]
        if any(p is None for p in parts):
            return None
        return Combined(kind, tuple(parts), roll, calendar)  # type: ignore[arg-type]

    def derivation(self, data: object, at: str) -> DerivedEvent | None:
        if not isinstance(data, dict):
            self.fail(at or "derived", f"must be an object, got {_kind(data)}")
            return None
        before = len(self.problems)
        self.fields(data, _DERIVED_FIELDS, set(), at, "")
        base = self.anchor(data, "from", at)
        unit = self.choice(data, "unit", UNITS, at, "days")
        offset = self.offset(data, unit, at)
        calendar = self.calendar(data, at, used=unit == "business_days", why="with unit 'business_days'")
        if len(self.problems) != before or base is None or unit is None or offset is None:
            return None
        return DerivedEvent(base, offset, unit, calendar)


def check_deadline(data: object, *, at: str = "",
                   events: Container[str] | None = None) -> tuple[Expression | None, list[str]]:
    """Check a decoded ``deadline`` object; return the expression (None if invalid) and the problems.

    ``events``, when given, holds the event keys an ``anchor`` may name.
    """
    checker = _Checker(events)
    expr = checker.deadline(data, at)
    return (expr if not checker.problems else None), checker.problems


def parse_deadline(data: object, *, at: str = "", events: Container[str] | None = None) -> Expression:
    """Like ``check_deadline`` but raise ExpressionError (a ValueError) listing every problem."""
    expr, problems = check_deadline(data, at=at, events=events)
    if expr is None:
        raise ExpressionError(problems)
    return expr


def check_derivation(data: object, *, at: str = "",
                     events: Container[str] | None = None) -> tuple[DerivedEvent | None, list[str]]:
    """Check an event's decoded ``derived`` object (``{"from", "offset", "unit", "calendar"}``).

    Cycles are a property of the whole graph: ``find_cycle`` checks them.
    """
    checker = _Checker(events)
    spec = checker.derivation(data, at)
    return (spec if not checker.problems else None), checker.problems


def parse_derivation(data: object, *, at: str = "", events: Container[str] | None = None) -> DerivedEvent:
    """Like ``check_derivation`` but raise ExpressionError listing every problem."""
    spec, problems = check_derivation(data, at=at, events=events)
    if spec is None:
        raise ExpressionError(problems)
    return spec


def _date_json(day: date, precision: str) -> str:
    return partial_from(day, precision).iso()


def expression_to_json(expr: Expression) -> dict:
    """The JSON form of ``expr``, as ``check_deadline`` reads it (defaults left out)."""
    if isinstance(expr, Combined):
        out: dict = {"rule": expr.how, "of": [expression_to_json(p) for p in expr.parts]}
        calendar = expr.calendar
    else:
        rule = expr.rule
        out = {"rule": rule.kind}
        if rule.kind == "relative":
            out.update(anchor=expr.anchor, offset=rule.offset, unit=rule.unit)
        else:
            out["date"] = _date_json(rule.date, rule.precision)
            if rule.precision != "day":
                out["precision"] = rule.precision
            if rule.kind == "recurring":
                out["rrule"] = rule.rrule
        calendar = rule.calendar
    if calendar:
        out["calendar"] = calendar
    if expr.roll != "none":
        out["roll"] = expr.roll
    return out


def derivation_to_json(spec: DerivedEvent) -> dict:
    """The JSON ``derived`` object of a derived event."""
    out: dict = {"from": spec.base, "offset": spec.offset, "unit": spec.unit}
    if spec.calendar:
        out["calendar"] = spec.calendar
    return out
