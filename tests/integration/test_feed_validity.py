"""A conditional fetch needs no rendering, on any worker and on any day the feed has not changed.

A render records the days it stays right for (events leave the window,
cancellations expire, the next occurrence of a recurring rule comes into view);
its ETag is kept in the database for other workers. These tests check both
claims against fresh renders.
"""

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from tests.factories import make_event, make_obligation, make_team
from tests.feed_checks import by_uid, feed_events, fetch_feed, parse_all
from tracker import create_app
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.register.events import EventDate, record_event_change
from tracker.feeds import tokens
from tracker.feeds.cache import caches
from tracker.feeds.render import get_feed
from tracker.feeds.scope import team_scope
from tracker.feeds.uids import obligation_uid
from tracker.models import FeedValidator
from tracker.register.obligations import delete_obligation, set_status


def _feed_path(team) -> str:
    return "/" + tokens.feed_url(tokens.ensure_token(team, SYSTEM)).split("/", 3)[3]


def _mixed_team():
    """A team with every kind of row whose feed changes as days pass."""
    team = make_team()
    make_obligation(team=team, rule_date=date(2026, 9, 5))    # leaves the window on 2026-12-05
    make_obligation(team=team, rule_date=date(2026, 12, 10))  # leaves in March 2027
    make_obligation(team=team, rule_date=date(2030, 1, 1))
    set_status(make_obligation(team=team, rule_date=date(2027, 2, 1)), "waived", SYSTEM, note="Out of scope")
    delete_obligation(make_obligation(team=team, rule_date=date(2027, 3, 1)), SYSTEM)
    make_obligation(team=team, rule="recurring", rule_date=date(2026, 11, 2), rule_rrule="FREQ=WEEKLY")
    monthly = make_obligation(team=team, rule="recurring", rule_date=date(2026, 10, 31), rule_rrule="FREQ=MONTHLY")
    set_status(monthly, "done", SYSTEM)
    make_obligation(team=team, rule="recurring", rule_date=date(2025, 6, 1), rule_rrule="FREQ=YEARLY;INTERVAL=2")
    expected = make_event(status="expected", on=date(2027, 1, 10), title="Rule published")
    make_obligation(team=team, rule="relative", anchor=expected, rule_offset=30)
    withdrawn = make_event(status="expected", on=date(2026, 12, 20), title="Bill introduced")
    make_obligation(team=team, rule="relative", anchor=withdrawn, rule_offset=10)
    record_event_change(withdrawn, EventDate("withdrawn", None, "day"), SYSTEM)  # void: cancelled
    return team


def test_a_render_stays_byte_identical_for_every_day_it_claims(client, clock):
    team = _mixed_team()
    scope = team_scope(team)
    for include_events in (False, True):
        current, ranges, unchanged = None, [], 0
        for offset in range(150):
            now = datetime(2026, 11, 29, 20, tzinfo=timezone.utc) + timedelta(days=offset)
            caches().clear()
            fresh = get_feed(scope, include_events=include_events, now=now)
            parse_all(fresh.body)
            if current is not None and fresh.valid_from < current.valid_until:
                assert fresh.body == current.body, f"day {fresh.valid_from} differs within {current.valid_from}.."
                assert fresh.last_modified == current.last_modified
                assert fresh.valid_until == current.valid_until
            else:
                unchanged += current is not None and fresh.body == current.body
                current = fresh
                ranges.append((fresh.valid_from, fresh.valid_until))
        # The claims are not needlessly short: most new ranges start with a real change.
        assert unchanged <= len(ranges) // 4, (unchanged, ranges)
        assert any(until - start > timedelta(days=5) for start, until in ranges), ranges


def test_the_feed_changes_on_the_day_its_render_said(client, clock):
    team = make_team()
    # Done: only done, waived and cancelled deadlines leave the window (open ones stay however late).
    set_status(make_obligation(team=team, rule_date=date(2026, 9, 5)), "done", SYSTEM)
    make_obligation(team=team, rule_date=date(2027, 6, 1))
    scope = team_scope(team)
    feed = get_feed(scope, now=datetime(2026, 11, 29, 20, tzinfo=timezone.utc))
    assert feed.valid_until == date(2026, 12, 5)  # 2026-09-05 + 91 days
    caches().clear()
    later = get_feed(scope, now=datetime(2026, 12, 5, 20, tzinfo=timezone.utc))
    assert later.body.count(b"BEGIN:VEVENT") == 1 and later.etag != feed.etag


