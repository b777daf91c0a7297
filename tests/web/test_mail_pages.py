"""Outbox page, email preferences, one-click unsubscribe, team policy form, /healthz."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from markupsafe import escape
from sqlalchemy import func, select

from tests.factories import login, make_obligation, make_team, make_user
from tracker.people import operations as people
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.mail.render import unsubscribe_token
from tracker.models import AuditEntry, OutboxMessage
from tracker.jobs.reminder_pass import run_pass


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def queue_one_message(clock):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = make_team(timezone="UTC", name="Procurement")
    people.update_team(team, SYSTEM, digest_weekday=None)
    member = make_user(teams=[team], role="viewer")
    make_obligation(team=team, title="Vendor self-certification", rule_date=date(2026, 7, 1))
    run_pass(at("2026-06-24T09:00:00+00:00"))
    return team, member


def test_outbox_shows_kept_mail_to_admins_only(client, clock):
    _, member = queue_one_message(clock)
    admin = make_user(role="admin")
    login(client, member)
    assert client.get("/outbox").status_code == 403
    client.post("/logout")
    login(client, admin)
    page = client.get("/outbox").get_data(as_text=True)
    assert "Due in 7 days: Vendor self-certification, Wed 1 Jul 2026" in page
    assert "No SMTP server is configured" in page and "Last reminder pass: <strong>2026-06-24 09:00 UTC" in page
    message = db.session.scalar(select(OutboxMessage))
    detail = client.get(f"/outbox/{message.id}").get_data(as_text=True)
    assert "This date is firm." in detail and str(escape(message.message_id)) in detail
    # Each deadline of the message in the email's own words, not its kind and lead-day codes.
    assert "<td>Due in 7 days</td>" in detail and ">Days</th>" not in detail


def test_admin_retries_a_failed_message(client, clock):
    queue_one_message(clock)
    message = db.session.scalar(select(OutboxMessage))
    message.status, message.attempts, message.last_error = "failed", 10, "550 mailbox unavailable"
    db.session.commit()
    login(client, make_user(role="admin"))
    page = client.get("/outbox?status=failed").get_data(as_text=True)
    assert "550 mailbox unavailable" in page and "Retry" in page
    response = client.post(f"/outbox/{message.id}/retry", follow_redirects=True)
    assert "queued again" in response.get_data(as_text=True)
    db.session.refresh(message)
    assert message.status == "pending" and message.attempts == 0
    # The retry is in the audit trail: who asked, and the state the message was in.
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "outbox_message")).one()
    assert entry.action == "retry" and entry.entity_id == message.id and entry.actor_id is not None
    assert entry.changes == {"status": ["failed", "pending"], "attempts": [10, 0]}
    # A message that is not failed is refused and nothing is logged.
    again = client.post(f"/outbox/{message.id}/retry", follow_redirects=True)
    assert "Only failed messages can be retried." in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.entity == "outbox_message")) == 1


def test_viewer_changes_own_email_preferences(client):
    viewer = make_user(role="viewer")
    login(client, viewer)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Weekly digest" in page
    response = client.post("/notifications", data={"email_reminders": "on", "email_overdue": "on"},
                           follow_redirects=True)
    assert response.status_code == 200 and "Email preferences saved." in response.get_data(as_text=True)
    db.session.refresh(viewer)
    assert (viewer.email_reminders, viewer.email_overdue, viewer.email_changes, viewer.email_digest) == \
        (True, True, False, False)


def test_unsubscribe_link_confirms_on_get_and_opts_out_on_one_click_post(client, app):
    user = make_user()
    token = unsubscribe_token(user.id, "overdue")
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "Stop sending overdue notices" in page.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email_overdue is True
    app.config["WTF_CSRF_ENABLED"] = True  # the one-click POST carries no CSRF token
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "will no longer get overdue notices" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email_overdue is False and user.email_reminders is True


def test_forged_unsubscribe_token_is_not_found(client):
    user = make_user()
    token = unsubscribe_token(user.id, "digest")
    assert client.get(f"/unsubscribe/{token}x").status_code == 404
    assert client.post("/unsubscribe/not-a-token").status_code == 404
    db.session.refresh(user)
    assert user.email_digest is True


def test_unsubscribed_user_gets_no_more_of_that_kind(client, clock):
    team, member = queue_one_message(clock)
    client.post(f"/unsubscribe/{unsubscribe_token(member.id, 'reminder')}")
    run_pass(at("2026-06-30T09:00:00+00:00"))
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.lead_days == 1)) is None


def test_team_policy_form_shows_field_errors_and_saves(client):
    team = make_team(name="Procurement")
    login(client, make_user(role="admin"))
    url = f"/teams/{team.id}/reminder-policy"
    assert "30, 7, 1, 0" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"lead_days": "30, soon, 1", "overdue_every_days": "-2",
                                      "digest_weekday": "9"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "&#39;soon&#39; is not a whole number of days" in body and "from 0 (no overdue notices)" in body
    assert "choose a weekday" in body
    # Digits int() refuses ('²', or more than 4,300 of them) are field errors too, never a 500.
    response = client.post(url, data={"lead_days": "9" * 5000, "overdue_every_days": "9" * 5000,
                                      "digest_weekday": "²"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "days is more than a year" in body and "from 0 (no overdue notices)" in body
    assert "choose a weekday" in body
    response = client.post(url, data={"lead_days": "14, 3", "overdue_every_days": "3", "digest_weekday": "4"},
                           follow_redirects=True)
    assert "Reminder policy of Procurement saved." in response.get_data(as_text=True)
    db.session.refresh(team)
    assert (team.lead_days, team.overdue_every_days, team.remind_projected, team.digest_weekday) == \
        ([14, 3], 3, False, 4)


def test_team_policy_form_is_for_admins_only(client):
    team = make_team()
    login(client, make_user(role="editor"))
    assert client.get(f"/teams/{team.id}/reminder-policy").status_code == 403
    assert client.post(f"/teams/{team.id}/reminder-policy", data={"lead_days": "1"}).status_code == 403


def test_healthz_reports_last_pass_without_sign_in_or_secrets(client, app, clock):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["last_reminder_pass"] is None
    run_pass()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["last_reminder_pass"] == "2026-11-29T12:00:00+00:00"
    assert "test-secret" not in response.get_data(as_text=True)


def test_healthz_is_503_when_the_scheduler_is_on_and_passes_stopped(client, app, clock):
    app.config["TRACKER_SCHEDULER"] = "embedded"
    run_pass()
    assert client.get("/healthz").status_code == 200
    clock.move_to(datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc) + timedelta(minutes=16))
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "stale"


def test_healthz_notices_a_separate_scheduler_that_stopped(client, app, clock):
    assert app.config["TRACKER_SCHEDULER"] == "off"  # web workers; `flask scheduler` runs elsewhere
    assert client.get("/healthz").status_code == 200  # no pass seen yet: nothing to judge
    run_pass()
    clock.move_to(datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc) + timedelta(minutes=16))
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "stale"


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    from tracker import create_app

    broken = create_app({"TESTING": True, "TRACKER_SCHEDULER": "off", "SECRET_KEY": "x",
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


def test_ids_beyond_the_database_range_are_not_found_not_errors(client):
    from tests.factories import login, make_user

    login(client, make_user(role="admin"))
    huge = 10**20
    for method, url in (("get", f"/teams/{huge}/reminder-policy"), ("post", f"/teams/{huge}/reminder-policy"),
                        ("get", f"/outbox/{huge}"), ("post", f"/outbox/{huge}/retry"),
                        ("post", f"/calendar/teams/{huge}/regenerate"), ("post", f"/account/tokens/{huge}/revoke")):
        assert getattr(client, method)(url).status_code == 404, url


def test_outbox_shows_a_grouped_message_with_its_items_and_what_was_left_out(client, clock, app):
    from tracker.models import OutboxItem
    from tracker.register.obligations import set_status

    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = make_team(timezone="UTC", name="Procurement")
    people.update_team(team, SYSTEM, digest_weekday=None)
    make_user(teams=[team], role="viewer")
    kept = make_obligation(team=team, title="Vendor self-certification", rule_date=date(2026, 7, 1))
    gone = make_obligation(team=team, title="Supply chain audit", rule_date=date(2026, 7, 1))
    run_pass(at("2026-06-24T09:00:00+00:00"))
    message = db.session.scalar(select(OutboxMessage))
    assert message.subject == "2 deadlines: 2 due in 7 days"
    db.session.execute(db.update(OutboxItem).where(OutboxItem.obligation_id == gone.id)
                       .values(status="left_out", note="not sent: the obligation is done"))
    db.session.commit()
    set_status(gone, "done", SYSTEM)
    login(client, make_user(role="admin"))
    listing = client.get("/outbox").get_data(as_text=True)
    assert "2 deadlines: 2 due in 7 days" in listing and "2 deadlines</small>" in listing
    detail = client.get(f"/outbox/{message.id}").get_data(as_text=True)
    assert "Deadlines in this message (2)" in detail
    assert f"/obligations/{kept.id}" in detail and "Vendor self-certification" in detail
    assert "left out: not sent: the obligation is done" in detail


def test_user_chooses_one_email_per_deadline(client):
    user = make_user(role="viewer")
    login(client, user)
    page = client.get("/notifications").get_data(as_text=True)
    assert "One email per deadline instead" in page
    response = client.post("/notifications", data={"email_reminders": "on", "email_overdue": "on",
                                                   "email_changes": "on", "email_digest": "on",
                                                   "email_one_per_deadline": "on"})
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(type(user), user.id)
    assert saved.email_one_per_deadline and saved.email_digest


def test_a_big_grouped_message_kept_in_the_outbox_shows_what_it_would_say(client, clock):
    from tests.grouping_support import SUBJECT, at as when, forty_deadlines

    forty_deadlines(clock, members=1)
    run_pass(when("2026-05-02T15:00:00+00:00"))  # no SMTP host: kept
    message = db.session.scalar(select(OutboxMessage))
    assert message.subject == SUBJECT and message.mime == b""
    login(client, make_user(role="admin"))
    detail = client.get(f"/outbox/{message.id}").get_data(as_text=True)
    assert "built when it is sent" in detail and "Deadlines in this message (40)" in detail
    assert "Obligation 00" in detail and "Obligation 39" in detail and "Was: " in detail
