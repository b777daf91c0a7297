"""The timeline: source events and deadlines by month, drawn as server-side SVG.

`render_svg` is pure (dates in, SVG text out); `load_items` is the one place
that reads the register for it. Projected windows and deadlines are dashed and
hatched *and* labelled "projected", so the difference survives printing in
black and white and does not rely on colour.
"""

from __future__ import annotations

import calendar
import textwrap
from dataclasses import dataclass
from datetime import date
from html import escape

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WIDTH, LABEL_W, RIGHT_PAD = 1100, 300, 20
AXIS_Y, ROW_H, TOP = 34, 24, 66
LINE_H, LABEL_CHARS = 14, 46  # a label wraps at about LABEL_CHARS characters instead of being cut


@dataclass(frozen=True)
class Marker:
    """A dated source event."""

    label: str
    day: date
    status: str  # occurred | expected
    when: str  # "2026-03-26" or "September 2026"
    url: str = ""
    # A derived event: the date of the event it follows (drawn as a link) and how it follows.
    follows: date | None = None
    derivation: str = ""  # "90 days after Chip Security Act enacted"


@dataclass(frozen=True)
class Window:
    """A deadline; relative ones span from their anchor event's date (`start`) to `end`."""

    label: str
    end: date
    state: str  # firm | projected
    start: date | None = None
    url: str = ""
    overdue: bool = False


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _x(day: date, start: date, end: date) -> float:
    span = (end - start).days or 1
    clamped = min(max(day, start), end)
    return LABEL_W + (WIDTH - LABEL_W - RIGHT_PAD) * (clamped - start).days / span


def label_lines(text: str) -> list[str]:
    """A row's label in lines that fit the label column: wrapped, never cut."""
    return textwrap.wrap(text, LABEL_CHARS, break_long_words=True) or [""]


def row_height(text: str) -> int:
    """How tall a row is: one line fits ROW_H, each further line adds LINE_H."""
    return ROW_H + LINE_H * (len(label_lines(text)) - 1)


def _label(text: str, y: int) -> str:
    # The lines end in a space so the link's visible text reads as the words, not glued together.
    lines = label_lines(text)
    spans = "".join(f'<tspan x="8" dy="{0 if n == 0 else LINE_H}">{escape(line)}{" " if n < len(lines) - 1 else ""}</tspan>'
                    for n, line in enumerate(lines))
    return f'<text x="8" y="{y + 16}" class="tl-label">{spans}</text>'


def _link(url: str, inner: str, label: str) -> str:
    if not url:
        return f"<g>{inner}</g>"
    return f'<a href="{escape(url)}" aria-label="{escape(label)}">{inner}</a>'


def window_text(window: Window, with_label: bool = True) -> str:
    """What one window means, in words (also used by the table fallback)."""
    parts = [f"due {window.end.isoformat()}", window.state]
    if window.start:
        parts.insert(0, f"from {window.start.isoformat()}")
    if window.overdue:
        parts.append("overdue")
    return ", ".join(([window.label] if with_label else []) + parts)


def render_svg(start: date, months: int, today: date, markers: list[Marker], windows: list[Window],
               title: str = "Timeline") -> str:
    """The whole timeline as one accessible <svg> element (a labelled group of links, title, desc)."""
    end = add_months(start, months)
    height = (TOP + 2 * ROW_H + 20 + sum(row_height(_marker_text(m)) for m in markers)
              + sum(row_height(_window_text_shown(w)) for w in windows))
    # role=group, not img: the items inside are links, and an image may hold no interactive parts.
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="group" '
           f'viewBox="0 0 {WIDTH} {height}" width="100%" aria-labelledby="tl-title tl-desc">',
           f'<title id="tl-title">{escape(title)}</title>',
           f'<desc id="tl-desc">{len(markers)} source events and {len(windows)} deadlines from '
           f'{start.isoformat()} to {end.isoformat()}; today is {today.isoformat()}. '
           'The table below lists the same items.</desc>',
           '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>']
    out.extend(_axis(start, months, end, height))
    y = TOP
    out.append(f'<text x="8" y="{y + 15}" class="tl-heading">Source events</text>')
    y += ROW_H
    for marker in markers:
        out.append(_marker(marker, y, start, end))
        y += row_height(_marker_text(marker))
    out.append(f'<text x="8" y="{y + 15}" class="tl-heading">Deadlines</text>')
    y += ROW_H
    for window in windows:
        out.append(_window(window, y, start, end))
        y += row_height(_window_text_shown(window))
    if start <= today <= end:
        tx = _x(today, start, end)
        out.append(f'<line x1="{tx:.1f}" y1="{AXIS_Y - 10}" x2="{tx:.1f}" y2="{height - 10}" class="tl-today"/>'
                   f'<text x="{tx + 3:.1f}" y="{AXIS_Y - 14}" class="tl-today-label">Today {today.isoformat()}</text>')
    out.append("</svg>")
    return "".join(out)


