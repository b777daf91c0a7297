"""Feeds follow changes: same UID, higher SEQUENCE, new status; caches never go stale."""

from datetime import date, datetime, timezone

import tracker.feeds.render as render_module
from tests.factories import make_event, make_obligation, make_team, make_user
from tests.feed_checks import by_uid, calendar_property, feed_events, fetch_feed
from tracker.audit import SYSTEM
from tracker.register.events import EventDate, record_event_change
from tracker.feeds.uids import obligation_uid
from tracker.register.obligations import ObligationInput, delete_obligation, set_status, update_obligation


def test_recording_the_anchor_event_moves_the_deadline_under_the_same_uid(client, clock):
    team = make_team()
    enacted = make_event(status="expected", on=date(2027, 3, 1), precision="month", title="Act enacted")
    obligation = make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=180)
    uid = obligation_uid(obligation.id)
    before = by_uid(feed_events(client, team))[uid]
    record_event_change(enacted, EventDate("occurred", date(2027, 3, 20), "day"), SYSTEM)
    after = by_uid(feed_events(client, team))[uid]
    assert before["status"] == "TENTATIVE" and after["status"] == "CONFIRMED"
    assert after["start"] == date(2027, 9, 16) != before["start"]
    assert after["sequence"] > before["sequence"]


def test_waiving_cancels_with_a_higher_sequence_and_reopening_never_lowers_it(client, clock):
    team = make_team()
    obligation = make_obligation(team=team)
    uid = obligation_uid(obligation.id)
    sequences = [by_uid(feed_events(client, team))[uid]["sequence"]]
    clock.move_to(datetime(2026, 11, 29, 13, tzinfo=timezone.utc))
    set_status(obligation, "waived", SYSTEM, note="Not our market")
    waived = by_uid(feed_events(client, team))[uid]
    assert waived["status"] == "CANCELLED"
    sequences.append(waived["sequence"])
    clock.move_to(datetime(2026, 11, 29, 14, tzinfo=timezone.utc))
    set_status(obligation, "open", SYSTEM)
    reopened = by_uid(feed_events(client, team))[uid]
    assert reopened["status"] == "CONFIRMED"
    sequences.append(reopened["sequence"])
    clock.move_to(datetime(2026, 11, 29, 15, tzinfo=timezone.utc))
    update_obligation(obligation, ObligationInput(key=obligation.key, title=obligation.title, team_id=team.id,
                                                  rule="fixed", rule_date=date(2027, 2, 1)), SYSTEM)
    sequences.append(by_uid(feed_events(client, team))[uid]["sequence"])
    assert sequences == sorted(set(sequences)), sequences  # strictly increasing


def test_unchanged_feed_is_byte_identical_and_the_conditional_fetch_is_304(client, clock):
    team = make_team()
    make_obligation(team=team)
    first = fetch_feed(client, team)
    second = fetch_feed(client, team)
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    conditional = fetch_feed(client, team, headers={"If-None-Match": first.headers["ETag"]})
    assert conditional.status_code == 304 and conditional.data == b""
    assert conditional.headers["ETag"] == first.headers["ETag"]


def test_unchanged_feed_is_served_without_rendering(client, clock, monkeypatch):
    team = make_team()
    make_obligation(team=team)
    first = fetch_feed(client, team)
    renders = []
    original = render_module.render
    monkeypatch.setattr(render_module, "render", lambda *a, **k: renders.append(1) or original(*a, **k))
    assert fetch_feed(client, team).data == first.data
    assert fetch_feed(client, team, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert renders == []


def test_after_one_change_only_that_obligation_is_serialized_again(client, clock, monkeypatch):
    team = make_team()
    obligations = [make_obligation(team=team, rule_date=date(2027, 1, day)) for day in range(1, 11)]
    fetch_feed(client, team)
    serialized = []
    original = render_module.vevent_bytes
    monkeypatch.setattr(render_module, "vevent_bytes", lambda spec: serialized.append(spec.uid) or original(spec))
    set_status(obligations[3], "in_progress", SYSTEM)
    body = fetch_feed(client, team).data
    assert serialized == [obligation_uid(obligations[3].id)]
    assert body.count(b"BEGIN:VEVENT") == 10


def test_cache_follows_edits_of_titles_and_source_events(client, clock):
    team = make_team()
    enacted = make_event(status="expected", on=date(2027, 3, 1), title="Act enacted")
    obligation = make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=10, title="Old title")
    feed_events(client, team)
    clock.move_to(datetime(2026, 11, 29, 12, 30, tzinfo=timezone.utc))
    update_obligation(obligation, ObligationInput(key=obligation.key, title="New title", team_id=team.id,
                                                  rule="relative", anchor_event_id=enacted.id, rule_offset=10), SYSTEM)
    assert by_uid(feed_events(client, team))[obligation_uid(obligation.id)]["summary"].startswith("New title")
    clock.move_to(datetime(2026, 11, 29, 13, tzinfo=timezone.utc))
    record_event_change(enacted, EventDate("expected", date(2027, 4, 1), "day"), SYSTEM)
    event = by_uid(feed_events(client, team))[obligation_uid(obligation.id)]
    assert event["start"] == date(2027, 4, 11)