def test_another_worker_answers_a_conditional_fetch_with_304_without_rendering(app, client, clock):
    team = make_team()
    obligation = make_obligation(team=team)
    path = _feed_path(team)
    first = client.get(path)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]

    # A second app on the same database: another worker, or this one after a restart.
    other = create_app(dict(app.config))
    try:
        with other.app_context():
            other_client = other.test_client()
            by_etag = other_client.get(path, headers={"If-None-Match": etag})
            by_date = other_client.get(path, headers={"If-Modified-Since": last_modified})
            assert by_etag.status_code == 304 and by_etag.headers["ETag"] == etag
            assert by_date.status_code == 304 and by_date.headers["ETag"] == etag
            # Nothing was rendered: no row was planned, no event serialized.
            assert len(caches().plans) == 0 and len(caches().fragments) == 0
            # Rendering is deterministic: the other worker's bytes are the same.
            again = other_client.get(path)
            assert again.data == first.data and again.headers["ETag"] == etag
            db.session.remove()
        clock.move_to(datetime(2026, 11, 29, 13, tzinfo=timezone.utc))
        set_status(obligation, "waived", SYSTEM, note="Not our market")
        with other.app_context():
            changed = other.test_client().get(path, headers={"If-None-Match": etag})
            assert changed.status_code == 200 and changed.headers["ETag"] != etag
            assert by_uid(parse_all(changed.data))[obligation_uid(obligation.id)]["status"] == "CANCELLED"
            db.session.remove()
    finally:
        with other.app_context():
            db.engine.dispose()


def test_only_the_current_validator_of_a_feed_is_kept(client, clock):
    team = make_team()
    obligation = make_obligation(team=team)
    fetch_feed(client, team)
    fetch_feed(client, team, query="?events=1")
    clock.move_to(datetime(2026, 11, 29, 13, tzinfo=timezone.utc))
    set_status(obligation, "in_progress", SYSTEM)
    latest = fetch_feed(client, team)
    rows = db.session.execute(select(FeedValidator.variant, FeedValidator.etag)).all()
    # The events variant keeps its (now outdated) row until it is fetched again; the plain one was replaced.
    assert sorted(variant for variant, _ in rows) == ["events", "plain"]
    assert dict(rows)["plain"] == latest.headers["ETag"]


def test_a_long_description_is_cut_to_an_excerpt_that_links_to_the_full_text(client, clock):
    team = make_team()
    description = "Vendors must certify model provenance. " * 40
    obligation = make_obligation(team=team, description=description)
    event = by_uid(feed_events(client, team))[obligation_uid(obligation.id)]
    text = event["description"]
    assert "Vendors must certify model provenance." in text and description.strip() not in text
    assert "\u2026" in text and len(text) < 600
    assert text.endswith(f"https://tracker.example.test/obligations/{obligation.id}")


def test_the_next_occurrence_shows_even_when_it_is_more_than_a_year_ahead(client, clock):
    team = make_team()
    obligation = make_obligation(team=team, rule="recurring", rule_date=date(2025, 6, 1),
                                 rule_rrule="FREQ=YEARLY;INTERVAL=2")
    set_status(obligation, "done", SYSTEM)  # 2025-06-01 done; the current one is 2027-06-01
    events = by_uid(feed_events(client, team))
    assert obligation_uid(obligation.id, date(2027, 6, 1)) in events
    assert obligation_uid(obligation.id, date(2029, 6, 1)) in events


def test_moving_the_team_to_another_time_zone_moves_the_window_day(client, clock):
    from tracker.feeds.render import feed_key
    from tracker.people.operations import update_team

    team = make_team(timezone="America/Los_Angeles")
    done = make_obligation(team=team, rule_date=date(2026, 8, 31))  # leaves on 2026-11-30 local
    set_status(done, "done", SYSTEM)  # (an open one would stay)
    clock.move_to(datetime(2026, 11, 30, 2, tzinfo=timezone.utc))  # still Nov 29 in Los Angeles
    before = feed_key(team_scope(team))
    assert fetch_feed(client, team).data.count(b"BEGIN:VEVENT") == 1
    update_team(team, SYSTEM, timezone="Asia/Tokyo")  # already Nov 30 there
    after = feed_key(team_scope(team))
    assert after.version != before.version and after.today == date(2026, 11, 30)
    assert fetch_feed(client, team).data.count(b"BEGIN:VEVENT") == 0
