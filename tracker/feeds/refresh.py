"""Rendering feeds off the request path: after a commit that changes them, and by a job.

A commit that changes what feeds show (an obligation, a source event, a
source, a team, a user's teams) bumps their content version. The committing
process notices it (session events record which teams the flush touched) and,
after the commit, hands those teams to its `FeedRefresher`: a background thread
that renders the subscribed feeds of those teams (team feeds and the personal
feeds of their members) and stores their bodies. The next fetch, on any worker,
is then served from the stored body like any other. The refresher uses the
fetch's own path (`feed_for`): a version already stored costs a few queries, a
version another process is rendering is waited for (tracker.feeds.claims).

Changes made by a process without a refresher (CLI commands such as
import-pack) and days on which the date alone changes a feed are caught by
`refresh_subscribed_feeds`, run by the scheduler (tracker.jobs.feed_refresh).
Whatever is missed is rendered by the first fetch, once per version across the
deployment.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from itertools import chain

from flask import Flask, current_app
from sqlalchemy import event, inspect, or_, select
from sqlalchemy.orm import Session

from tracker.db import db
from tracker.feeds.scope import FeedScope, scope_for
from tracker.models import Event, FeedBody, FeedToken, Obligation, Source, Team, User, team_members

log = logging.getLogger(__name__)

EVERY_TEAM = "*"
# Tables whose bulk writes (UPDATE/DELETE statements, not ORM objects) may change any feed.
FEED_TABLES = frozenset({"obligations", "events", "sources", "obligation_events", "teams"})
DEBOUNCE_SECONDS = 0.01  # commits of one burst (an import, a recompute) arriving meanwhile share one refresh
_TOUCHED = "feeds_touched"


def subscribed_scopes(team_ids=EVERY_TEAM, user_ids=()) -> list[FeedScope]:
    """The feeds with an active token that cover one of `team_ids` (every team: EVERY_TEAM),
    and the personal feeds of `user_ids`."""
    query = select(FeedToken).where(FeedToken.revoked_at.is_(None)).order_by(FeedToken.id)
    if team_ids != EVERY_TEAM:
        members = select(team_members.c.user_id).where(team_members.c.team_id.in_(team_ids))
        query = query.where(or_(FeedToken.team_id.in_(team_ids), FeedToken.user_id.in_(members),
                                FeedToken.user_id.in_(list(user_ids))))
    scopes = {}
    for row in db.session.scalars(query):
        scope = scope_for(row)
        if scope is not None:
            scopes[scope.key] = scope
    return list(scopes.values())


def refresh_scope(scope: FeedScope, now: datetime | None = None) -> int:
    """Make sure the stored bodies of `scope`'s feeds are the current version: how many were rendered.

    The plain feed always; the `?events=1` variant when someone fetched it
    before (it has a stored body).
    """
    from tracker.feeds.render import feed_for, feed_key, has_stored

    variants = [False]
    if db.session.scalar(select(FeedBody.id).where(FeedBody.scope_key == scope.key, FeedBody.variant == "events")):
        variants.append(True)
    rendered = 0
    for include_events in variants:
        key = feed_key(scope, include_events=include_events, now=now)
        if not has_stored(key):
            feed_for(key)
            rendered += 1
        db.session.commit()
    return rendered


def refresh_subscribed_feeds(team_ids=EVERY_TEAM, user_ids=(), now: datetime | None = None) -> tuple[int, int]:
    """Refresh every subscribed feed of `team_ids` (and `user_ids`): (feeds checked, bodies rendered).

    A feed that fails is logged and skipped; its next fetch renders it.
    """
    scopes = subscribed_scopes(team_ids, user_ids)
    db.session.commit()
    rendered = 0
    for scope in scopes:
        try:
            rendered += refresh_scope(scope, now)
        except Exception:  # noqa: BLE001 - one feed must not stop the others
            log.exception("feed refresh failed for %s", scope.key)
            db.session.rollback()
    return len(scopes), rendered


class FeedRefresher:
    """A background thread that renders the feeds of teams changed by this process's commits."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._teams: set = set()
        self._users: set = set()
        self._every = False
        self._busy = False
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def notify(self, teams: set, users: set, every: bool) -> None:
        """Refresh the feeds of `teams` and `users` (every feed if `every`) soon."""
        with self._wake:
            self._teams |= teams
            self._users |= users
            self._every = self._every or every
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="feed-refresher", daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def _pending(self) -> bool:
        return bool(self._teams or self._users or self._every)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending():
                    self._wake.wait()
                self._busy = True
            threading.Event().wait(DEBOUNCE_SECONDS)
            with self._wake:
                teams, users, every = self._teams, self._users, self._every
                self._teams, self._users, self._every = set(), set(), False
            try:
                with self.app.app_context():
                    try:
                        refresh_subscribed_feeds(EVERY_TEAM if every else teams, users)
                    finally:
                        db.session.remove()
            except Exception:  # noqa: BLE001 - the thread must live on; a fetch renders what was missed
                log.exception("feed refresh failed")
            with self._wake:
                self._busy = self._pending()
                self._wake.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is pending or being rendered (for tests and benchmarks)."""
        with self._wake:
            return self._wake.wait_for(lambda: not self._busy and not self._pending(), timeout)


def refresher(app: Flask) -> FeedRefresher:
    """The app's refresher (created on first use)."""
    found = app.extensions.get("feed_refresher")
    if found is None:
        found = app.extensions.setdefault("feed_refresher", FeedRefresher(app))
    return found


