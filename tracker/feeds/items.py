"""What a feed shows for one obligation: which VEVENTs, with which text.

`plan_row` decides from a light row (no text) which events exist and when
something left the feed; `build_spec` turns loaded details into the plain
values of one VEVENT. Recurring obligations get one VEVENT per occurrence,
each with its own UID (docs/feeds.md explains why not RRULE).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select

from tracker.db import db
from tracker.deadlines import due_date_note, partial_from
from tracker.deadlines.recurrence import occurrences, occurrences_from
from tracker.feeds.sequence import cancelled_since, flips_for, stored_states
from tracker.feeds.ical import VEventSpec
from tracker.feeds.uids import obligation_uid
from tracker.models import DeadlineHistory, Event, Obligation, Source, Team, obligation_events
from tracker.register.queries import event_date_column, obligation_page_url
from tracker.register.estimates import ESTIMATE_PASSED
from tracker.models.vocabulary import ACTIVE_STATUSES, STATUS_LABELS

PAST_DAYS = 90          # the window: the past 90 days plus everything ahead
CANCELLED_DAYS = 30     # cancelled events stay this long, then disappear
UPCOMING_OCCURRENCES = 1  # shown after today besides the current one, so a weekly rule does not flood the feed
MAX_OCCURRENCES = 400   # a bound on the occurrences one recurring rule contributes
EXCERPT_CHARS = 240     # of an obligation's own description; the full text is one click away


class PlannedItem(NamedTuple):  # a tuple: hashed in C, as part of every fragment cache key
    occurrence: date | None  # set for recurring occurrences (part of the UID)
    day: date | None         # None: a void deadline, its last date comes from history
    phase: str               # current, stale (waiting on a stale estimate), done (a completed occurrence) or upcoming


@dataclass(frozen=True)
class RowPlan:
    items: tuple[PlannedItem, ...]
    waiting: bool        # undated: listed in the calendar description
    cancelled: bool
    left_on: date | None  # the last day something of this row left the feed
    changes_on: date | None = None  # the next day the plan changes only because the date moved


def window_start(today: date) -> date:
    """The first day a feed still shows on `today`."""
    return today - timedelta(days=PAST_DAYS)


def leaves_on(day: date) -> date:
    """The first `today` on which an event on `day` is outside the window."""
    return day + timedelta(days=PAST_DAYS + 1)


def last_change(row) -> datetime:
    """The row's last change: DTSTAMP and LAST-MODIFIED (never the request time)."""
    moments = [row.updated_at, row.due_changed_at, row.status_changed_at]
    if row.deleted_at is not None:
        moments.append(row.deleted_at)
    return max(moments)


def _earliest(*days: date | None) -> date | None:
    known = [day for day in days if day is not None]
    return min(known) if known else None


def _recurring_items(row, today: date) -> tuple[tuple[PlannedItem, ...], date | None, date | None]:
    """Occurrences shown today: those in the window (completed ones marked done),
    the current one, and the next one after today however far ahead it is."""
    start = window_start(today)
    try:
        series = occurrences_from(row.rule_date, row.rule_rrule, max(start, row.rule_date))
        before = occurrences(row.rule_date, row.rule_rrule,
                             start=max(row.rule_date, start - timedelta(days=400)), end=start - timedelta(days=1))
    except ValueError:
        return (), None, None
    items, upcoming, changes_on = [], 0, None
    for occurrence in itertools.islice(series, MAX_OCCURRENCES):
        if row.completed_through is not None and occurrence <= row.completed_through and occurrence != row.due_date:
            phase = "done"
        elif occurrence == row.due_date:
            phase = "current"
        else:
            phase = "upcoming"
            if occurrence >= today:
                upcoming += 1
                if upcoming > UPCOMING_OCCURRENCES:
                    break
                # The day after it passes, it no longer counts and one more shows.
                changes_on = _earliest(changes_on, occurrence + timedelta(days=1))
        items.append(PlannedItem(occurrence, occurrence, phase))
    if items:
        changes_on = _earliest(changes_on, leaves_on(items[0].day))
    left_on = leaves_on(before[-1]) if before else None
    return tuple(items), left_on, changes_on


def plan_row(row, today: date, estimate_ends: date | None = None) -> RowPlan:
    """The VEVENTs one obligation contributes to a feed on `today`, and the
    next day that would change without any edit (`changes_on`).

    An open or in-progress deadline stays however late; the window drops only
    done, waived and cancelled ones. `estimate_ends`: the last day of the
    estimate a projected deadline counts from; after it the event reads
    "estimate passed" (phase `stale`), and the day after it is a change day.
    """
    since = cancelled_since(row)
    cancelled = since is not None
    expires = since.date() + timedelta(days=CANCELLED_DAYS + 1) if cancelled else None
    if cancelled and expires <= today:
        return RowPlan((), False, True, expires)
    if row.rule == "recurring" and row.rule_date is not None and row.rule_rrule:
        items, left_on, changes_on = _recurring_items(row, today)
        return RowPlan(items, False, cancelled, left_on, _earliest(changes_on, expires))
    if row.due_date is None:
        if row.due_state == "void" and cancelled:
            # Its day comes from history; the fragment's day bounds its stay in the window.
            return RowPlan((PlannedItem(None, None, "current"),), False, True, None, expires)
        return RowPlan((), row.due_state == "undated" and not cancelled, cancelled, None, expires)
    owed = not cancelled and row.deleted_at is None and row.status in ACTIVE_STATUSES
    if row.due_date < window_start(today) and not owed:
        return RowPlan((), False, cancelled, leaves_on(row.due_date))
    stale = owed and estimate_ends is not None and estimate_ends < today
    turns_stale = estimate_ends + timedelta(days=1) if owed and estimate_ends is not None and not stale else None
    return RowPlan((PlannedItem(None, row.due_date, "stale" if stale else "current"),), False, cancelled, None,
                   _earliest(None if owed else leaves_on(row.due_date), expires, turns_stale))


