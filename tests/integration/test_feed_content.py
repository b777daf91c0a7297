"""What a feed contains: every rule and due state, text, window, conformance."""

from datetime import date, datetime, timezone

import vobject

from tests.factories import make_event, make_obligation, make_team
from tests.feed_checks import by_uid, calendar_property, feed_events, fetch_feed, parse_all
from tracker.audit import SYSTEM
from tracker.register.events import EventDate, record_event_change
from tracker.feeds.attachment import single_event_calendar
from tracker.feeds.uids import event_uid, obligation_uid
from tracker.register.obligations import delete_obligation, set_status


def test_feed_without_deadlines_is_still_a_valid_calendar(client, clock):
    team = make_team(name="Empty team")
    response = fetch_feed(client, team)
    assert parse_all(response.data) == []
    assert calendar_property(response.data, "X-WR-CALNAME") == "X-WR-CALNAME:Empty team deadlines"


def test_calendar_properties_are_written_as_rfc_7986_and_clients_expect(client, clock):
    team = make_team(name="Legal, Policy; Ops")
    body = fetch_feed(client, team).data
    assert calendar_property(body, "VERSION") == "VERSION:2.0"
    assert calendar_property(body, "PRODID").startswith("PRODID:-//")
    assert calendar_property(body, "METHOD") is None
    assert calendar_property(body, "NAME") == "NAME:Legal\\, Policy\\; Ops deadlines"
    assert calendar_property(body, "X-WR-CALNAME") == "X-WR-CALNAME:Legal\\, Policy\\; Ops deadlines"
    assert calendar_property(body, "REFRESH-INTERVAL") == "REFRESH-INTERVAL;VALUE=DURATION:PT1H"
    assert calendar_property(body, "X-PUBLISHED-TTL") == "X-PUBLISHED-TTL:PT1H"


def test_fixed_deadline_is_a_confirmed_all_day_event_linking_back(client, clock):
    team = make_team()
    obligation = make_obligation(team=team, title="Vendor self-certification", rule_date=date(2027, 1, 15))
    event = by_uid(feed_events(client, team))[obligation_uid(obligation.id)]
    assert (event["start"], event["end"]) == (date(2027, 1, 15), date(2027, 1, 16))
    assert event["status"] == "CONFIRMED" and event["sequence"] == 0
    link = f"https://tracker.example.test/obligations/{obligation.id}"
    assert event["url"] == link and link in event["description"]
    assert event["summary"] == "Vendor self-certification"
    assert b"TRANSP:TRANSPARENT" in fetch_feed(client, team).data


def test_month_precision_deadline_shows_its_window(client, clock):
    team = make_team()
    obligation = make_obligation(team=team, title="California vendor self-certification",
                                 rule_date=date(2027, 7, 1), rule_precision="month")
    event = by_uid(feed_events(client, team))[obligation_uid(obligation.id)]
    assert event["start"] == date(2027, 7, 1)
    assert event["summary"] == "California vendor self-certification (July 2027)"


def test_projected_deadline_is_tentative_and_names_its_source_event(client, clock):
    team = make_team()
    enacted = make_event(status="expected", on=date(2027, 3, 1), precision="month", title="Chip Security Act enacted")
    obligation = make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=180, title="Location verification")
    event = by_uid(feed_events(client, team))[obligation_uid(obligation.id)]
    assert event["status"] == "TENTATIVE"
    assert event["summary"].startswith("Location verification (projected")
    assert "Chip Security Act enacted (expected, March 2027)" in event["description"]


def test_undated_deadline_is_left_out_and_listed_as_waiting(client, clock):
    team = make_team()
    someday = make_event(status="speculative", on=None, title="Rule published")
    make_obligation(team=team, rule="relative", anchor=someday, rule_offset=30, title="File the notice")
    response = fetch_feed(client, team)
    assert parse_all(response.data) == []
    description = calendar_property(response.data, "X-WR-CALDESC")
    assert "Waiting for a date" in description and "File the notice" in description


def test_void_deadline_is_cancelled_on_its_last_date_then_disappears(client, clock):
    team = make_team()
    enacted = make_event(status="expected", on=date(2027, 3, 1), title="Act enacted")
    obligation = make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=10)
    before = by_uid(feed_events(client, team))[obligation_uid(obligation.id)]
    record_event_change(enacted, EventDate("withdrawn", date(2027, 3, 1), "day"), SYSTEM)
    after = by_uid(feed_events(client, team))[obligation_uid(obligation.id)]
    assert after["status"] == "CANCELLED" and after["start"] == before["start"] == date(2027, 3, 11)
    assert after["sequence"] > before["sequence"]
    clock.move_to(datetime(2027, 1, 5, 12, tzinfo=timezone.utc))
    assert feed_events(client, team) == []


def test_waived_and_not_applicable_are_cancelled_for_30_days_then_gone(client, clock):
    team = make_team()
    waived = make_obligation(team=team, title="Waived one")
    not_applicable = make_obligation(team=team, title="Other one")
    set_status(waived, "waived", SYSTEM, note="Covered by the parent company")
    set_status(not_applicable, "not_applicable", SYSTEM)
    events = by_uid(feed_events(client, team))
    assert events[obligation_uid(waived.id)]["status"] == "CANCELLED"
    assert events[obligation_uid(waived.id)]["summary"] == "Cancelled (waived): Waived one"
    assert "Covered by the parent company" in events[obligation_uid(waived.id)]["description"]
    assert events[obligation_uid(not_applicable.id)]["status"] == "CANCELLED"
    clock.move_to(datetime(2026, 12, 29, 12, tzinfo=timezone.utc))
    assert len(feed_events(client, team)) == 2
    clock.move_to(datetime(2026, 12, 30, 12, tzinfo=timezone.utc))
    assert feed_events(client, team) == []


