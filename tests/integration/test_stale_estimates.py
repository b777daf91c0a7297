"""Deadlines waiting on a stale estimate, the feed window, what depends on an event, the demo's answers.

Checked on the demo as the review saw it (2026-12-07: the Chip Security Act's
enactment was expected in September 2026 and nobody recorded it) and on small
registers of their own.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from markupsafe import escape
from sqlalchemy import select

from tests.factories import login, make_event, make_obligation, make_source, make_team, make_user
from tests.feed_checks import by_uid, feed_events
from tracker.audit import SYSTEM
from tracker.channels import operations as channels
from tracker.db import db
from tracker.feeds.uids import obligation_uid
from tracker.jobs.reminder_pass import run_pass
from tracker.models import (ChannelDelivery, Event, Obligation, OutboxMessage, Team, VendorAttestation,
                            VendorEvidence, VendorRequest)
from tracker.packs.export import export_pack
from tracker.register.dependents import dependents
from tracker.register.events import EventDate, record_event_change
from tracker.register.queries import obligation_filter, team_todays

REVIEW_DAY = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York


@pytest.fixture
def demo(app, clock, runner):
    clock.move_to(datetime(2026, 11, 20, 12, tzinfo=timezone.utc))
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    clock.move_to(REVIEW_DAY)
    db.session.expire_all()
    return db.session.scalar(select(Event).where(Event.key == "csa-enacted"))


def _overdue_keys() -> set[str]:
    return {ob.key for ob in db.session.scalars(obligation_filter({"window": "overdue"}, team_todays()))}


def _stale_keys() -> set[str]:
    return {ob.key for ob in db.session.scalars(obligation_filter({"window": "stale"}, team_todays()))}


def test_in_the_demo_no_projected_deadline_is_listed_fed_or_mailed_as_overdue(demo, client):
    overdue = db.session.scalars(select(Obligation).where(Obligation.key.in_(_overdue_keys()))).all()
    assert overdue and all(ob.due_state == "firm" for ob in overdue)
    stale = db.session.scalars(select(Obligation).where(Obligation.key.in_(_stale_keys()))).all()
    assert len(stale) >= 2 and all(ob.due_state == "projected" for ob in stale)
    past = [ob for ob in stale if ob.due_date < date(2026, 12, 7)]
    assert past  # the two the review saw as 6 and 10 days overdue
    run_pass(REVIEW_DAY)
    mailed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "overdue")).all()
    assert mailed and not any("projected" in m.subject.lower() or "(projected)" in m.body_text for m in mailed)
    assert not any(ob.title in m.body_text for m in mailed for ob in past)
    # One stale-estimate notice per person, to the owners and the team's editors, grouped.
    notices = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "stale_estimate")).all()
    assert notices and len({m.recipient for m in notices}) == len(notices)
    assert "compliance@example.com" in {m.recipient for m in notices}
    assert all("estimate passed: record what happened or move the estimate" in m.body_text for m in notices)
    run_pass(datetime(2026, 12, 8, 15, tzinfo=timezone.utc))  # the same ISO week: no second notice
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "stale_estimate")).all()) \
        == len(notices)
    run_pass(datetime(2026, 12, 14, 15, tzinfo=timezone.utc))  # next week: again, until someone acts
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "stale_estimate")).all()) \
        == 2 * len(notices)
    # The API and export-pack say so; the pages and feeds word it.
    exported = {o["key"]: o for o in export_pack()["obligations"]}
    assert all(exported[ob.key]["stale_estimate"] is True for ob in stale)
    assert all(o["stale_estimate"] is False for key, o in exported.items() if key not in {ob.key for ob in stale})
    login(client, make_user(role="editor"))
    page = client.get(f"/obligations/{past[0].id}").get_data(as_text=True)
    assert "Estimate passed:" in page and "record what happened or move the estimate" in page
    assert f"/events/{demo.id}?status=occurred#record" in page and f"/events/{demo.id}?status=expected#record" in page
    assert "overdue" not in page.split('id="due"')[1].split("</dd>")[0]
    dashboard = client.get("/?scope=all").get_data(as_text=True)
    overdue_rows = [row for row in dashboard.split('class="action action-')[1:] if row.startswith("overdue")]
    assert not any(ob.title in row for row in overdue_rows for ob in past)
    stale_row = next(row for row in dashboard.split('class="action action-')[1:] if row.startswith("stale"))
    assert demo.title in stale_row and "Record what happened" in stale_row


def test_recording_the_enactment_makes_the_past_deadlines_overdue_at_once(demo):
    stale = set(_stale_keys())
    record_event_change(demo, EventDate("occurred", date(2026, 3, 1)), SYSTEM)
    db.session.expire_all()
    assert not _stale_keys()
    moved = db.session.scalars(select(Obligation).where(Obligation.key.in_(stale))).all()
    late = {ob.key for ob in moved if ob.due_date is not None and ob.due_date < date(2026, 12, 7)}
    assert late and late <= _overdue_keys()


def test_api_carries_stale_estimate_and_overdue(app, client, clock):
    from tests.integration.api_helpers import auth, token_for

    team = make_team(timezone="UTC")
    enacted = make_event(status="expected", on=date(2026, 9, 1), precision="month", title="Act enacted")
    waiting = make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=60, title="Waiting")
    firm = make_obligation(team=team, rule_date=date(2026, 11, 1), title="Late")
    headers = auth(token_for("viewer"))
    got = {item["key"]: item for item in client.get("/api/v1/obligations", headers=headers).get_json()["items"]}
    assert got[waiting.key]["stale_estimate"] is True and got[waiting.key]["overdue"] is False
    assert got[firm.key]["stale_estimate"] is False and got[firm.key]["overdue"] is True


def test_a_channel_hears_event_stale_once_a_week(app, clock):
    app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"
    team = make_team(timezone="UTC")
    make_user(role="editor", teams=[team])
    enacted = make_event(status="expected", on=date(2026, 9, 1), precision="month", title="Act enacted")
    make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=60, title="Waiting")
    channels.create_channel(team, "webhook", "http://127.0.0.1:9/hook", SYSTEM, event_types="event.stale")
    run_pass(datetime(2026, 11, 30, 10, tzinfo=timezone.utc))
    run_pass(datetime(2026, 12, 1, 10, tzinfo=timezone.utc))
    db.session.expire_all()
    [delivery] = db.session.scalars(select(ChannelDelivery).where(ChannelDelivery.event_type == "event.stale"))
    assert "Act enacted" in delivery.body and "record what happened or move the estimate" in delivery.body


def test_feeds_carry_every_open_deadline_and_word_a_stale_estimate(app, client, clock):
    clock.move_to(REVIEW_DAY)
    team = make_team(timezone="America/New_York")
    late = make_obligation(team=team, rule_date=date(2026, 7, 1), title="California vendor self-certification")
    act = make_source(title="Chip Security Act")
    enacted = make_event(act, status="expected", on=date(2026, 9, 1), precision="month",
                         title="Chip Security Act enacted")
    effective = make_event(act, status="expected", on=date(2026, 12, 1), title="Act takes effect")
    effective.derived_from_event_id, effective.derived_offset, effective.derived_unit = enacted.id, 90, "days"
    db.session.commit()
    budget = make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=60, title="Budget")
    derived = make_obligation(team=team, rule="relative", anchor=effective, rule_offset=400, title="Screening")
    events = by_uid(feed_events(client, team))
    assert events[obligation_uid(late.id)]["start"] == date(2026, 7, 1)  # 158 days late, still there
    summary = events[obligation_uid(budget.id)]["summary"]
    assert summary.startswith("Estimate passed: Budget")
    assert "record what happened or move the estimate" in events[obligation_uid(budget.id)]["description"]
    text = events[obligation_uid(derived.id)]["description"]
    assert "its anchor event" not in text and "'Act takes effect'" in text


def test_one_count_of_what_depends_on_an_event_everywhere(demo, client):
    deps = dependents(demo.id)
    assert deps.via and deps.vendor_requests >= 2  # through "takes effect", and the requests that follow
    # Roles per team: recording it moves deadlines of several demo teams; this editor edits them all.
    editor = make_user(role="editor", teams=list(db.session.scalars(select(Team))))
    login(client, editor)
    page = client.get(f"/events/{demo.id}").get_data(as_text=True)
    words = str(escape(deps.summary()))  # as the page writes it
    assert f"Deadlines that depend on this event ({deps.total})" in page and words in page
    dashboard = client.get("/?scope=all").get_data(as_text=True)
    assert f"Depends on it: {words}." in dashboard
    preview = client.post(f"/events/{demo.id}/preview", data={"status": "occurred", "date": "2026-12-03"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and f"Depends on this event: {words}." in text
    told = text.split('id="preview-told"')[1].split("</p>")[0]
    assert "Who will be told:" in told and "vendor contact" in told and "compliance@example.com" not in told
    from tests.integration.api_helpers import auth, token_for

    headers = auth(token_for("editor"))
    etag = client.get(f"/api/v1/events/{demo.id}", headers=headers).headers["ETag"]
    answer = client.post(f"/api/v1/events/{demo.id}/occurred?dry_run=1", json={"date": "2026-12-03"},
                         headers={**headers, "If-Match": etag}).get_json()
    assert answer["dependents"]["deadlines"] == deps.total and answer["dependents"]["summary"] == deps.summary()
    assert answer["told"]["vendor_contacts"] and answer["told"]["members"]


def test_every_demo_request_state_matches_its_submissions(demo):
    for request in db.session.scalars(select(VendorRequest)):
        attestations = db.session.scalars(select(VendorAttestation).where(
            VendorAttestation.request_id == request.id)).all()
        files = db.session.scalars(select(VendorEvidence).where(VendorEvidence.request_id == request.id)).all()
        if request.status in ("submitted", "accepted", "rejected"):
            assert attestations and files, (request.vendor.key, request.obligation.key, request.status)
            assert request.submitted_at is not None
        else:
            assert not attestations and not files, (request.vendor.key, request.status)


def test_review_offers_only_actions_that_can_succeed_and_refuses_a_forced_one(demo, client):
    from tracker.models import Team

    login(client, make_user(role="editor", teams=db.session.scalars(select(Team)).all()))  # editor in every team
    open_request = db.session.scalars(select(VendorRequest).where(VendorRequest.status == "open")).first()
    page = client.get(f"/vendor-requests/{open_request.id}").get_data(as_text=True)
    assert 'value="accept"' not in page and 'value="reject"' not in page and 'value="waive"' in page
    assert "Accept and Reject need a submitted answer: nothing has been submitted yet." in page
    forced = client.post(f"/vendor-requests/{open_request.id}/review", data={"action": "accept"})
    assert forced.status_code == 400
    assert "Accept is not possible: nothing has been submitted yet." in forced.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(VendorRequest, open_request.id).status == "open"
    submitted = db.session.scalars(select(VendorRequest).where(VendorRequest.status == "submitted")).first()
    page = client.get(f"/vendor-requests/{submitted.id}").get_data(as_text=True)
    assert 'value="accept"' in page and 'value="reject"' in page and 'value="reopen"' not in page