def _axis(start: date, months: int, end: date, height: int) -> list[str]:
    parts = []
    for index in range(months + 1):
        month = add_months(start, index)
        x = _x(month, start, end)
        parts.append(f'<line x1="{x:.1f}" y1="{AXIS_Y}" x2="{x:.1f}" y2="{height - 10}" class="tl-grid"/>')
        if index < months:
            parts.append(f'<text x="{x + 3:.1f}" y="{AXIS_Y + 14}" class="tl-month">{MONTH_ABBR[month.month - 1]}</text>')
            if month.month == 1 or index == 0:
                parts.append(f'<text x="{x + 3:.1f}" y="{AXIS_Y + 28}" class="tl-year">{month.year}</text>')
    return parts


def _marker_text(marker: Marker) -> str:
    """The label shown in the marker's row."""
    return (marker.label + (" (expected)" if marker.status != "occurred" else "")
            + (" (derived)" if marker.derivation else ""))


def _window_text_shown(window: Window) -> str:
    """The label shown in the deadline's row: the title, then projected / overdue in words."""
    return (window.label + (" (projected)" if window.state != "firm" else "")
            + (" (overdue)" if window.overdue else ""))


def _marker(marker: Marker, y: int, start: date, end: date) -> str:
    x = _x(marker.day, start, end)
    expected = marker.status != "occurred"
    words = f"{_marker_text(marker)}: {marker.status} {marker.when}"
    link = ""
    if marker.derivation:
        words += f" ({marker.derivation})"
    if marker.follows is not None:
        # The link from the event it derives from: a dotted line ending in the marker.
        x_from = _x(marker.follows, start, end)
        link = (f'<line x1="{x_from:.1f}" y1="{y + 12}" x2="{x:.1f}" y2="{y + 12}" class="tl-derived">'
                f'<title>{escape(words)}</title></line>'
                f'<circle cx="{x_from:.1f}" cy="{y + 12}" r="3" class="tl-derived-from"/>')
    shape = link + (f'<polygon points="{x:.1f},{y + 4} {x + 7:.1f},{y + 12} {x:.1f},{y + 20} {x - 7:.1f},{y + 12}" '
             f'class="tl-event{" tl-expected" if expected else ""}"><title>{escape(words)}</title></polygon>')
    return _link(marker.url, _label(_marker_text(marker), y) + shape, words)


def _window(window: Window, y: int, start: date, end: date) -> str:
    projected = window.state != "firm"
    x_end = _x(window.end, start, end)
    shown = _window_text_shown(window)
    text = _label(shown, y)
    # The accessible name starts with the visible words (WCAG 2.5.3), then the dates.
    words = f"{shown}: {window_text(window, with_label=False)}"
    css = "tl-window tl-projected" if projected else "tl-window"
    shapes = []
    if window.start is not None and window.start < window.end:
        x_start = _x(window.start, start, end)
        shapes.append(f'<rect x="{x_start:.1f}" y="{y + 6}" width="{max(x_end - x_start, 1):.1f}" height="12" '
                      f'rx="2" class="{css}"><title>{escape(words)}</title></rect>')
    shapes.append(f'<circle cx="{x_end:.1f}" cy="{y + 12}" r="6" class="tl-deadline'
                  f'{" tl-projected" if projected else ""}{" tl-overdue" if window.overdue else ""}">'
                  f'<title>{escape(words)}</title></circle>')
    return _link(window.url, text + "".join(shapes), words)


