"""Building a feed: from the cache when unchanged, else from cached fragments.

Cache levels:
- bodies (the compressed bytes of each feed's current content version) in the
  database (`feed_bodies`), so an unconditional fetch of unchanged content is
  answered without rendering by any worker, even after a restart;
- validators (ETag, Last-Modified) per content version, in memory and in the
  database (`feed_validators`), so a conditional request is answered with 304
  without rendering, by any worker, even after a restart;
- whole feeds, keyed on (scope, options, content version): an unchanged feed
  is answered without loading a single obligation row;
- per-row plans (which VEVENTs a row contributes), keyed on the row's version
  and the date;
- per-row fragments (its serialized VEVENTs), keyed on the row's version, its
  plan, SEQUENCE and the last change of its source events: after one
  obligation changes, only its events are serialized again.

The date matters too: events leave the window, cancelled ones expire, the
next occurrence of a recurring rule comes into view. A render therefore
records the range of days it stays right for ([valid_from, valid_until)),
computed from its rows, and the caches honour it.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from tracker.clock import utcnow
from tracker.db import db
from tracker.deadlines import partial_from
from tracker.feeds import claims
from tracker.feeds import scope as scopes
from tracker.feeds.cache import caches
from tracker.operations import metrics
from tracker.feeds.items import PAST_DAYS, build_spec, leaves_on, load_details, plan_row, window_start
from tracker.feeds.scope import FeedScope, midnight, scope_today
from tracker.feeds.sequence import cancelled_since, flips_for, record_flips, stored_states
from tracker.feeds.ical import VEventSpec, calendar_bytes, calendar_header, vevent_bytes
from tracker.feeds.uids import event_uid
from tracker.models.register import ACTIVE_STATUSES
from tracker.register.estimates import estimate_ends
from tracker.register.queries import event_date_column
from tracker.models import FeedBody, FeedValidator
from tracker.txn import insert_ignoring, is_sqlite

EVENT_STATUS = {"occurred": "CONFIRMED", "expected": "TENTATIVE", "withdrawn": "CANCELLED"}
# Part of every content version: change it whenever the bytes a version renders to change
# (the text of events, the window, the properties), so stored ETags of old renders are not reused.
RENDER_FORMAT = "feeds-3"
LONGEST_VALIDITY = timedelta(days=366)
# zlib level 1: a 1.1 MB feed shrinks 15x (to ~75 KB) in ~3 ms; level 6 saves another fifth
# for more than twice the time, paid on every render.
BODY_COMPRESSION = 1
WAITING_LISTED = 25  # undated obligations named in the calendar description


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str              # strong, quoted, a hash of the bytes
    last_modified: datetime
    valid_from: date
    valid_until: date      # exclusive: the first day the date alone may change the bytes


@dataclass(frozen=True)
class Validator:
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class FeedKey:
    """What a feed's bytes depend on: scope, options, content version and the day."""

    scope: FeedScope
    include_events: bool
    today: date
    version: str
    latest_changes: tuple = field(default=(), compare=False)  # of the obligations in scope (Last-Modified)

    @property
    def variant(self) -> str:
        return "events" if self.include_events else "plain"

    @property
    def cache_key(self) -> tuple:
        return (self.scope.key, self.variant, self.version)


def feed_key(scope: FeedScope, *, include_events: bool = False, now: datetime | None = None) -> FeedKey:
    """The key of the feed as it is now: a few aggregate queries, no rendering."""
    content = scopes.content_version(scope)
    parts = (RENDER_FORMAT, current_app.config["TRACKER_BASE_URL"], scope.key, scope.name, scope.team_ids,
             include_events, content)
    version = hashlib.sha256(repr(parts).encode()).hexdigest()
    return FeedKey(scope, include_events, scope_today(scope, now or utcnow()), version,
                   scopes.latest_changes_in(content))


def _valid(feed: RenderedFeed, today: date) -> bool:
    return feed.valid_from <= today < feed.valid_until


