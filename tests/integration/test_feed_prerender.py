"""No fetch renders: a change's feeds are rendered after its commit (or by the refresh job) and
stored, and a version is rendered once across the deployment even when fetches race for it."""

from __future__ import annotations

import threading
import urllib.request
import zlib
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select, update

import tracker.feeds.render as render_module
from tests.factories import make_event, make_obligation, make_team, make_user
from tests.feed_checks import by_uid, fetch_feed, parse_all
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.feeds import claims, tokens
from tracker.feeds.refresh import refresher
from tracker.feeds.scope import personal_scope, team_scope
from tracker.feeds.uids import obligation_uid
from tracker.jobs.feed_refresh import run_feed_refresh
from tracker.models import FeedBody
from tracker.models.feeds import FeedRenderClaim
from tracker.register.events import EventDate, record_event_change
from tracker.register.obligations import set_status


@pytest.fixture
def prerender(app, monkeypatch):
    """This app renders changed feeds after each commit, as a serving process does."""
    monkeypatch.setitem(app.config, "TRACKER_FEED_PRERENDER", True)
    yield refresher(app)
    assert refresher(app).wait_idle(30)


@pytest.fixture
def renders(monkeypatch):
    """The content versions rendered from now on, by anyone in this process."""
    seen = []
    original = render_module.render
    monkeypatch.setattr(render_module, "render", lambda key: seen.append(key.version) or original(key))
    return seen


def _stored_body(scope, variant="plain") -> bytes | None:
    db.session.expire_all()
    row = db.session.scalar(select(FeedBody.body).where(FeedBody.scope_key == scope.key, FeedBody.variant == variant))
    return zlib.decompress(row) if row is not None else None


def _url(base: str, owner) -> str:
    return base + "/" + tokens.feed_url(tokens.ensure_token(owner, SYSTEM)).split("/", 3)[3]


def test_a_status_change_is_rendered_after_commit_and_the_next_fetch_renders_nothing(
        app, client, clock, prerender, renders):
    team = make_team()
    obligation = make_obligation(team=team, title="Annual filing")
    fetch_feed(client, team)
    assert prerender.wait_idle(30)
    clock.move_to(datetime(2026, 11, 29, 13, tzinfo=timezone.utc))
    set_status(obligation, "waived", SYSTEM, note="Not our market")
    assert prerender.wait_idle(30)
    rendered = len(renders)
    assert rendered >= 1  # by the refresher, after the commit
    stored = _stored_body(team_scope(team))
    assert by_uid(parse_all(stored))[obligation_uid(obligation.id)]["status"] == "CANCELLED"
    response = fetch_feed(client, team)
    assert response.status_code == 200 and response.data == stored
    assert len(renders) == rendered  # the fetch rendered nothing


def test_an_event_change_refreshes_team_and_personal_feeds_and_the_events_variant(app, client, clock, renders):
    team = make_team()
    member = make_user(teams=[team])
    enacted = make_event(status="expected", on=date(2027, 3, 1), title="Act enacted")
    obligation = make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=10)
    fetch_feed(client, team)
    fetch_feed(client, team, query="?events=1")
    fetch_feed(client, member)
    before = len(renders)
    app.config["TRACKER_FEED_PRERENDER"] = True
    try:
        clock.move_to(datetime(2026, 11, 29, 13, tzinfo=timezone.utc))
        record_event_change(enacted, EventDate("occurred", date(2027, 3, 20), "day"), SYSTEM)
        assert refresher(app).wait_idle(30)
    finally:
        app.config["TRACKER_FEED_PRERENDER"] = False
    assert len(renders) - before == 3  # team, team with events, personal
    uid = obligation_uid(obligation.id)
    for scope, variant in [(team_scope(team), "plain"), (team_scope(team), "events"),
                           (personal_scope(member), "plain")]:
        event = by_uid(parse_all(_stored_body(scope, variant)))[uid]
        assert event["status"] == "CONFIRMED" and event["start"] == date(2027, 3, 30)
    assert fetch_feed(client, member).status_code == 200
    assert fetch_feed(client, team, query="?events=1").status_code == 200
    assert len(renders) - before == 3


def test_the_refresh_job_renders_what_a_process_without_a_refresher_changed(app, client, clock, renders):
    team = make_team()
    obligation = make_obligation(team=team)
    make_team()  # no token: no feed to refresh
    fetch_feed(client, team)
    assert run_feed_refresh() == (1, 0)  # stored and current: nothing to do
    clock.move_to(datetime(2026, 11, 29, 13, tzinfo=timezone.utc))
    set_status(obligation, "done", SYSTEM)  # TRACKER_FEED_PRERENDER is off in tests, as in CLI commands
    assert run_feed_refresh() == (1, 1)
    rendered = len(renders)
    body = fetch_feed(client, team).data
    assert by_uid(parse_all(body))[obligation_uid(obligation.id)]["summary"].startswith("Done: ")
    assert len(renders) == rendered