def test_deleted_obligation_is_cancelled(client, clock):
    team = make_team()
    obligation = make_obligation(team=team)
    delete_obligation(obligation, SYSTEM)
    event = by_uid(feed_events(client, team))[obligation_uid(obligation.id)]
    assert event["status"] == "CANCELLED" and event["sequence"] == 1
    assert event["summary"].startswith("Cancelled (deleted)")


def test_done_obligation_is_kept_and_marked_done(client, clock):
    team = make_team()
    obligation = make_obligation(team=team, title="Audit GPU supply chain")
    set_status(obligation, "done", SYSTEM)
    event = by_uid(feed_events(client, team))[obligation_uid(obligation.id)]
    assert event["summary"] == "Done: Audit GPU supply chain" and event["status"] == "CONFIRMED"


def test_recurring_deadline_is_one_event_per_occurrence_clamped_to_month_end(client, clock):
    team = make_team()
    obligation = make_obligation(team=team, rule="recurring", rule_date=date(2027, 1, 31),
                                 rule_rrule="FREQ=MONTHLY", title="Monthly export report")
    events = by_uid(feed_events(client, team))
    february = events[obligation_uid(obligation.id, date(2027, 2, 28))]
    assert february["start"] == date(2027, 2, 28)
    assert obligation_uid(obligation.id, date(2027, 1, 31)) in events
    assert len(events) == 2  # the current occurrence and the next one
    set_status(obligation, "done", SYSTEM)
    events = by_uid(feed_events(client, team))
    assert events[obligation_uid(obligation.id, date(2027, 1, 31))]["summary"] == "Done: Monthly export report"
    assert events[obligation_uid(obligation.id, date(2027, 2, 28))]["summary"] == "Monthly export report"


def test_text_with_commas_semicolons_newlines_and_non_ascii_survives(client, clock):
    team = make_team()
    title = "Zertifizierung für Ausfuhr; Q1, \"Phase 2\" — ✓ 日本語 " + "x" * 120
    description = "Line one, with comma; semicolon \\ backslash\nLine two: é à ü 🙂"
    obligation = make_obligation(team=team, title=title, description=description)
    event = by_uid(feed_events(client, team))[obligation_uid(obligation.id)]
    assert event["summary"] == title
    assert description in event["description"]


def test_window_keeps_every_open_deadline_and_the_rest_of_the_past_90_days(client, clock):
    team = make_team()
    old = make_obligation(team=team, rule_date=date(2026, 8, 30))
    set_status(old, "done", SYSTEM)
    old_waived = make_obligation(team=team, rule_date=date(2026, 1, 5))
    set_status(old_waived, "waived", SYSTEM, note="not our market")
    recent = make_obligation(team=team, rule_date=date(2026, 8, 31))
    set_status(recent, "done", SYSTEM)
    far = make_obligation(team=team, rule_date=date(2031, 1, 1))
    # Open deadlines stay however late: the California self-certification, 158 days late, is listed.
    late = make_obligation(team=team, rule_date=date(2026, 7, 1), title="California vendor self-certification")
    ancient = make_obligation(team=team, rule_date=date(2024, 1, 1), title="Two years late")
    set_status(ancient, "in_progress", SYSTEM)
    events = by_uid(feed_events(client, team))
    assert set(events) == {obligation_uid(recent.id), obligation_uid(far.id), obligation_uid(late.id),
                           obligation_uid(ancient.id)}
    assert events[obligation_uid(late.id)]["start"] == date(2026, 7, 1)


def test_source_events_are_included_only_when_asked(client, clock):
    team = make_team()
    enacted = make_event(status="expected", on=date(2027, 3, 1), title="Act enacted")
    make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=10)
    assert event_uid(enacted.id) not in by_uid(feed_events(client, team))
    event = by_uid(feed_events(client, team, query="?events=1"))[event_uid(enacted.id)]
    assert event["start"] == date(2027, 3, 1) and event["status"] == "TENTATIVE"


def test_timestamps_come_from_the_row_not_the_request(client, clock):
    team = make_team()
    make_obligation(team=team)
    first = fetch_feed(client, team).data
    clock.move_to(datetime(2026, 11, 29, 18, tzinfo=timezone.utc))
    second = fetch_feed(client, team).data
    assert first == second
    assert b"DTSTAMP:20261129T120000Z" in first


def test_email_attachment_has_the_feed_event_with_method_publish(client, clock):
    team = make_team()
    obligation = make_obligation(team=team, rule="recurring", rule_date=date(2027, 1, 31), rule_rrule="FREQ=MONTHLY")
    attachment = single_event_calendar(obligation)
    assert b"METHOD:PUBLISH\r\n" in attachment
    feed = fetch_feed(client, team).data
    uid = obligation_uid(obligation.id, date(2027, 1, 31)).encode()
    start = feed.index(b"BEGIN:VEVENT\r\nSUMMARY:" + b"")  # first event is the current occurrence
    fragment = feed[start: feed.index(b"END:VEVENT\r\n", start) + 12]
    assert uid in fragment
    assert fragment in attachment
    parsed = vobject.readOne(attachment.decode(), validate=True)
    assert parsed.method.value == "PUBLISH" and parsed.vevent.uid.value == uid.decode()