def validator_for(key: FeedKey) -> Validator | None:
    """The ETag and Last-Modified of the feed at `key` when known without rendering."""
    cached = caches().feeds.get(key.cache_key)
    if cached is not None and _valid(cached, key.today):
        return Validator(cached.etag, cached.last_modified)
    row = db.session.execute(
        select(FeedValidator.etag, FeedValidator.last_modified)
        .where(FeedValidator.scope_key == key.scope.key, FeedValidator.variant == key.variant,
               FeedValidator.version == key.version, FeedValidator.valid_from <= key.today,
               FeedValidator.valid_until > key.today)
        .order_by(FeedValidator.valid_from.desc()).limit(1)).first()
    return Validator(row.etag, row.last_modified) if row else None


def feed_for(key: FeedKey) -> RenderedFeed:
    """The feed at `key`: from the cache, else from the stored body, else rendered (and kept).

    One render per feed and content version at a time in a process: a fetch
    that finds another thread rendering the same version waits for it (with
    its read transaction ended, so it holds no snapshot meanwhile) and serves
    the same bytes. Never a stale body: what is served is the version the
    request computed.
    """
    cached = _cached(key)
    if cached is not None:
        metrics.feed_fetch("cached")
        return cached
    with caches().renders.hold(key.cache_key, before_waiting=db.session.commit):
        cached = _cached(key)  # rendered by the thread we waited for
        if cached is not None:
            metrics.feed_fetch("cached")
            return cached
        feed, result = stored_feed(key), "stored"
        if feed is None:
            feed, result = _render_once(key), "rendered"
        metrics.feed_fetch(result)
        caches().feeds.put(key.cache_key, feed)
        return feed


def _render_once(key: FeedKey) -> RenderedFeed:
    """Render and store the feed at `key`, unless another process is rendering it: then its body.

    Once per content version across the deployment (tracker.feeds.claims); a
    claim that ends without a body, or a wait as long as the lease, costs one
    render here, never a failed fetch.
    """
    token = claims.claim(key.scope.key, key.variant, key.version)
    if token is None:
        feed = claims.wait_for(key.scope.key, key.variant, key.version, lambda: stored_feed(key))
        if feed is not None:
            return feed
        token = claims.claim(key.scope.key, key.variant, key.version)
    feed = stored_feed(key)  # stored by another process between our look and our claim
    if feed is None:
        started = time.perf_counter()
        feed = render(key)
        metrics.feed_rendered(time.perf_counter() - started)
        _store(key, feed, token)
    elif token is not None:
        claims.release_now(key.scope.key, key.variant, token)
    return feed


def _cached(key: FeedKey) -> RenderedFeed | None:
    cached = caches().feeds.get(key.cache_key)
    return cached if cached is not None and _valid(cached, key.today) else None


def get_feed(scope: FeedScope, *, include_events: bool = False, now: datetime | None = None) -> RenderedFeed:
    """The feed's bytes, ETag and Last-Modified; rendered only when its content changed."""
    return feed_for(feed_key(scope, include_events=include_events, now=now))


def stored_feed(key: FeedKey) -> RenderedFeed | None:
    """The feed at `key` from `feed_bodies`, when a worker rendered this content version already.

    The bytes are checked against their ETag (a hash of them), so a damaged row
    costs a render, never a wrong answer.
    """
    try:
        row = db.session.execute(
            select(FeedBody.body, FeedBody.etag, FeedBody.last_modified, FeedBody.valid_from, FeedBody.valid_until)
            .where(FeedBody.scope_key == key.scope.key, FeedBody.variant == key.variant,
                   FeedBody.version == key.version, FeedBody.valid_from <= key.today,
                   FeedBody.valid_until > key.today)).first()
    except SQLAlchemyError:  # e.g. a database not migrated yet: rendering still works
        db.session.rollback()
        return None
    if row is None:
        return None
    try:
        body = zlib.decompress(row.body)
    except zlib.error:
        return None
    if _etag(body) != row.etag:
        return None
    return RenderedFeed(body, row.etag, row.last_modified, row.valid_from, row.valid_until)


