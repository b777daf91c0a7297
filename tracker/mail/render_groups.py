"""Rendering grouped emails: one change notice per cause, one reminder email per send time.

A group of one is rendered exactly as before (render.render_deadline,
render.render_change), so a user who asked for one email per deadline, or a
cause that moved a single deadline, gets the familiar message.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from tracker.feeds.attachment import calendar_of
from tracker.mail import notices as work_notices
from tracker.mail.render import (
    Rendered, _due_label, _finish, due_phrase, long_date, obligation_url, render_change, render_deadline,
    state_sentence, with_also,
)


@dataclass(frozen=True)
class ChangeLine:
    """One moved deadline of a change notice."""

    obligation: object
    history: object


@dataclass(frozen=True)
class DueLine:
    """One deadline of a reminder email: kind 'reminder' or 'overdue', `days` until due (negative: overdue)."""

    kind: str
    obligation: object
    days: int


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _undated_last(day: date | None) -> tuple:
    return (day is None, day or date.min)


def change_order(line: ChangeLine) -> tuple:
    """Most urgent first: the earliest new date, undated and void ones last."""
    return (*_undated_last(line.history.new_due_date), line.obligation.title.casefold(), line.obligation.id)


def due_order(line: DueLine) -> tuple:
    """Most urgent first: the most overdue, then the soonest due."""
    return (line.days, line.obligation.title.casefold(), line.obligation.id)


def _calendar(obligations: list, name: str, cache: dict | None) -> str | None:
    """The .ics of the dated ones; `cache` shares it between recipients of the same deadlines."""
    dated = [ob for ob in obligations if ob.due_date is not None and ob.due_state in ("firm", "projected")]
    if not dated:
        return None
    key = (name, tuple((ob.id, ob.revision) for ob in dated))
    if cache is not None and key in cache:
        return cache[key]
    text = calendar_of(dated, name).decode("utf-8")
    if cache is not None:
        cache[key] = text
    return text


def _label(history, side: str) -> str:
    day, state = getattr(history, f"{side}_due_date"), getattr(history, f"{side}_due_state")
    return long_date(day) if day else (state or "none")


def changes_subject(cause_title: str | None, count: int) -> str:
    """'Chip Security Act enacted: 40 deadlines moved'."""
    moved = plural(count, "deadline") + " moved"
    return f"{cause_title}: {moved}" if cause_title else f"Deadlines changed: {moved}"


def render_changes(cause_title: str | None, lines: list[ChangeLine], recipient, now: datetime,
                   calendars: dict | None = None) -> Rendered:
    """One change notice for every deadline a cause moved, most urgent first, with one .ics."""
    if len(lines) == 1:
        return render_change(lines[0].obligation, lines[0].history, recipient, now)
    lines = sorted(lines, key=change_order)
    entries = [{"obligation": line.obligation, "history": line.history, "team": line.obligation.team,
                "old": _label(line.history, "old"), "new": _label(line.history, "new"),
                "url": obligation_url(line.obligation.id),
                "state_sentence": state_sentence(line.obligation),
                "is_current": line.history.revision == line.obligation.revision} for line in lines]
    teams = sorted({line.obligation.team.name for line in lines})
    subject = changes_subject(cause_title, len(lines))
    current = [line.obligation for line in lines if line.history.revision == line.obligation.revision]
    context = {"entries": entries, "count": len(lines), "cause_title": cause_title, "team_names": teams,
               "team": lines[0].obligation.team}
    return _finish("change", subject, "changes", context, recipient, _calendar(current, subject, calendars))


SUBJECT_PHRASES = 4  # then "and N more": a subject stays one short line


def deadlines_subject(lines: list[DueLine]) -> str:
    """'3 deadlines: 1 due today, 2 due in 7 days', most urgent first (at most 4 phrases, then 'and N more')."""
    counts: dict[str, int] = {}
    for line in lines:
        phrase = due_phrase(line.kind, line.days).lower()
        counts[phrase] = counts.get(phrase, 0) + 1
    named = list(counts.items())[:SUBJECT_PHRASES]
    parts = ", ".join(f"{count} {phrase}" for phrase, count in named)
    rest = len(lines) - sum(count for _, count in named)
    return f"{plural(len(lines), 'deadline')}: {parts}" + (f" and {rest} more" if rest else "")


def render_deadlines(lines: list[DueLine], recipient, now: datetime,
                     calendars: dict | None = None, notices=()) -> tuple[str, Rendered]:
    """(message kind, email) for the reminders and overdue notices due for one recipient now.

    `notices`: the recipient's work notices joined into this email, a section of their own.
    """
    lines = sorted(lines, key=due_order)
    kind = lines[0].kind
    also = work_notices.summary(notices) if notices else ""
    extra = work_notices.context(notices, recipient)
    if len(lines) == 1:
        return kind, render_deadline(kind, lines[0].obligation, recipient, lines[0].days, now,
                                     also=also, extra=extra)
    entries = [{"kind": line.kind, "obligation": line.obligation, "team": line.obligation.team,
                "phrase": due_phrase(line.kind, line.days), "due_label": _due_label(line.obligation),
                "state_sentence": state_sentence(line.obligation), "url": obligation_url(line.obligation.id)}
               for line in lines]
    subject = with_also(deadlines_subject(lines), also)
    context = {"entries": entries, "count": len(lines), "team": lines[0].obligation.team,
               "team_names": sorted({line.obligation.team.name for line in lines}), **extra}
    return kind, _finish(kind, subject, "deadlines", context, recipient,
                         _calendar([line.obligation for line in lines], deadlines_subject(lines), calendars))


def keep_message_id(rendered: Rendered, message_id: str) -> Rendered:
    """A rebuilt email keeps the Message-ID it was queued with."""
    return replace(rendered, message_id=message_id)