def test_last_modified_moves_when_an_obligation_is_deleted(client, clock):
    team = make_team()
    obligation = make_obligation(team=team)
    first = fetch_feed(client, team).headers["Last-Modified"]
    clock.move_to(datetime(2026, 11, 30, 9, tzinfo=timezone.utc))
    delete_obligation(obligation, SYSTEM)
    assert fetch_feed(client, team).headers["Last-Modified"] == "Mon, 30 Nov 2026 09:00:00 GMT" != first


def test_last_modified_moves_when_a_deadline_leaves_the_window(client, clock):
    team = make_team()
    # Done: an open deadline never leaves the window.
    set_status(make_obligation(team=team, rule_date=date(2026, 9, 1)), "done", SYSTEM)
    response = fetch_feed(client, team)
    assert response.headers["Last-Modified"] == "Sun, 29 Nov 2026 12:00:00 GMT"
    assert response.data.count(b"BEGIN:VEVENT") == 1
    # 2026-09-01 + 91 days = 2026-12-01, counted in the team's zone (Los Angeles, UTC-8).
    clock.move_to(datetime(2026, 12, 1, 7, 59, tzinfo=timezone.utc))
    still = fetch_feed(client, team, headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert still.status_code == 304 and still.headers["ETag"] == response.headers["ETag"]
    clock.move_to(datetime(2026, 12, 1, 8, tzinfo=timezone.utc))
    moved = fetch_feed(client, team, headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert moved.status_code == 200 and moved.data.count(b"BEGIN:VEVENT") == 0
    assert moved.headers["Last-Modified"] == "Tue, 01 Dec 2026 08:00:00 GMT"


def test_renaming_the_team_or_a_source_reaches_the_cached_events(client, clock):
    from tracker.db import db
    from tracker.people.operations import update_team

    team = make_team(name="Old team name")
    # A personal feed over two teams names each event's team; a team feed names its team once.
    member = make_user(teams=[team, make_team(name="Other team")])
    enacted = make_event(status="expected", on=date(2027, 3, 1), title="Act enacted")
    obligation = make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=10)
    uid = obligation_uid(obligation.id)
    assert "Team: Old team name." in by_uid(feed_events(client, member))[uid]["description"]
    assert "Team:" not in by_uid(feed_events(client, team))[uid]["description"]
    assert calendar_property(fetch_feed(client, team).data, "X-WR-CALNAME") == "X-WR-CALNAME:Old team name deadlines"
    clock.move_to(datetime(2026, 11, 29, 13, tzinfo=timezone.utc))
    update_team(team, SYSTEM, name="New team name")
    assert "Team: New team name." in by_uid(feed_events(client, member))[uid]["description"]
    assert calendar_property(fetch_feed(client, team).data, "X-WR-CALNAME") == "X-WR-CALNAME:New team name deadlines"
    clock.move_to(datetime(2026, 11, 29, 14, tzinfo=timezone.utc))
    enacted.source.title = "Renamed Act"
    enacted.source.updated_at = datetime(2026, 11, 29, 14, tzinfo=timezone.utc)
    db.session.commit()
    assert "Renamed Act: Act enacted" in by_uid(feed_events(client, team))[uid]["description"]
