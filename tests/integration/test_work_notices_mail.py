"""Work notices (assigned, mentioned, evidence expired) joined into the reminder email of the pass.

Through the loopback SMTP server: one email per person and pass, never a notice twice.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.factories import login, make_obligation, make_team, make_user
from tests.grouping_support import at
from tracker.audit import SYSTEM, Actor
from tracker.comments.operations import add_comment
from tracker.db import db
from tracker.evidence.operations import add_link
from tracker.jobs.reminder_pass import run_pass
from tracker.mail import grouping
from tracker.mail.render import read_unsubscribe_token
from tracker.models import Obligation, OutboxMessage, WorkNotice
from tracker.people import operations as people
from tracker.register.obligations import set_status
from tracker.work import mail as work_mail
from tracker.work.operations import WorkChange, change_work


@pytest.fixture
def smtp(smtp_server):
    return smtp_server  # started; each test points the app at it when it should send


def to(smtp, user) -> list:
    return [m for m in smtp.messages if m["To"].addresses[0].addr_spec == user.email]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


@pytest.fixture
def office(app, clock):
    """Two teams; in "Export compliance" two deadlines are due in 7 days at the pass of 2026-06-24 09:00."""
    clock.move_to(at("2026-05-01T08:00:00+00:00"))
    export, procurement = make_team(name="Export compliance", timezone="UTC"), make_team(name="Procurement",
                                                                                          timezone="UTC")
    for team in (export, procurement):
        people.update_team(team, SYSTEM, digest_weekday=None)
    boss = make_user(teams=[export, procurement], name="Boss", email="boss@example.com")
    dana = make_user(teams=[export], name="Dana", email="dana@example.com")
    erin = make_user(teams=[procurement], name="Erin", email="erin@example.com")
    screening = make_obligation(team=export, title="Screening procedure", rule_date=date(2026, 7, 1))
    board = make_obligation(team=export, title="Board approval", rule_date=date(2026, 7, 1))
    audit = make_obligation(team=procurement, title="Vendor audit", rule_date=date(2026, 12, 1))
    run_pass(at("2026-05-01T09:00:00+00:00"))  # nothing due yet
    clock.move_to(at("2026-06-24T08:30:00+00:00"))
    return {"boss": boss, "dana": dana, "erin": erin, "screening": screening, "board": board, "audit": audit}


def assign(o, name: str, to_user) -> None:
    change_work(db.session.get(Obligation, o[name].id), WorkChange(owner_id=to_user.id), o["boss"],
                Actor.of(o["boss"]))


def test_a_reminder_and_an_assignment_of_the_same_pass_come_as_one_email(app, smtp, office):
    o = office
    assign(o, "screening", o["dana"])
    assign(o, "audit", o["erin"])
    smtp.configure(app)
    run_pass(at("2026-06-24T09:00:00+00:00"))
    [dana_mail] = to(smtp, o["dana"])
    assert dana_mail["Subject"] == "2 deadlines: 2 due in 7 days; and 1 obligation assigned to you"
    text, html = text_of(dana_mail), html_of(dana_mail)
    assert "Board approval" in text and "Screening procedure" in text
    section = text[text.index("Assigned to you"):]
    assert "boss@example.com assigned you “Screening procedure”" in section
    assert f"/obligations/{o['screening'].id}" in section
    assert "Assigned to you" in html and "boss@example.com assigned you “Screening procedure”" in html
    # The notices part keeps the change notices' own unsubscribe link.
    link = section.split("Turn them off: ")[1].split()[0]
    assert read_unsubscribe_token(link.rsplit("/", 1)[1]) == (o["dana"].id, "change")
    # Someone with no reminder in the pass gets their notices alone; the boss (who assigned) none.
    [erin_mail] = to(smtp, o["erin"])
    assert erin_mail["Subject"] == "boss@example.com assigned you “Vendor audit”"
    assert f"/obligations/{o['audit'].id}" in text_of(erin_mail)
    [boss_mail] = to(smtp, o["boss"])
    assert boss_mail["Subject"] == "2 deadlines: 2 due in 7 days" and "Assigned to you" not in text_of(boss_mail)
    run_pass(at("2026-06-24T09:10:00+00:00"))  # told once
    assert len(smtp.messages) == 3
    assert db.session.scalar(select(WorkNotice.id).where(WorkNotice.outbox_id.is_(None))) is None


def test_mentions_and_expired_evidence_join_the_reminder_email_under_their_own_headings(app, clock, smtp, office):
    o = office
    clock.move_to(at("2026-05-02T08:00:00+00:00"))
    done = make_obligation(team=o["screening"].team, title="Licence renewal", owner_id=o["dana"].id,
                           rule_date=date(2026, 12, 1))
    add_link(done, "https://docs.example.org/licence", o["dana"], Actor.of(o["dana"]), title="Licence v2",
             valid_until=date(2026, 6, 23))
    set_status(db.session.get(Obligation, done.id), "done", Actor.of(o["dana"]))
    clock.move_to(at("2026-06-24T08:30:00+00:00"))
    add_comment(db.session.get(Obligation, o["board"].id), "Please check @dana@example.com", o["boss"],
                Actor.of(o["boss"]))
    smtp.configure(app)
    run_pass(at("2026-06-24T09:00:00+00:00"))
    [mail] = to(smtp, o["dana"])
    # (Creating "Licence renewal" with Dana as owner assigned it to her: that notice waited for this pass too.)
    assert mail["Subject"] == ("2 deadlines: 2 due in 7 days; and 1 obligation assigned to you, 1 mention and "
                               "1 obligation reopened (evidence expired)")
    text, html = text_of(mail), html_of(mail)
    assert (text.index("Board approval") < text.index("Assigned to you") < text.index("Mentions")
            < text.index("Evidence expired"))
    assert "boss@example.com mentioned you on “Board approval”" in text
    assert "“Licence renewal” was reopened: evidence “Licence v2” expired on 2026-06-23" in text
    assert "<h2" in html and "Mentions" in html and "Evidence expired" in html and f"/obligations/{done.id}" in html
    run_pass(at("2026-06-25T09:00:00+00:00"))
    assert len(to(smtp, o["dana"])) == 1


def test_who_chose_one_email_per_deadline_gets_the_notices_in_a_message_of_their_own(app, smtp, office):
    o = office
    o["dana"].email_one_per_deadline = True
    db.session.commit()
    assign(o, "screening", o["dana"])
    smtp.configure(app)
    run_pass(at("2026-06-24T09:00:00+00:00"))
    subjects = sorted(m["Subject"] for m in to(smtp, o["dana"]))
    assert subjects == sorted(["boss@example.com assigned you “Screening procedure”",
                               "Due in 7 days: Board approval, Wed 1 Jul 2026",
                               "Due in 7 days: Screening procedure, Wed 1 Jul 2026"])


def test_who_turned_change_notices_off_gets_the_reminders_without_the_notices(app, smtp, office):
    o = office
    o["dana"].email_changes = False
    db.session.commit()
    assign(o, "screening", o["dana"])
    smtp.configure(app)
    run_pass(at("2026-06-24T09:00:00+00:00"))
    [mail] = to(smtp, o["dana"])
    assert mail["Subject"] == "2 deadlines: 2 due in 7 days" and "assigned you" not in text_of(mail)


def test_a_message_built_when_sent_still_carries_the_notices(app, client, smtp, office, monkeypatch):
    o = office
    monkeypatch.setattr(grouping, "BUILD_WHEN_PLANNED", 1)
    assign(o, "screening", o["dana"])
    run_pass(at("2026-06-24T09:00:00+00:00"))  # no SMTP host yet: queued, not built
    queued = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == o["dana"].email))
    assert queued.mime == b"" and queued.subject.endswith("; and 1 obligation assigned to you")
    login(client, make_user(role="admin"))  # the outbox page previews it with the notices
    page = client.get(f"/outbox/{queued.id}").get_data(as_text=True)
    assert "Assigned to you" in page and "assigned you “Screening procedure”" in page
    smtp.configure(app)
    run_pass(at("2026-06-24T09:05:00+00:00"))
    [mail] = to(smtp, o["dana"])
    assert mail["Message-ID"] == queued.message_id
    assert mail["Subject"] == "2 deadlines: 2 due in 7 days; and 1 obligation assigned to you"
    assert "boss@example.com assigned you “Screening procedure”" in text_of(mail)


def test_when_every_deadline_was_settled_before_sending_the_notices_still_go_alone(app, smtp, office):
    o = office
    assign(o, "screening", o["dana"])
    run_pass(at("2026-06-24T09:00:00+00:00"))  # kept: no SMTP host
    for name in ("screening", "board"):
        set_status(db.session.get(Obligation, o[name].id), "done", SYSTEM)
    smtp.configure(app)
    run_pass(at("2026-06-24T10:00:00+00:00"))
    [mail] = to(smtp, o["dana"])
    assert mail["Subject"] == "boss@example.com assigned you “Screening procedure”"
    assert "Due in 7 days" not in text_of(mail)


def test_a_notice_taken_by_a_concurrent_pass_while_this_one_groups_is_told_once(app, smtp, office, monkeypatch):
    """Another pass claims the notice between this pass reading it and storing its message.

    (The other pass looked before this one had stored Dana's reminder items, so it saw no
    reminder email coming for her and mailed her notice alone.)
    """
    o = office
    assign(o, "screening", o["dana"])
    real_store = grouping._store
    raced = []

    def store_after_another_pass(messages, left_out):
        if not raced:
            with monkeypatch.context() as before_items:
                before_items.setattr(work_mail, "_being_grouped", lambda user_ids: set())
                raced.append(work_mail.plan_work_mail(at("2026-06-24T09:00:00+00:00")))
        return real_store(messages, left_out)

    monkeypatch.setattr(grouping, "_store", store_after_another_pass)
    smtp.configure(app)
    run_pass(at("2026-06-24T09:00:00+00:00"))
    assert raced == [1]
    mails = to(smtp, o["dana"])
    told = [m for m in mails if "boss@example.com assigned you “Screening procedure”" in text_of(m)]
    assert len(told) == 1 and told[0]["Subject"] == "boss@example.com assigned you “Screening procedure”"
    assert sorted(m["Subject"] for m in mails) == sorted(["2 deadlines: 2 due in 7 days",
                                                          "boss@example.com assigned you “Screening procedure”"])
    run_pass(at("2026-06-24T09:10:00+00:00"))
    assert len(to(smtp, o["dana"])) == 2