@dataclass
class Details:
    """Everything the text of an obligation's VEVENTs needs."""

    id: int
    title: str
    description: str
    status: str
    status_note: str
    due_state: str
    due_precision: str
    rule: str
    anchor_event_id: int | None
    team_name: str
    deleted: bool
    stamp: datetime
    sources: list[str] = field(default_factory=list)
    anchor_title: str | None = None
    anchor_titles: list[str] = field(default_factory=list)  # every event the rule counts from
    void_day: date | None = None
    expression: bool = False  # earliest/latest, a roll, or counted from a derived event
    how: str = ""  # then: the engine's explanation, naming the chain, the deciding part, the roll
    priority: str = "normal"
    tags: list[str] = field(default_factory=list)


def _event_line(source_title: str, title: str, status: str, on: date | None, precision: str) -> str:
    when = partial_from(on, precision).label() if on else "no date yet"
    return f"{source_title}: {title} ({status}, {when})"


def load_details(ids: list[int]) -> dict[int, Details]:
    """Load text and provenance for `ids` in three queries."""
    if not ids:
        return {}
    columns = (Obligation.id, Obligation.title, Obligation.description, Obligation.status,
               Obligation.status_note, Obligation.due_state, Obligation.due_precision, Obligation.rule,
               Obligation.anchor_event_id, Team.name, Obligation.deleted_at,
               Obligation.updated_at, Obligation.due_changed_at, Obligation.status_changed_at,
               Obligation.rule_combination, Obligation.rule_roll, Obligation.rule_parts, Obligation.priority,
               Obligation.tags)
    from tracker.register.chains import anchors_of

    details: dict[int, Details] = {}
    anchors: dict[int, set[int]] = {}
    for row in db.session.execute(select(*columns).join(Team, Team.id == Obligation.team_id)
                                  .where(Obligation.id.in_(ids))):
        details[row.id] = Details(row.id, row.title, row.description, row.status, row.status_note,
                                  row.due_state, row.due_precision, row.rule, row.anchor_event_id,
                                  row.name, row.deleted_at is not None, last_change(row),
                                  expression=bool(row.rule_combination) or (row.rule_roll or "none") != "none",
                                  priority=row.priority or "normal", tags=list(row.tags or []))
        anchors[row.id] = anchors_of(row)
    provenance = (select(obligation_events.c.obligation_id, Event.id, Event.title, Event.status,
                         Event.occurred_on, Event.expected_on, Event.precision, Source.title.label("source"),
                         Event.derived_from_event_id)
                  .join(Event, Event.id == obligation_events.c.event_id)
                  .join(Source, Source.id == Event.source_id)
                  .where(obligation_events.c.obligation_id.in_(ids))
                  .order_by(obligation_events.c.obligation_id, Event.id))
    for row in db.session.execute(provenance):
        item = details[row.obligation_id]
        on = getattr(row, event_date_column(row.status))
        item.sources.append(_event_line(row.source, row.title, row.status, on, row.precision))
        if row.id == item.anchor_event_id:
            item.anchor_title = row.title
            item.expression = item.expression or row.derived_from_event_id is not None
    # The events the rule counts from, by name (a derived anchor or a combination's parts
    # need not be among the provenance events): one more query.
    anchor_ids = sorted({event_id for ids_ in anchors.values() for event_id in ids_})
    if anchor_ids:
        titles = dict(db.session.execute(select(Event.id, Event.title).where(Event.id.in_(anchor_ids))).all())
        for obligation_id, ids_ in anchors.items():
            details[obligation_id].anchor_titles = [titles[i] for i in sorted(ids_) if i in titles]
    _explain_expressions(details)
    void_ids = [i for i, d in details.items() if d.due_state == "void"]
    if void_ids:
        history = (select(DeadlineHistory.obligation_id, DeadlineHistory.old_due_date)
                   .where(DeadlineHistory.obligation_id.in_(void_ids), DeadlineHistory.new_due_state == "void",
                          DeadlineHistory.old_due_date.is_not(None))
                   .order_by(DeadlineHistory.obligation_id, DeadlineHistory.revision))
        for obligation_id, old_day in db.session.execute(history):
            details[obligation_id].void_day = old_day
    return details


