"""Checks for an obligation's `deadline` object and an event's `derived` object.

Both go through the engine's one checker (``tracker.deadlines.check_deadline`` and
``check_derivation``), so a pack, the API and the forms refuse the same things with
the same words, each problem with its full path
(``obligations[2].deadline.of[1].anchor: unknown event 'x'``).
"""

from __future__ import annotations

import re

from tracker import deadlines
from tracker.deadlines.expressions import Combined
from tracker.packs.check_base import Checker, JsonObject
from tracker.packs.messages import BadNumber, safe
from tracker.packs.specs import DeadlineSpec


class _KnownEvents:
    """The event keys a reference may name: this pack's so far, and the register's."""

    def __init__(self, pack: set[str], existing: frozenset) -> None:
        self.pack, self.existing = pack, existing

    def __contains__(self, key: object) -> bool:
        return key in self.pack or key in self.existing


def spec_from_expression(expr) -> DeadlineSpec:
    """The pack's DeadlineSpec of an engine expression whose anchors are event keys."""
    if isinstance(expr, Combined):
        return DeadlineSpec(rule=expr.how, roll=expr.roll, calendar=expr.calendar,
                            parts=tuple(deadlines.expression_to_json(p) for p in expr.parts))
    rule = expr.rule
    return DeadlineSpec(rule=rule.kind, date=rule.date, precision=rule.precision, anchor=expr.anchor,
                        offset=rule.offset, unit=rule.unit, calendar=rule.calendar, rrule=rule.rrule,
                        roll=expr.roll)


_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _position(obj: JsonObject, path: str) -> tuple[int, ...]:
    """The document position of ``path`` inside ``obj`` (fields in their order, missing ones last)."""
    pos, data = obj.pos, obj.data
    for name, index in _STEP.findall(path[len(obj.path):]):
        if name:
            order = list(data) if isinstance(data, dict) else []
            pos += (order.index(name) if name in order else len(order),)
            data = data.get(name) if isinstance(data, dict) else None
        else:
            pos += (int(index),)
            data = data[int(index)] if isinstance(data, list) and int(index) < len(data) else None
    return pos


def _bad_numbers(data: object, path: str) -> set[str]:
    """Paths of the NaN/Infinity values in ``data`` (already reported by the JSON loader)."""
    if isinstance(data, BadNumber):
        return {path}
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            found |= _bad_numbers(value, f"{path}.{key}")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found |= _bad_numbers(value, f"{path}[{i}]")
    return found


class DeadlineChecks(Checker):
    """Checks deadline and derivation objects; references must name events defined so far."""

    def known_events(self) -> _KnownEvents:
        return _KnownEvents(self.event_keys, self.existing.events)

    def _report(self, obj: JsonObject, problems: list[str]) -> None:
        reported = _bad_numbers(obj.data, obj.path)
        for problem in problems:
            path = problem.split(": ", 1)[0]
            if path in reported:
                continue  # NaN or Infinity: the loader reported it at this path already
            self.errors.append((_position(obj, path), len(self.errors), safe(problem)))

    def deadline(self, obj: JsonObject) -> DeadlineSpec | None:
        expr, problems = deadlines.check_deadline(obj.data, at=obj.path, events=self.known_events())
        if problems:
            self._report(obj, problems)
            # Only NaN/Infinity (reported by the loader): the pack is refused anyway.
            return DeadlineSpec(rule="fixed") if not self._counted(obj, problems) else None
        return spec_from_expression(expr)

    def _counted(self, obj: JsonObject, problems: list[str]) -> bool:
        reported = _bad_numbers(obj.data, obj.path)
        return any(p.split(": ", 1)[0] not in reported for p in problems)

    def derivation(self, obj: JsonObject) -> deadlines.DerivedEvent | None:
        spec, problems = deadlines.check_derivation(obj.data, at=obj.path, events=self.known_events())
        if problems:
            self._report(obj, problems)
            return None
        return spec
