"""Derived events: an event dated by an offset from another event ("takes effect 90 days after enactment").

A derived event has no status or date of its own. It takes the certainty of
the event it derives from -- occurred gives a firm date, expected a projected
one with the estimate's precision carried, speculative leaves it undated,
withdrawn makes it void -- and derived events chain. ``resolve_events`` works
out every event of a graph in dependency order and refuses cycles.

A resolved event's date is an exact computed day, not the start of an
estimate window, so a deadline counted from it must not be moved back to a
window start: use ``due_from_event`` rather than handing the event's precision
to ``compute_due`` (which reads an imprecise anchor as its window start).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from tracker.deadlines.engine import (
    Anchor,
    DeadlineRule,
    Due,
    DueState,
    EventStatus,
    add_offset,
    business_calendar_for,
    compute_due,
    partial_from,
)
from tracker.deadlines.wording import offset_phrase


class DerivationError(ValueError):
    """An event graph that cannot be resolved (unknown event, cycle, date out of range)."""


class DerivationCycleError(DerivationError):
    """Derived events that derive from each other; ``cycle`` lists the keys, first repeated last."""

    def __init__(self, cycle: tuple[str, ...]) -> None:
        self.cycle = cycle
        super().__init__("derived events form a cycle: " + " -> ".join(cycle))


@dataclass(frozen=True)
class PlainEvent:
    """An event with its own status and (for occurred/expected) date and precision."""
    status: str
    on: date | None = None
    precision: str = "day"
    jurisdiction: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class DerivedEvent:
    """An event dated ``offset`` ``unit`` after (negative: before) the event keyed ``base``.

    ``base`` is the JSON ``from``. ``calendar`` names the holiday calendar for
    business days; without it, the base event's jurisdiction, else ``US``.
    """
    base: str
    offset: int
    unit: str = "days"
    calendar: str | None = None
    jurisdiction: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class ResolvedEvent:
    """An event's effective status, exact date and precision after derivation.

    ``on`` is the window start for a plain event and the computed day for a
    derived one; ``precision`` is the precision of the estimate it rests on.
    ``chain`` holds the keys from this event to its root (just ``(key,)`` for a
    plain event).
    """
    key: str
    status: str
    on: date | None
    precision: str
    jurisdiction: str | None
    title: str
    derivation: DerivedEvent | None
    chain: tuple[str, ...]

    @property
    def state(self) -> str:
        """The due state a deadline on this very day would have."""
        if self.status == EventStatus.WITHDRAWN:
            return DueState.VOID
        if self.on is None:
            return DueState.UNDATED
        return DueState.FIRM if self.status == EventStatus.OCCURRED else DueState.PROJECTED

    @property
    def anchor(self) -> Anchor:
        """An engine Anchor for this event (for wording and calendar choice).

        Its precision is the carried one; for date arithmetic use ``due_from_event``.
        """
        return Anchor(self.status, self.on, self.precision, self.jurisdiction)


Event = PlainEvent | DerivedEvent


def _order(events: Mapping[str, Event]) -> list[str]:
    # Iterative depth-first search, so chains of any length resolve without
    # hitting Python's recursion limit; a key met again while still on the
    # path closes a cycle.
    order: list[str] = []
    done: set[str] = set()
    for start in events:
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        key: str | None = start
        while key is not None and key not in done:
            if key in on_path:
                raise DerivationCycleError(tuple(path[path.index(key):]) + (key,))
            event = events.get(key)
            if event is None:
                raise DerivationError(f"event {path[-1]!r} derives from unknown event {key!r}")
            path.append(key)
            on_path.add(key)
            key = event.base if isinstance(event, DerivedEvent) else None
        order.extend(reversed(path))
        done.update(path)
    return order


def find_cycle(events: Mapping[str, Event]) -> tuple[str, ...] | None:
    """The first cycle among ``events`` (keys, first repeated last), or None."""
    try:
        _order(events)
    except DerivationCycleError as exc:
        return exc.cycle
    except DerivationError:
        return None
    return None


def _resolve_plain(key: str, event: PlainEvent) -> ResolvedEvent:
    status = EventStatus(event.status)
    on: date | None = None
    if status in (EventStatus.OCCURRED, EventStatus.EXPECTED) and event.on is not None:
        on = partial_from(event.on, event.precision).first
    return ResolvedEvent(key, status, on, event.precision, event.jurisdiction,
                         event.title or key, None, (key,))


def _resolve_derived(key: str, event: DerivedEvent, base: ResolvedEvent) -> ResolvedEvent:
    on: date | None = None
    if base.on is not None and base.status in (EventStatus.OCCURRED, EventStatus.EXPECTED):
        calendar = event.calendar or business_calendar_for(DeadlineRule("relative"), base.anchor)
        try:
            on = add_offset(base.on, event.offset, event.unit, calendar)
        except (TypeError, ValueError) as exc:
            raise DerivationError(f"event {key!r}: {exc}") from None
    return ResolvedEvent(key, base.status, on, base.precision, event.jurisdiction or base.jurisdiction,
                         event.title or key, event, (key,) + base.chain)


def resolve_events(events: Mapping[str, Event]) -> dict[str, ResolvedEvent]:
    """Resolve every event of ``events`` (keyed by event key), roots first.

    The result is in topological order: an event comes after the one it
    derives from. Raises DerivationCycleError (a ValueError) naming the cycle,
    and DerivationError for a reference to an unknown key or a date that
    leaves the supported range.
    """
    resolved: dict[str, ResolvedEvent] = {}
    for key in _order(events):
        event = events[key]
        if isinstance(event, DerivedEvent):
            resolved[key] = _resolve_derived(key, event, resolved[event.base])
        else:
            try:
                resolved[key] = _resolve_plain(key, event)
            except ValueError as exc:
                raise DerivationError(f"event {key!r}: {exc}") from None
    return resolved


def due_from_event(rule: DeadlineRule, event: ResolvedEvent) -> Due:
    """Compute a relative rule counted from a resolved (plain or derived) event.

    Same as ``compute_due`` for a plain event; for a derived event the count
    starts at its exact day, and the estimate's precision is carried over.
    """
    if event.derivation is None:
        return compute_due(rule, event.anchor)
    exact = Anchor(event.status, event.on, "day", event.jurisdiction)
    due = compute_due(rule, exact)
    return dataclasses.replace(due, precision=event.precision) if due.date is not None else due


def _when(event: ResolvedEvent) -> str:
    if event.status == EventStatus.WITHDRAWN:
        return "withdrawn"
    if event.on is None:
        return "not yet dated"
    return f"{event.status} {partial_from(event.on, event.precision).label()}"


def _step_phrase(event: ResolvedEvent, resolved: Mapping[str, ResolvedEvent]) -> str:
    spec = event.derivation
    assert spec is not None
    base = resolved[spec.base]
    calendar = spec.calendar or business_calendar_for(DeadlineRule("relative"), base.anchor)
    return offset_phrase(spec.offset, spec.unit, base.title, calendar)


def describe_chain(key: str, resolved: Mapping[str, ResolvedEvent]) -> str:
    """A derived event's date in words, through its whole chain.

    ``90 days after Chip Security Act enacted (expected January 2027) = 2027-04-01, projected``;
    a longer chain reads ``30 days after Act takes effect, which is 90 days after ...``.
    A plain event reads ``Chip Security Act enacted: expected January 2027``.
    """
    event = resolved[key]
    root = resolved[event.chain[-1]]
    if event.derivation is None:
        return f"{event.title}: {_when(event)}"
    steps = [_step_phrase(resolved[k], resolved) for k in event.chain[:-1]]
    phrase = ", which is ".join(steps) + f" ({_when(root)})"
    if event.status == EventStatus.WITHDRAWN:
        return f"{phrase} — void: {root.title} was withdrawn"
    if event.on is None:
        return f"{phrase} — undated until {root.title} gets a date"
    return f"{phrase} = {event.on.isoformat()}, {event.state}"


def _state_text(event: ResolvedEvent | None) -> str:
    if event is None:
        return "none"
    if event.on is None:
        return str(event.state)
    return f"{event.state} {event.on.isoformat()}"


def describe_moves(before: Mapping[str, ResolvedEvent], after: Mapping[str, ResolvedEvent]) -> list[str]:
    """One line per derived event whose date or state changed, in chain order.

    ``Act takes effect (90 days after Chip Security Act enacted): projected 2027-04-01 -> firm 2027-03-03``.
    """
    lines = []
    for key, new in after.items():
        old = before.get(key)
        if new.derivation is None or (old is not None and (old.on, old.state) == (new.on, new.state)):
            continue
        phrase = _step_phrase(new, after)
        lines.append(f"{new.title} ({phrase}): {_state_text(old)} -> {_state_text(new)}")
    return lines