def _explain_expressions(details: dict[int, Details]) -> None:
    """The engine's words for the rows whose rule says more than a plain offset (two more queries)."""
    from tracker.register.chains import EXPRESSION_COLUMNS, explain_with_chains, resolved_graph
    from tracker.errors import ValidationFailed

    ids = [i for i, d in details.items() if d.expression]
    if not ids:
        return
    resolved = resolved_graph()
    for row in db.session.execute(select(*EXPRESSION_COLUMNS).where(Obligation.id.in_(ids))):
        try:
            details[row.id].how = explain_with_chains(row, resolved)
        except ValidationFailed:
            pass


def _cancel_reason(details: Details) -> str | None:
    if details.deleted:
        return "deleted"
    if details.status in ("waived", "not_applicable"):
        return STATUS_LABELS[details.status].lower()
    if details.due_state == "void":
        return "void: its source event was withdrawn"
    return None


def obligation_link(obligation_id: int) -> str:
    """The obligation's page in the web UI, from TRACKER_BASE_URL."""
    return obligation_page_url(obligation_id)


def _excerpt(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_spec(details: Details, item: PlannedItem, sequence: int, *, show_team: bool = False) -> VEventSpec | None:
    """The VEVENT of one planned item, or None when it has no date to show.

    The text is kept short (a team of 2,500 obligations should stay near 1 MB):
    the date's standing, the status, why (the source events), an excerpt of
    the description and the link to the full page. The due date itself is
    DTSTART; the team is named only in feeds that cover several teams.
    """
    day = item.day if item.day is not None else details.void_day
    if day is None:
        return None
    reason = _cancel_reason(details)
    done = item.phase == "done" or (item.phase == "current" and details.status == "done")
    projected = details.due_state == "projected" and item.occurrence is None
    stale = item.phase == "stale"
    anchors = " and ".join(f"'{title}'" for title in details.anchor_titles) or (
        f"'{details.anchor_title}'" if details.anchor_title else "the events it counts from")
    precision = details.due_precision if item.occurrence is None else "day"
    note = due_date_note(day, precision, details.due_state if item.occurrence is None else None)
    marks = (["projected"] if projected else []) + ([note] if note else [])
    summary = details.title + (f" ({', '.join(marks)})" if marks else "")
    if reason:
        summary, status = f"Cancelled ({reason.split(':')[0]}): {summary}", "CANCELLED"
        standing = f"Cancelled: {reason}."
    elif done:
        summary, status, standing = f"Done: {summary}", "CONFIRMED", "Firm date."
    elif stale:
        summary, status = f"Estimate passed: {summary}", "TENTATIVE"
        standing = (f"Projected from an estimate that has passed: {anchors} did not happen when expected and "
                    f"is not recorded. {ESTIMATE_PASSED[0].upper()}{ESTIMATE_PASSED[1:]}; until then this "
                    f"deadline is not overdue.")
    elif projected:
        status = "TENTATIVE"
        standing = f"Projected: an estimate until {anchors} {'happen' if len(details.anchor_titles) > 1 else 'happens'}."
    else:
        status, standing = "CONFIRMED", "Firm date."
    if note:
        standing += f" Due: {note}."
    if item.occurrence is not None:
        standing += " Recurring."
    work = details.status
    if item.phase not in ("current", "stale") and not reason:
        work = "done" if item.phase == "done" else "open"  # the status belongs to the current occurrence
    status_line = f"Status: {STATUS_LABELS.get(work, work)}"
    if details.status_note and work == details.status:
        status_line += f" ({_excerpt(details.status_note, 120)})"
    status_line += "."
    if details.priority != "normal":  # said only when it is not the default, to keep feeds short
        status_line += f" Priority: {details.priority}."
    if details.tags:
        status_line += f" Tags: {', '.join(details.tags)}."
    if show_team:
        status_line += f" Team: {details.team_name}."
    link = obligation_link(details.id)
    lines = [standing, status_line]
    if details.how:
        lines.append(f"How: {_excerpt(details.how, EXCERPT_CHARS)}")
    lines += [f"Why: {line}" for line in details.sources[:3]]
    if len(details.sources) > 3:
        lines.append(f"Why: and {len(details.sources) - 3} more source events.")
    if details.description.strip():
        lines.append(_excerpt(details.description, EXCERPT_CHARS))
    lines.append(link)
    return VEventSpec(uid=obligation_uid(details.id, item.occurrence), day=day, summary=summary,
                      description="\n".join(lines), status=status, sequence=sequence,
                      stamp=details.stamp, url=link)


def single_spec(obligation: Obligation) -> VEventSpec | None:
    """The VEVENT the feeds show for an obligation now (recurring: its current occurrence)."""
    cancelled = cancelled_since(obligation) is not None
    flips = flips_for(cancelled, stored_states([obligation.id]).get(obligation.id))
    if obligation.rule == "recurring" and obligation.due_date is not None:
        item = PlannedItem(obligation.due_date, obligation.due_date, "current")
    elif obligation.due_date is not None or obligation.due_state == "void":
        item = PlannedItem(None, obligation.due_date, "current")
    else:
        return None
    details = load_details([obligation.id])[obligation.id]
    return build_spec(details, item, obligation.revision + flips)