def test_the_refresh_job_renders_a_feed_the_date_alone_changed(app, client, clock, renders):
    from tracker.register.obligations import set_status

    team = make_team()
    set_status(make_obligation(team=team, rule_date=date(2026, 9, 1)), "done", SYSTEM, note="Filed.")
    assert fetch_feed(client, team).data.count(b"BEGIN:VEVENT") == 1
    # 2026-09-01 + 91 days = 2026-12-01 in the team's zone (Los Angeles): the finished deadline leaves
    # the window (an open one stays in the feed however late).
    clock.move_to(datetime(2026, 12, 1, 9, tzinfo=timezone.utc))
    assert run_feed_refresh() == (1, 1)
    rendered = len(renders)
    assert fetch_feed(client, team).data.count(b"BEGIN:VEVENT") == 0
    assert len(renders) == rendered


def test_the_refresh_command_prints_what_it_did(app, runner, clock):
    team = make_team()
    make_obligation(team=team)
    tokens.ensure_token(team, SYSTEM)
    result = runner.invoke(args=["refresh-feeds", "--now", "2026-11-29T12:00:00Z"])
    assert result.exit_code == 0 and result.output == "feeds checked: 1, rendered: 1\n"
    assert runner.invoke(args=["refresh-feeds"]).output == "feeds checked: 1, rendered: 0\n"
    assert runner.invoke(args=["refresh-feeds", "--now", "soon"]).exit_code == 1


def test_a_fetch_waits_for_the_version_another_process_is_rendering(app, live_server, clock, renders):
    team = make_team()
    make_obligation(team=team)
    url = _url(live_server, team)
    key = render_module.feed_key(team_scope(team))
    token = claims.claim(key.scope.key, key.variant, key.version)  # another worker, rendering
    assert token is not None
    answers = []
    fetch = threading.Thread(target=lambda: answers.append(urllib.request.urlopen(url, timeout=30).read()))
    fetch.start()
    threading.Event().wait(0.5)
    assert answers == [] and renders == []  # waiting, not rendering
    feed = render_module.render(key)  # the other worker finishes and stores
    render_module._store(key, feed, token)
    fetch.join(30)
    assert answers == [feed.body]
    assert renders == [key.version]  # only the claimant's render
    assert db.session.scalar(select(FeedRenderClaim.scope_key)) is None  # released with the store


def test_a_claim_whose_process_died_costs_one_render_not_a_failed_fetch(app, live_server, clock, renders):
    team = make_team()
    make_obligation(team=team)
    url = _url(live_server, team)
    key = render_module.feed_key(team_scope(team))
    assert claims.claim(key.scope.key, key.variant, key.version) is not None
    db.session.execute(update(FeedRenderClaim).values(expires_at=datetime(2026, 11, 29, 11, tzinfo=timezone.utc)))
    db.session.commit()
    body = urllib.request.urlopen(url, timeout=30).read()
    assert body.count(b"BEGIN:VEVENT") == 1 and renders == [key.version]


def test_racing_fetches_on_two_workers_render_a_version_once(app, live_server, clock, renders):
    from tests.integration.test_feed_body_store import _fresh_worker

    team = make_team()
    for day in range(1, 29):
        make_obligation(team=team, rule_date=date(2027, 1, day))
    path = "/" + tokens.feed_url(tokens.ensure_token(team, SYSTEM)).split("/", 3)[3]
    db.session.commit()
    original = render_module.render

    def slow(key):  # long enough for the other worker's fetch to arrive meanwhile
        threading.Event().wait(0.5)
        return original(key)

    render_module.render = slow
    try:
        with _fresh_worker(app) as (other, _, _):
            answers = []
            threads = [threading.Thread(target=lambda base=base: answers.append(
                urllib.request.urlopen(base + path, timeout=30).read())) for base in (live_server, other)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
    finally:
        render_module.render = original
    assert len(answers) == 2 and answers[0] == answers[1]
    assert len(renders) == 1
    assert parse_all(answers[0]) and _stored_body(team_scope(team)) == answers[0]


def test_only_the_feeds_of_the_teams_a_commit_touched_are_rendered(app, client, clock, prerender, renders):
    changed, other = make_team(), make_team()
    obligation = make_obligation(team=changed)
    make_obligation(team=other)
    fetch_feed(client, changed)
    fetch_feed(client, other)
    assert prerender.wait_idle(30)
    before = len(renders)
    clock.move_to(datetime(2026, 11, 29, 13, tzinfo=timezone.utc))
    obligation.title = "Renamed, then rolled back"
    db.session.flush()
    db.session.rollback()  # nothing committed: nothing to render
    set_status(db.session.get(type(obligation), obligation.id), "in_progress", SYSTEM)
    assert prerender.wait_idle(30)
    assert renders[before:] == [render_module.feed_key(team_scope(changed)).version]
    assert b"Renamed" not in _stored_body(team_scope(changed))
