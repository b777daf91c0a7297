"""Deadline expressions: a rule with an optional roll, and the earlier / later of several rules.

``RuleExpr`` is one fixed, relative or recurring rule (a relative rule may
count from a derived event); ``Combined`` is ``earliest`` or ``latest`` of
fixed and relative parts. ``evaluate`` computes an expression against the
resolved events (see ``tracker.deadlines.derived``) and says in words how the
date follows.

The due state of a combination: ``void`` when every part is void,
``undated`` when no part has a date, ``firm`` only when every non-void part
is firm, else ``projected``. Void parts are ignored; an undated part keeps
the result projected, since its date could still decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from tracker.deadlines.derived import ResolvedEvent, due_from_event
from tracker.deadlines.engine import (
    DeadlineRule,
    Due,
    DueState,
    business_calendar_for,
    compute_due,
    partial_from,
)
from tracker.deadlines.rolling import check_roll, roll_date, roll_note
from tracker.deadlines.wording import offset_phrase

COMBINATIONS: tuple[str, ...] = ("earliest", "latest")


@dataclass(frozen=True)
class RuleExpr:
    """One rule; ``anchor`` is the event key a relative rule counts from."""
    rule: DeadlineRule
    anchor: str | None = None
    roll: str = "none"


@dataclass(frozen=True)
class Combined:
    """The earliest or latest of ``parts`` (fixed or relative rules, not recurring).

    ``calendar`` is the holiday calendar for the roll; without it, the deciding
    part's calendar choice.
    """
    how: str
    parts: tuple[RuleExpr, ...]
    roll: str = "none"
    calendar: str | None = None


Expression = RuleExpr | Combined


@dataclass(frozen=True)
class Outcome:
    """A computed expression: the due date, the words, and for a combination its parts."""
    due: Due
    explanation: str
    parts: tuple[Outcome, ...] = ()
    deciding: int | None = None  # index into parts
    rolled_from: date | None = None  # the day before rolling, when the roll moved it
    calendar: str = "US"  # the holiday calendar used for business days and rolling
    summary: str = field(default="", compare=False)  # short form used inside a combination


def _event(expr: RuleExpr, events: Mapping[str, ResolvedEvent]) -> ResolvedEvent:
    if expr.anchor is None:
        raise ValueError("a relative deadline needs an anchor event")
    try:
        return events[expr.anchor]
    except KeyError:
        raise ValueError(f"unknown anchor event {expr.anchor!r}") from None


def _date_text(due: Due) -> str:
    if due.date is None:
        return "no date"
    window = partial_from(due.date, due.precision)
    return window.label() if window.first == due.date and due.precision != "day" else due.date.isoformat()


def _with_roll(due: Due, roll: str, calendar: str) -> tuple[Due, date | None, str]:
    check_roll(roll)
    if due.date is None or roll == "none":
        return due, None, ""
    rolled = roll_date(due.date, roll, calendar)
    if rolled == due.date:
        return due, None, ""
    return Due(rolled, due.state, due.precision), due.date, roll_note(due.date, rolled, calendar)


def _evaluate_rule(expr: RuleExpr, events: Mapping[str, ResolvedEvent],
                   completed_through: date | None) -> Outcome:
    rule = expr.rule
    if rule.kind == "relative":
        event = _event(expr, events)
        calendar = business_calendar_for(rule, event.anchor)
        raw = due_from_event(rule, event)
        phrase = offset_phrase(rule.offset, rule.unit, event.title, calendar)
        phrase = phrase[0].upper() + phrase[1:]
        if raw.state == DueState.VOID:
            words, short = f"{phrase} — void: {event.title} was withdrawn", f"{phrase} (void)"
        elif raw.date is None:
            words = f"{phrase} (not yet dated) — undated until {event.title} gets a date"
            short = f"{phrase} (not yet dated)"
        else:
            words = f"{phrase} = {raw.date.isoformat()}, {raw.state}"
            short = f"{phrase} ({raw.date.isoformat()})"
    else:
        calendar = business_calendar_for(rule, None)
        raw = compute_due(rule, None, completed_through=completed_through)
        if rule.kind == "fixed":
            short = _date_text(raw)
            words = f"Fixed date {short}, {raw.state}"
        else:
            short = f"recurring, next {_date_text(raw)}"
            words = f"Recurring ({rule.rrule}), next due {_date_text(raw)}"
    due, rolled_from, note = _with_roll(raw, expr.roll, calendar)
    if note:
        words += f"; {note}"
        short += f", rolled to {due.date.isoformat()}"
    short = short[0].lower() + short[1:] if rule.kind == "relative" else short
    return Outcome(due, words, rolled_from=rolled_from, calendar=calendar, summary=short)


def combine_dues(how: str, dues: list[Due]) -> tuple[Due, int | None]:
    """The earliest or latest of ``dues`` and the index of the deciding one (None without a date).

    Ties go to the first part listed.
    """
    if how not in COMBINATIONS:
        raise ValueError(f"unknown combination {how!r} (use earliest or latest)")
    live = [d for d in dues if d.state != DueState.VOID]
    if not live:
        return Due(None, DueState.VOID), None
    dated = [(d.date, i) for i, d in enumerate(dues) if d.date is not None and d.state != DueState.VOID]
    if not dated:
        return Due(None, DueState.UNDATED), None
    pick = min if how == "earliest" else max
    # Sorting key (date, +/-index) makes the first-listed part win a tie either way.
    _, index = pick(dated, key=lambda pair: (pair[0], pair[1] if how == "earliest" else -pair[1]))
    firm = all(d.state == DueState.FIRM for d in live)
    chosen = dues[index]
    return Due(chosen.date, DueState.FIRM if firm else DueState.PROJECTED, chosen.precision), index


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _evaluate_combined(expr: Combined, events: Mapping[str, ResolvedEvent]) -> Outcome:
    if not expr.parts:
        raise ValueError(f"an {expr.how!r} deadline needs at least one part")
    for part in expr.parts:
        if part.rule.kind not in ("fixed", "relative"):
            raise ValueError(f"an {expr.how!r} deadline combines fixed and relative rules, "
                             f"not {part.rule.kind!r}")
    parts = tuple(_evaluate_rule(p, events, None) for p in expr.parts)
    raw, index = combine_dues(expr.how, [p.due for p in parts])
    calendar = expr.calendar or (parts[index].calendar if index is not None else "US")
    due, rolled_from, note = _with_roll(raw, expr.roll, calendar)
    if len(parts) == 1:
        head = f"{parts[0].summary}"
    else:
        which = ({"earliest": "earlier", "latest": "later"} if len(parts) == 2
                 else {"earliest": "earliest", "latest": "latest"})[expr.how]
        head = f"The {which} of {_join([p.summary for p in parts])}"
    if due.state == DueState.VOID:
        words = f"{head} — void: every part is void"
    elif raw.date is None:
        words = f"{head} — undated until a part gets a date"
    else:
        words = f"{head}: {raw.date.isoformat()}, {due.state} (decided by {parts[index].summary})"
        ignored = [p.summary for p in parts if p.due.state == DueState.VOID]
        waiting = [p.summary for p in parts if p.due.state == DueState.UNDATED]
        if waiting:
            words += f"; not yet dated: {_join(waiting)}"
        if ignored:
            words += f"; ignored as void: {_join(ignored)}"
        if note:
            words += f"; {note}"
    words = words[0].upper() + words[1:]
    return Outcome(due, words, parts, index, rolled_from, calendar, summary=head)


def evaluate(expr: Expression, events: Mapping[str, ResolvedEvent] | None = None, *,
             completed_through: date | None = None) -> Outcome:
    """Compute ``expr`` against resolved events (``resolve_events``) and explain it.

    ``completed_through`` is for a recurring rule, as in ``compute_due``.
    Raises ValueError for an invalid expression (unknown anchor, recurring
    part in a combination, unknown roll or calendar).
    """
    events = events or {}
    if isinstance(expr, Combined):
        return _evaluate_combined(expr, events)
    return _evaluate_rule(expr, events, completed_through)