def has_stored(key: FeedKey) -> bool:
    """Whether `feed_bodies` holds the feed at `key` (without reading or checking the bytes)."""
    return db.session.scalar(
        select(FeedBody.id).where(FeedBody.scope_key == key.scope.key, FeedBody.variant == key.variant,
                                  FeedBody.version == key.version, FeedBody.valid_from <= key.today,
                                  FeedBody.valid_until > key.today)) is not None


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def _store(key: FeedKey, feed: RenderedFeed, claim: str | None = None) -> None:
    """Keep this render's validator and compressed body for other workers; drop outdated ones.

    Best effort: if a write loses a race or the database is busy, the only cost
    is that a later request renders once more. One body per scope and variant:
    a new render replaces the previous one. Ends our render claim, if any, in
    the same transaction.
    """
    now = utcnow()
    dialect = sqlite if is_sqlite() else postgresql
    validator = insert_ignoring(FeedValidator.__table__, ["scope_key", "variant", "version", "valid_from"]).values(
        scope_key=key.scope.key, variant=key.variant, version=key.version, valid_from=feed.valid_from,
        valid_until=feed.valid_until, etag=feed.etag, last_modified=feed.last_modified, created_at=now)
    stored = dict(version=key.version, valid_from=feed.valid_from, valid_until=feed.valid_until, etag=feed.etag,
                  last_modified=feed.last_modified, body=zlib.compress(feed.body, BODY_COMPRESSION), created_at=now)
    body = dialect.insert(FeedBody.__table__).values(scope_key=key.scope.key, variant=key.variant, **stored)
    body = body.on_conflict_do_update(index_elements=["scope_key", "variant"], set_=stored)
    try:
        db.session.execute(delete(FeedValidator).where(
            FeedValidator.scope_key == key.scope.key, FeedValidator.variant == key.variant,
            or_(FeedValidator.version != key.version, FeedValidator.valid_until <= key.today)))
        db.session.execute(validator)
        db.session.execute(body)
        if claim is not None:
            claims.release(key.scope.key, key.variant, claim)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        if claim is not None:
            claims.release_now(key.scope.key, key.variant, claim)


def _plans(rows, today: date) -> tuple[dict, dict]:
    """{id: RowPlan} for today and {id: the row's version} (what its events depend on)."""
    plan_cache = caches().plans
    plans, versions = {}, {}
    ends = estimate_ends(rows)  # when a projected deadline starts waiting on a stale estimate
    for row in rows:
        version = (row.id, row.revision, row.updated_at, row.due_changed_at, row.status_changed_at, row.deleted_at,
                   row.status, row.due_state, row.completed_through)
        plan = plan_cache.get((version, ends.get(row.id), today))
        if plan is None:
            plan = plan_row(row, today, ends.get(row.id))
            plan_cache.put((version, ends.get(row.id), today), plan)
        plans[row.id] = plan
        versions[row.id] = version
    return plans, versions


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


def _obligation_fragments(scope: FeedScope, rows, plans, versions, event_versions, today: date) -> list[tuple]:
    """(day, id, VEVENT bytes) of every event the rows show; serialized only for rows that changed."""
    fragment_cache = caches().fragments
    sequences = _sequences(scope, rows)
    names = scopes.team_names(scope)
    show_team = len(scope.team_ids) > 1
    found, missing = [], []
    for row in rows:
        items = plans[row.id].items
        if not items:
            continue
        key = ("obligation", versions[row.id], items, sequences[row.id], row.title,
               show_team and names.get(row.team_id), event_versions.get(row.id))
        fragments = fragment_cache.get(key)
        if fragments is None:
            missing.append((key, row, items))
        else:
            found.extend(fragments)
    details = load_details(sorted(row.id for _, row, _ in missing))
    for key, row, items in missing:
        fragments = []
        for item in items:
            spec = build_spec(details[row.id], item, sequences[row.id], show_team=show_team)
            if spec is not None:
                fragments.append((spec.day, row.id, vevent_bytes(spec)))
        fragment_cache.put(key, tuple(fragments))
        found.extend(fragments)
    # A void deadline's day comes from its history, so only its fragment knows when it leaves the window.
    # An open deadline stays however late (its plan kept it).
    start, owed = window_start(today), owed_ids(rows)
    return [fragment for fragment in found if fragment[0] >= start or fragment[1] in owed]