def month_count(value: str | None, default: int = 18) -> int:
    """A sane number of months from a query argument (3 to 60)."""
    try:
        months = int(value or default)
    except ValueError:
        return default
    return min(max(months, 3), 60)


def month_start(value: str | None, default: date) -> date:
    """'2026-07' -> 2026-07-01; anything else -> `default`."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        if 1900 <= year <= 2200 and 1 <= month <= 12:
            return date(year, month, 1)
    except ValueError:
        pass
    return default


def default_range(today: date, earliest_overdue: date | None, latest_open: date | None,
                  least: int = 12, most: int = 36) -> tuple[date, int]:
    """The first month and the month count shown when the page is opened without a range.

    It starts at the earliest open overdue deadline (or this month), so the worst items are drawn,
    and runs to the month after the latest open deadline: at least `least`, at most `most` months.
    """
    this_month = today.replace(day=1)
    start = min(earliest_overdue.replace(day=1), this_month) if earliest_overdue else this_month
    months = least
    if latest_open is not None:
        months = (latest_open.year - start.year) * 12 + latest_open.month - start.month + 1
    return start, min(max(months, least), most)


def last_day(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


# ---- Reading the register (not pure) ----

MAX_EVENTS, MAX_WINDOWS = 80, 200


def open_deadline_span(today: date, team_id: int | None) -> tuple[date | None, date | None]:
    """The earliest overdue and the latest due date among open deadlines (for `default_range`)."""
    from sqlalchemy import case, func, select

    from tracker.db import db
    from tracker.models import Obligation
    from tracker.models.register import ACTIVE_STATUSES

    query = select(func.min(case((Obligation.due_date < today, Obligation.due_date))),
                   func.max(Obligation.due_date)).where(
        Obligation.deleted_at.is_(None), Obligation.status.in_(ACTIVE_STATUSES),
        Obligation.due_state.in_(("firm", "projected")))
    if team_id:
        query = query.where(Obligation.team_id == team_id)
    earliest, latest = db.session.execute(query).one()
    return earliest, latest


def load_items(start: date, end: date, team_id: int | None, todays: dict[int, date],
               url_for_event, url_for_obligation) -> tuple[list[Marker], list[Window], bool]:
    """Markers and windows that touch [start, end); True when the lists were capped."""
    from sqlalchemy import and_, or_, select
    from sqlalchemy.orm import joinedload

    from tracker.db import db
    from tracker.models import Event, Obligation

    events = db.session.scalars(
        select(Event).where(or_(and_(Event.status == "occurred", Event.occurred_on >= start,
                                     Event.occurred_on < end),
                                and_(Event.status == "expected", Event.expected_on >= start,
                                     Event.expected_on < end)))
        .options(joinedload(Event.derived_from).joinedload(Event.source))
        .order_by(Event.occurred_on.is_(None), Event.occurred_on, Event.expected_on, Event.id)
        .limit(MAX_EVENTS + 1)).all()
    query = (select(Obligation).options(joinedload(Obligation.anchor_event))
             .where(Obligation.deleted_at.is_(None), Obligation.due_date >= start, Obligation.due_date < end,
                    Obligation.due_state.in_(("firm", "projected")))
             .order_by(Obligation.due_date, Obligation.id).limit(MAX_WINDOWS + 1))
    if team_id:
        query = query.where(Obligation.team_id == team_id)
    obligations = db.session.scalars(query).all()
    capped = len(events) > MAX_EVENTS or len(obligations) > MAX_WINDOWS
    from tracker.register.derived_events import derivation_phrase
    markers = sorted((Marker(e.title, e.on, e.status, e.partial_date.label(), url_for_event(e.id),
                             follows=e.derived_from.on if e.is_derived and e.derived_from is not None else None,
                             derivation=derivation_phrase(e))
                      for e in events[:MAX_EVENTS] if e.on), key=lambda m: m.day)
    windows = []
    for ob in obligations[:MAX_WINDOWS]:
        anchor_on = ob.anchor_event.on if ob.rule == "relative" and ob.anchor_event is not None else None
        windows.append(Window(ob.title, ob.due_date, ob.due_state, anchor_on, url_for_obligation(ob.id),
                              ob.is_overdue(todays.get(ob.team_id, ob.due_date))))
    return markers, windows, capped
