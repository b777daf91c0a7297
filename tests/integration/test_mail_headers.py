"""Header safety of outgoing mail, read on the wire from a real SMTP server (aiosmtpd).

A title, team name or display name may carry an RFC 2047 encoded word whose
decoded text is CR/LF plus headers; the email library of Python builds
without the CVE-2024-6923 fix writes it back raw. The raw bytes received
must hold only our headers and our body, whatever the interpreter.
"""

from __future__ import annotations

import base64
import email
from datetime import date, datetime, timezone
from email import policy

import pytest
from sqlalchemy import select, update

from tests.factories import make_obligation, make_team, make_user
from tests.mail_support import Recorder, SmtpServer
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.jobs.reminder_pass import run_pass
from tracker.models import Obligation, OutboxMessage, User
from tracker.people import operations as people
from tracker.register.obligations import ObligationInput, update_obligation

INJECTED = "\r\nReply-To: attacker@evil.example\r\nBcc: victim@evil.example\r\n\r\nPay to account 666"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def encoded_word(charset: str, encoding: str, text: str = INJECTED) -> str:
    """`text` as one RFC 2047 encoded word, e.g. =?utf-8?q?=0D=0AReply-To:...?=."""
    raw = text.encode(charset)
    if encoding.lower() == "b":
        payload = base64.b64encode(raw).decode("ascii")
    else:
        payload = "".join(chr(byte) if chr(byte).isalnum() or chr(byte) in "@.-:" else
                          "_" if byte == 0x20 else f"={byte:02X}" for byte in raw)
    return f"=?{charset}?{encoding}?{payload}?="


ENCODINGS = [("utf-8", "q"), ("utf-8", "b"), ("UTF-8", "Q"), ("iso-8859-1", "q"), ("ISO-8859-1", "B"),
             ("latin-1", "b")]


class RawRecorder(Recorder):
    """Also keeps the bytes exactly as received, for checks the parser would hide."""

    def __init__(self):
        super().__init__()
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.original_content or envelope.content)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp(app):
    server = SmtpServer()
    server.recorder = RawRecorder()
    server.start()
    server.configure(app)
    yield server
    server.stop()


def header_block(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def header_names(raw: bytes) -> list[str]:
    return [line.split(b":", 1)[0].decode().lower() for line in header_block(raw).split(b"\r\n")
            if line[:1] not in (b" ", b"\t")]


def assert_nothing_injected(smtp, recipient: str) -> email.message.EmailMessage:
    [raw] = smtp.recorder.raw
    names = header_names(raw)
    assert "reply-to" not in names and "bcc" not in names
    assert sorted(set(names)) == sorted(names)  # each header once
    assert {"from", "to", "subject", "date", "message-id", "list-unsubscribe", "content-type"} <= set(names)
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Reply-To"] is None and message["Bcc"] is None
    assert [address.addr_spec for address in message["To"].addresses] == [recipient]
    assert message.get_content_type() in ("multipart/mixed", "multipart/alternative")
    text = message.get_body(("plain",)).get_content()
    assert "Pay to account 666" not in text.split("\n", 1)[0]
    return message


def quiet_team(**fields):
    team = make_team(timezone="UTC", **fields)
    people.update_team(team, SYSTEM, digest_weekday=None)
    return team


@pytest.mark.parametrize("charset,encoding", ENCODINGS)
def test_an_encoded_word_in_an_obligation_title_adds_no_header_to_the_reminder(app, clock, smtp,
                                                                                charset, encoding):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team()
    user = make_user(teams=[team], email="member@example.com")
    title = f"Cert {encoded_word(charset, encoding)}"
    obligation = make_obligation(team=team, title=title, rule_date=date(2026, 7, 1))
    assert db.session.get(Obligation, obligation.id).title == title  # an editor can type this
    report = run_pass(at("2026-06-24T09:00:00+00:00"))
    assert (report.sent, report.failed) == (1, 0)
    message = assert_nothing_injected(smtp, user.email)
    assert message["Subject"].startswith("Due in 7 days: Cert =")
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert "This date is firm." in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("charset,encoding", [("utf-8", "q"), ("ISO-8859-1", "B")])
def test_an_encoded_word_in_a_title_adds_no_header_to_the_change_notice(app, clock, smtp, charset, encoding):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team()
    user = make_user(teams=[team], email="member@example.com")
    obligation = make_obligation(team=team, title=f"Cert {encoded_word(charset, encoding)}",
                                 rule_date=date(2027, 7, 1))
    clock.move_to(at("2026-05-02T00:00:00+00:00"))
    update_obligation(obligation, ObligationInput(key=obligation.key, title=obligation.title, team_id=team.id,
                                                  rule="fixed", rule_date=date(2027, 9, 1)), SYSTEM)
    run_pass(at("2026-05-02T09:00:00+00:00"))
    message = assert_nothing_injected(smtp, user.email)
    assert message["Subject"].startswith("Deadline changed: Cert =")
    assert "Sep 2027" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("charset,encoding", [("utf-8", "B"), ("iso-8859-1", "Q")])
def test_an_encoded_word_in_a_team_name_adds_no_header_to_the_digest(app, clock, smtp, charset, encoding):
    clock.move_to(at("2026-06-01T00:00:00+00:00"))
    team = make_team(timezone="UTC", name=f"Ops {encoded_word(charset, encoding)}")
    user = make_user(teams=[team], email="member@example.com")
    run_pass(at("2026-06-08T09:00:00+00:00"))  # a Monday, the default digest day
    message = assert_nothing_injected(smtp, user.email)
    assert message["Subject"].startswith("Weekly digest for Ops =")


@pytest.mark.parametrize("charset,encoding", [("utf-8", "q"), ("latin-1", "B"), ("UTF-8", "b")])
def test_an_encoded_word_in_a_display_name_adds_no_header(app, clock, smtp, charset, encoding):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team()
    user = make_user(teams=[team], email="member@example.com", name=encoded_word(charset, encoding))
    make_obligation(team=team, title="Cert", rule_date=date(2026, 7, 1))
    run_pass(at("2026-06-24T09:00:00+00:00"))
    message = assert_nothing_injected(smtp, user.email)
    assert message["To"].addresses[0].display_name.startswith("=")


def test_unicode_line_separators_in_a_title_neither_break_the_pass_nor_the_headers(app, clock, smtp):
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team()
    user = make_user(teams=[team], email="member@example.com")
    obligation = make_obligation(team=team, title="Cert", rule_date=date(2026, 7, 1))
    # Written straight to the database, as a careless import might.
    db.session.execute(update(Obligation).where(Obligation.id == obligation.id).values(
        title="Cert\u2028Bcc: victim@evil.example\x85Reply-To: attacker@evil.example\u2029end"))
    db.session.commit()
    report = run_pass(at("2026-06-24T09:00:00+00:00"))
    assert report.sent == 1
    message = assert_nothing_injected(smtp, user.email)
    assert "Bcc: victim@evil.example" in message["Subject"]


def queue_with_the_relay_down(app, clock, smtp) -> OutboxMessage:
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team()
    make_user(teams=[team], email="member@example.com")
    make_obligation(team=team, title="Cert", rule_date=date(2026, 7, 1))
    smtp.stop()
    run_pass(at("2026-06-24T09:00:00+00:00"))
    smtp.start()
    return db.session.scalar(select(OutboxMessage))


@pytest.mark.parametrize("forged,reason", [
    (b"Subject: Due\r\nReply-To: attacker@evil.example", "unexpected header 'Reply-To'"),
    (b"Subject: Due\r\n\r\nPay to account 666", "is missing"),
    (b"Subject: Due\rBcc: victim@evil.example", "bare line break"),
])
def test_a_queued_message_with_injected_headers_is_failed_not_sent(app, clock, smtp, forged, reason):
    """As an unpatched interpreter wrote it before this check existed: never goes out."""
    row = queue_with_the_relay_down(app, clock, smtp)
    head, body = row.mime.split(b"\r\n\r\n", 1)
    lines, in_subject = [], False
    for line in head.split(b"\r\n"):
        if line.startswith(b"Subject:"):
            lines.append(forged)
            in_subject = True
        elif not (in_subject and line[:1] in (b" ", b"\t")):
            lines.append(line)
            in_subject = False
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
        mime=b"\r\n".join(lines) + b"\r\n\r\n" + body))
    db.session.commit()
    report = run_pass(at("2026-06-24T10:00:00+00:00"))
    assert smtp.recorder.raw == [] and report.failed == 1 and report.sent == 0
    db.session.refresh(row)
    assert row.status == "failed"
    assert row.last_error.startswith("not sent: unsafe message headers:") and reason in row.last_error
    run_pass(at("2026-06-25T10:00:00+00:00"))
    assert smtp.recorder.raw == []  # not retried either


