"""Building a feed: from the cache when unchanged, else from cached fragments.

Three cache levels (all in tracker.feeds.cache):
- whole feeds, keyed on (scope, options, UTC date, content version): an
  unchanged feed is answered without loading a single obligation row;
- per-row plans (which VEVENTs a row contributes), keyed on (id, revision,
  updated_at, date);
- per-VEVENT fragments (serialized bytes), keyed on (id, occurrence, phase,
  SEQUENCE, updated_at, source events' last change): after one obligation
  changes, only its events are serialized again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from tracker.clock import utcnow
from tracker.deadlines import partial_from
from tracker.feeds import scope as scopes
from tracker.feeds.cache import caches
from tracker.feeds.items import PAST_DAYS, build_spec, load_details, plan_row, window_start
from tracker.feeds.scope import FeedScope, midnight
from tracker.feeds.sequence import cancelled_since, flips_for, record_flips, stored_states
from tracker.ical import VEventSpec, calendar_bytes, calendar_header, vevent_bytes
from tracker.ical_ids import event_uid

EVENT_STATUS = {"occurred": "CONFIRMED", "expected": "TENTATIVE", "withdrawn": "CANCELLED"}


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str              # strong, quoted, a hash of the bytes
    last_modified: datetime


def get_feed(scope: FeedScope, *, include_events: bool = False, now: datetime | None = None) -> RenderedFeed:
    """The feed's bytes, ETag and Last-Modified; rendered only when its content changed."""
    now = now or utcnow()
    today = now.date()
    version = scopes.content_version(scope)
    key = (scope.key, scope.name, scope.team_ids, include_events, today, version)
    cached = caches().feeds.get(key)
    if cached is not None:
        return cached
    feed = render(scope, include_events=include_events, today=today, version=version)
    caches().feeds.put(key, feed)
    return feed


def _plans(rows, today: date) -> dict:
    plan_cache = caches().plans
    plans = {}
    for row in rows:
        key = (row.id, row.revision, row.updated_at, row.status, row.due_state, row.deleted_at, row.completed_through,
               row.status_changed_at, today)
        plan = plan_cache.get(key)
        if plan is None:
            plan = plan_row(row, today)
            plan_cache.put(key, plan)
        plans[row.id] = plan
    return plans


def _sequences(scope: FeedScope, rows) -> dict[int, int]:
    """SEQUENCE per obligation id; records cancel/reopen flips the feeds see now."""
    stored = stored_states(query_ids=scopes.scope_ids(scope))
    sequences, flipped = {}, {}
    for row in rows:
        cancelled = cancelled_since(row) is not None
        state = stored.get(row.id)
        flips = flips_for(cancelled, state)
        if state is None and cancelled or state is not None and state[0] != cancelled:
            flipped[row.id] = (cancelled, state)
        sequences[row.id] = row.revision + flips
    record_flips(flipped)
    return sequences


def _obligation_fragments(scope: FeedScope, rows, plans, event_versions, today: date) -> list[tuple]:
    fragment_cache = caches().fragments
    sequences = _sequences(scope, rows)
    start = window_start(today)
    names = scopes.team_names(scope)
    found, missing = [], []
    for row in rows:
        for item in plans[row.id].items:
            key = ("obligation", row.id, item.occurrence, item.day, item.phase, sequences[row.id],
                   row.updated_at, row.title, row.status, names.get(row.team_id), event_versions.get(row.id))
            fragment = fragment_cache.get(key)
            if fragment is None:
                missing.append((key, row, item))
            else:
                found.append(fragment)
    details = load_details(sorted({row.id for _, row, _ in missing}))
    for key, row, item in missing:
        spec = build_spec(details[row.id], item, sequences[row.id])
        if spec is None or spec.day < start:
            fragment = (date.min, row.id, b"")
        else:
            fragment = (spec.day, row.id, vevent_bytes(spec))
        fragment_cache.put(key, fragment)
        found.append(fragment)
    return found


def _event_fragments(scope: FeedScope, today: date) -> list[tuple]:
    fragment_cache = caches().fragments
    fragments = []
    for event in scopes.source_events(scope, today):
        key = ("event", event.id, event.updated_at)
        fragment = fragment_cache.get(key)
        if fragment is None:
            on = event.occurred_on if event.status == "occurred" else event.expected_on
            label = partial_from(on, event.precision).label()
            summary = f"{event.source}: {event.title}" + (f" ({event.status} {label})" if event.status != "occurred" else "")
            spec = VEventSpec(uid=event_uid(event.id), day=on, summary=summary,
                              description=f"Source event, {event.status} {label}.\nSource: {event.source}",
                              status=EVENT_STATUS[event.status], sequence=0, stamp=event.updated_at,
                              created=event.created_at)
            fragment = (on, -event.id, vevent_bytes(spec))
            fragment_cache.put(key, fragment)
        fragments.append(fragment)
    return fragments


def _description(scope: FeedScope, rows, plans) -> str:
    waiting = [row.title for row in rows if plans[row.id].waiting]
    text = f"{scope.name}, from the compliance deadline tracker. Deadlines of the past {PAST_DAYS} days and ahead."
    if waiting:
        text += "\nWaiting for a date (undated, not shown as events):\n" + "\n".join(f"- {t}" for t in sorted(waiting))
    return text


def render(scope: FeedScope, *, include_events: bool, today: date, version: tuple) -> RenderedFeed:
    """Render the feed from cached fragments, serializing only what changed."""
    rows = scopes.light_rows(scope, today)
    plans = _plans(rows, today)
    event_versions = scopes.event_versions(scope)
    fragments = _obligation_fragments(scope, rows, plans, event_versions, today)
    if include_events:
        fragments += _event_fragments(scope, today)
    fragments.sort(key=lambda fragment: (fragment[0], fragment[1]))
    header = calendar_header(scope.name, _description(scope, rows, plans))
    body = calendar_bytes(header, [fragment[2] for fragment in fragments if fragment[2]])
    etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    return RenderedFeed(body, etag, _last_modified(scope, plans, event_versions, today, version))


def _last_modified(scope: FeedScope, plans, event_versions, today: date, version: tuple) -> datetime:
    """The latest change in scope, or the latest moment something left the feed."""
    moments = [moment for moment in (*version[1:5], *event_versions.values()) if moment]
    left = [plan.left_on for plan in plans.values() if plan.left_on and plan.left_on <= today]
    departed = scopes.departed_before(scope, today)
    if departed and departed <= today:
        left.append(departed)
    moments += [midnight(day) for day in left]
    latest = max(moments) if moments else midnight(date(2000, 1, 1))
    return latest.replace(microsecond=0)
