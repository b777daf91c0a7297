"""What a poll's observations propose (pure: no Flask, no database).

Given what a watch fetched, what it saw before, how its stages map to the
source's events and what those events say now, `plan_proposals` returns the
changes to propose: record an event as occurred on the observed date, move its
estimate (a date still ahead), withdraw it (a veto of the bill it waits for), or
take its date away (an effective date "delayed indefinitely").

Rules (docs/watches.md, "Proposals"):
- one proposal per happening and change: an occurrence (stage, chamber), its date,
  the event and the proposed status. Once proposed (then accepted, rejected or
  superseded) it is never proposed again, even when a better source reports the
  same happening with other identifiers;
- nothing is proposed that the event already says;
- two reports of one occurrence on different dates disagree: each is a conflict
  naming the other, unless one replaces the other (`supersedes`, a Federal
  Register delay or correction); a report that disagrees with a date the event
  is recorded as having occurred on is a conflict too. Conflicts are never applied
  automatically.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from tracker.watches.providers.base import SUPERSEDES, Observation, occurrence

# A veto is recorded on the event mapped to `vetoed`, and withdraws the event
# mapped to `enacted` (an override, if it comes, is observed as an enactment).
WITHDRAWN_BY = {"vetoed": "enacted"}


@dataclass(frozen=True)
class EventState:
    """What an event says now."""

    id: int
    status: str
    on: date | None


@dataclass(frozen=True)
class Planned:
    """One proposal to make: change `event_id` to `status` on `on`, because of `observation`."""

    observation: Observation
    event_id: int
    status: str
    on: date | None
    conflicts_with: str = ""
    conflict_fingerprint: str | None = None

    @property
    def key(self) -> tuple:
        return decision_key(self.observation, self.event_id, self.status)


def decision_key(observation: Observation, event_id: int, status: str) -> tuple:
    """What makes two proposals the same: happening, date, event and proposed status."""
    return (occurrence(observation), observation.on, event_id, status)


def _superseded(observations: Iterable[Observation]) -> set[tuple[str, str]]:
    """(occurrence, document) pairs whose value a later document replaced."""
    return {(occurrence(o), o.identifiers[SUPERSEDES]) for o in observations if o.identifiers.get(SUPERSEDES)}


def is_superseded(observation: Observation, superseded: set[tuple[str, str]]) -> bool:
    document = observation.identifiers.get("document")
    return document is not None and (occurrence(observation), document) in superseded


def status_for(on: date | None, today: date) -> str:
    """Occurred when the date has come, expected while it is ahead, undated without one."""
    if on is None:
        return "speculative"
    return "occurred" if on <= today else "expected"


def _changes(observation: Observation, stages: Mapping[str, int], today: date) -> list[tuple[int, str, date | None]]:
    changes = []
    event_id = stages.get(observation.stage)
    if event_id is not None:
        changes.append((event_id, status_for(observation.on, today), observation.on))
    withdrawn = stages.get(WITHDRAWN_BY.get(observation.stage, ""))
    if withdrawn is not None and observation.on is not None:
        changes.append((withdrawn, "withdrawn", None))
    return changes


def _already_says(event: EventState, status: str, on: date | None) -> bool:
    if status == "withdrawn":
        return event.status in ("withdrawn", "occurred")
    if status == "speculative":
        return event.status != "expected"  # only an estimate can be taken away
    return event.status == status and event.on == on


def _conflict(observation: Observation, event: EventState, status: str, others: list[Observation],
              label: str) -> tuple[str, str | None]:
    """The words for what this observation disagrees with, and the other report's fingerprint."""
    if status == "withdrawn":
        return "", None
    for other in others:
        if other.on is not None and other.on != observation.on:
            return (f"{label} also reported {other.stage.replace('_', ' ')} on {other.on.isoformat()}: "
                    f"“{other.text}”"), other.fingerprint()
    if event.status == "occurred" and observation.on is not None and event.on != observation.on:
        return f"the event is recorded as occurred on {event.on.isoformat() if event.on else 'no date'}", None
    return "", None


def plan_proposals(
    fetched: list[Observation],
    known: Iterable[Observation],
    stages: Mapping[str, int],
    events: Mapping[int, EventState],
    decided: set[tuple],
    today: date,
    label: str,
) -> list[Planned]:
    """The proposals `fetched` makes, given the observations `known` from earlier polls.

    `decided` holds the decision keys of every proposal made before (any status).
    """
    everything = {o.fingerprint(): o for o in known}
    everything.update((o.fingerprint(), o) for o in fetched)
    superseded = _superseded(everything.values())
    live = [o for o in everything.values() if not is_superseded(o, superseded)]
    by_occurrence: dict[str, list[Observation]] = {}
    for observation in live:
        by_occurrence.setdefault(occurrence(observation), []).append(observation)
    planned: list[Planned] = []
    occurred: dict[int, Planned] = {}  # the first occurrence planned for each event in this poll
    seen = set(decided)
    for observation in fetched:
        if is_superseded(observation, superseded):
            continue
        for event_id, status, on in _changes(observation, stages, today):
            event = events.get(event_id)
            key = decision_key(observation, event_id, status)
            if event is None or key in seen or _already_says(event, status, on):
                continue
            seen.add(key)
            others = [o for o in by_occurrence.get(occurrence(observation), ()) if o is not observation]
            conflicts_with, fingerprint = _conflict(observation, event, status, others, label)
            first = occurred.get(event_id)
            if not conflicts_with and status == "occurred" and first is not None and first.on != on:
                # Two happenings (the House's and the Senate's committee) mapped to one event.
                conflicts_with = (f"{label} also reported {first.observation.stage.replace('_', ' ')} on "
                                  f"{first.on.isoformat()} for this event: “{first.observation.text}”")
                fingerprint = first.observation.fingerprint()
            plan = Planned(observation, event_id, status, on, conflicts_with, fingerprint)
            if status == "occurred":
                occurred.setdefault(event_id, plan)
            planned.append(plan)
    return planned