def _event_fragments(scope: FeedScope, today: date) -> list[tuple]:
    fragment_cache = caches().fragments
    fragments = []
    for event in scopes.source_events(scope, today):
        key = ("event", event.id, event.updated_at)
        fragment = fragment_cache.get(key)
        if fragment is None:
            on = getattr(event, event_date_column(event.status))
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
    waiting = sorted(row.title for row in rows if plans[row.id].waiting)
    text = (f"{scope.name}, from the compliance deadline tracker. Every open deadline however late, "
            f"and done, waived or cancelled ones of the past {PAST_DAYS} days, and everything ahead.")
    if waiting:
        text += "\nWaiting for a date (undated, not shown as events):\n" + "\n".join(
            f"- {title}" for title in waiting[:WAITING_LISTED])
        if len(waiting) > WAITING_LISTED:
            text += f"\n- and {len(waiting) - WAITING_LISTED} more (see the tracker)"
    return text


def render(key: FeedKey) -> RenderedFeed:
    """Render the feed from cached fragments, serializing only what changed."""
    scope, include_events, today = key.scope, key.include_events, key.today
    rows = scopes.light_rows(scope, today)
    plans, versions = _plans(rows, today)
    event_versions = scopes.event_versions(scope)
    fragments = _obligation_fragments(scope, rows, plans, versions, event_versions, today)
    if include_events:
        fragments += [fragment for fragment in _event_fragments(scope, today) if fragment[0] >= window_start(today)]
    fragments.sort(key=lambda fragment: (fragment[0], fragment[1]))
    header = calendar_header(scope.name, _description(scope, rows, plans))
    body = calendar_bytes(header, [fragment[2] for fragment in fragments])
    etag = _etag(body)
    last_modified = _last_modified(scope, key.latest_changes, plans, event_versions, today)
    return RenderedFeed(body, etag, last_modified, today, _valid_until(plans, fragments, today, owed_ids(rows)))


def owed_ids(rows) -> frozenset[int]:
    """The rows still owed (open or in progress, live): they never leave the feed."""
    return frozenset(row.id for row in rows if row.deleted_at is None and row.status in ACTIVE_STATUSES)


def _valid_until(plans, fragments, today: date, kept: frozenset[int] = frozenset()) -> date:
    """The first day after `today` on which the date alone may change the feed:
    an event leaves the window, a cancellation expires, a recurring rule's next
    occurrence comes into view. Until then the same content renders the same bytes."""
    days = [plan.changes_on for plan in plans.values() if plan.changes_on is not None]
    days += [leaves_on(fragment[0]) for fragment in fragments if fragment[1] not in kept]
    return max(min(days, default=today + LONGEST_VALIDITY), today + timedelta(days=1))


def _last_modified(scope: FeedScope, latest_changes: tuple, plans, event_versions, today: date) -> datetime:
    """The latest change in scope, or the latest moment something left the feed."""
    moments = [moment for moment in (*latest_changes, *event_versions.values()) if moment]
    left = [plan.left_on for plan in plans.values() if plan.left_on and plan.left_on <= today]
    departed = scopes.departed_before(scope, today)
    if departed and departed <= today:
        left.append(departed)
    moments += [scopes.day_start(scope, day) for day in left]
    latest = max(moments) if moments else midnight(date(2000, 1, 1))
    return latest.replace(microsecond=0)