def _touched(session: Session) -> dict:
    return session.info.setdefault(_TOUCHED, {"teams": set(), "users": set(), "every": False})


def _note_flush(session: Session, flush_context) -> None:
    """After a flush (the session still lists what it wrote): the teams whose feeds it changed."""
    touched = None
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Obligation):
            touched = touched or _touched(session)
            # Read from the loaded state only: no SQL inside a flush. Unknown team: every feed.
            state = inspect(obj)
            team_id = state.dict.get("team_id")
            if team_id is None:
                touched["every"] = True
            touched["teams"].add(team_id)
            touched["teams"].update(state.attrs.team_id.history.deleted or ())
        elif isinstance(obj, (Event, Source)):
            touched = touched or _touched(session)
            touched["every"] = True
        elif isinstance(obj, Team) and obj.id is not None:
            touched = touched or _touched(session)
            touched["teams"].add(obj.id)
        elif isinstance(obj, User) and obj.id is not None:
            touched = touched or _touched(session)
            touched["users"].add(obj.id)


def _note_statement(state) -> None:
    """A bulk UPDATE or DELETE of a table feeds read may change any feed."""
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in FEED_TABLES:
            _touched(state.session)["every"] = True


def _after_commit(session: Session) -> None:
    touched = session.info.pop(_TOUCHED, None)
    if touched is None:
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:  # a session used outside any app context: nothing to refresh for
        return
    if app.config.get("TRACKER_FEED_PRERENDER"):
        touched["teams"].discard(None)
        refresher(app).notify(touched["teams"], touched["users"], touched["every"])


def _after_rollback(session: Session) -> None:
    session.info.pop(_TOUCHED, None)


def install(app: Flask, *, serving: bool) -> None:
    """Listen to every session's flushes and commits (idempotent); decide whether this app prerenders.

    `TRACKER_FEED_PRERENDER` defaults to on in a process that serves requests
    (`serving`: gunicorn, `flask run`) and off in tests and other CLI commands.
    """
    app.config.setdefault("TRACKER_FEED_PRERENDER", serving and not app.testing)
    if not event.contains(Session, "after_flush", _note_flush):
        event.listen(Session, "after_flush", _note_flush)
        event.listen(Session, "do_orm_execute", _note_statement)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)