LONG_BASE = "https://compliance-deadlines.eu-west.internal.example-organisation.test/tracker/instance"


def test_list_unsubscribe_stays_a_plain_url_on_the_wire_with_a_long_base_url(app, clock, smtp):
    app.config["TRACKER_BASE_URL"] = LONG_BASE
    clock.move_to(at("2026-05-01T00:00:00+00:00"))
    team = quiet_team()
    user = make_user(teams=[team], email="member@example.com")
    make_obligation(team=team, title="Cert", rule_date=date(2026, 7, 1))
    run_pass(at("2026-06-24T09:00:00+00:00"))
    [raw] = smtp.recorder.raw
    row = db.session.scalar(select(OutboxMessage))
    assert row.unsubscribe_url.startswith(f"{LONG_BASE}/unsubscribe/")
    expected = f"List-Unsubscribe: <{row.unsubscribe_url}>".encode()
    assert len(expected) > 78  # long enough that the library would fold and encode it
    lines = header_block(raw).split(b"\r\n")
    [index] = [i for i, line in enumerate(lines) if line.lower().startswith(b"list-unsubscribe:")]
    assert lines[index] == expected  # one line, no encoded word
    assert lines[index + 1][:1] not in (b" ", b"\t")  # and nothing folded onto it
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines
    # The one-click POST a mail client makes (RFC 8058) turns the reminders off.
    token = row.unsubscribe_url.rsplit("/", 1)[1]
    response = app.test_client().post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code < 400
    db.session.expire_all()
    assert db.session.get(User, user.id).email_reminders is False


def test_a_reply_to_header_passes_only_on_vendor_mail_and_only_as_one_plain_address():
    from tracker.mail.message import header_problem

    head = (b"From: a@example.com\r\nTo: b@example.com\r\nSubject: s\r\nDate: x\r\nMessage-ID: <m@x>\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n")
    plain = head + b"Reply-To: vendors@acme.example\r\n\r\nbody"
    assert header_problem(plain, allow_reply_to=True) is None
    assert "unexpected header 'Reply-To'" in header_problem(plain)  # team mail never has one
    for forged in (b"Reply-To: vendors@acme.example, attacker@evil.example", b"Reply-To: <attacker@evil.example>",
                   b"Reply-To: Vendors <v@acme.example>"):
        assert header_problem(head + forged + b"\r\n\r\nbody", allow_reply_to=True), forged
