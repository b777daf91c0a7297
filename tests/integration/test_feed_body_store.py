"""The rendered body of a feed's current content version is kept in the database, so an
unconditional fetch of unchanged content is answered without rendering by any worker,
even right after a restart; a content change replaces it."""

from __future__ import annotations

import contextlib
import urllib.request
import zlib
from datetime import date, datetime, timezone

from sqlalchemy import event, select, update

from tests.factories import make_obligation, make_team
from tests.feed_checks import by_uid, parse_all
from tests.server_support import served
from tracker import create_app
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.feeds import tokens
from tracker.feeds.cache import caches
from tracker.feeds.uids import obligation_uid
from tracker.models import FeedBody
from tracker.register.obligations import set_status


def _path(team) -> str:
    return "/" + tokens.feed_url(tokens.ensure_token(team, SYSTEM)).split("/", 3)[3]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read(), dict(response.headers)


@contextlib.contextmanager
def _fresh_worker(app):
    """Another app on the same database, served over HTTP: another worker, or this one restarted.

    Yields (base URL, the new app, a list that counts its SQL statements)."""
    other = create_app(dict(app.config))
    statements = []
    with other.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with served(other, threaded=True) as base:
            yield base, other, statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)
        engine.dispose()


def _team_with_obligations(count: int = 30):
    team = make_team()
    obligations = [make_obligation(team=team, rule_date=date(2027, 1, 1 + i % 28)) for i in range(count)]
    return team, obligations


def test_a_fresh_worker_serves_an_unchanged_feed_from_the_stored_body(app, live_server, clock):
    team, _ = _team_with_obligations()
    path = _path(team)
    body, headers = _get(live_server + path)
    assert body.count(b"BEGIN:VEVENT") == 30

    with _fresh_worker(app) as (url, other, statements):
        again, again_headers = _get(url + path)
        assert again == body  # byte-identical
        assert again_headers["ETag"] == headers["ETag"]
        assert again_headers["Last-Modified"] == headers["Last-Modified"]
        with other.app_context():
            # Nothing was rendered: no row planned, no VEVENT serialized.
            assert len(caches().plans) == 0 and len(caches().fragments) == 0
        # Token, scope, content version and the stored body; no obligation rows were read.
        assert len(statements) <= 8, statements
        assert not any("FROM obligations" in s and "obligations.title" in s for s in statements)


def test_a_content_change_replaces_the_stored_body(app, live_server, clock):
    team, obligations = _team_with_obligations(5)
    path = _path(team)
    first, first_headers = _get(live_server + path)
    clock.move_to(datetime(2026, 11, 29, 13, tzinfo=timezone.utc))
    set_status(obligations[0], "waived", SYSTEM, note="Not our market")
    changed, changed_headers = _get(live_server + path)
    assert changed != first and changed_headers["ETag"] != first_headers["ETag"]

    # One body per scope and variant: the new render replaced the old one.
    rows = db.session.execute(select(FeedBody.scope_key, FeedBody.etag, FeedBody.body)).all()
    assert len(rows) == 1
    assert rows[0].etag == changed_headers["ETag"] and zlib.decompress(rows[0].body) == changed
    assert len(rows[0].body) < len(changed)  # kept compressed

    with _fresh_worker(app) as (url, other, _):
        served, served_headers = _get(url + path)
        assert served == changed and served_headers["ETag"] == changed_headers["ETag"]
        assert by_uid(parse_all(served))[obligation_uid(obligations[0].id)]["status"] == "CANCELLED"
        with other.app_context():
            assert len(caches().fragments) == 0


def test_a_damaged_stored_body_costs_a_render_not_a_wrong_answer(app, live_server, clock):
    team, _ = _team_with_obligations(5)
    path = _path(team)
    body, headers = _get(live_server + path)
    db.session.execute(update(FeedBody).values(body=zlib.compress(body.replace(b"CONFIRMED", b"TENTATIVE"))))
    db.session.commit()
    with _fresh_worker(app) as (url, other, _):
        served, served_headers = _get(url + path)
        assert served == body and served_headers["ETag"] == headers["ETag"]
        with other.app_context():
            assert len(caches().fragments) > 0  # rendered again
    db.session.execute(update(FeedBody).values(body=b"not zlib"))
    db.session.commit()
    with _fresh_worker(app) as (url, _, _):
        assert _get(url + path)[0] == body


def test_each_variant_keeps_its_own_body(app, live_server, clock):
    team, _ = _team_with_obligations(3)
    path = _path(team)
    plain, _ = _get(live_server + path)
    with_events, _ = _get(live_server + path + "?events=1")
    variants = dict(db.session.execute(select(FeedBody.variant, FeedBody.body)).all())
    assert zlib.decompress(variants["plain"]) == plain
    assert zlib.decompress(variants["events"]) == with_events


def test_the_start_up_warm_up_writes_nothing_and_tolerates_an_empty_database(app, tmp_path):
    from tracker.feeds.warmup import warm_up
    from tracker.models import AuditEntry, FeedValidator

    warm_up(app)  # on the migrated, empty test database
    assert db.session.scalar(select(FeedBody.id)) is None
    assert db.session.scalar(select(FeedValidator.id)) is None
    assert db.session.scalar(select(AuditEntry.id)) is None
    bare = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'bare.db'}"})
    warm_up(bare)  # no tables yet (before `flask db upgrade`): skipped, no error
