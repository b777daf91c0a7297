"""Rendering reminder, overdue, change and digest emails from templates/emails/."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from tracker.deadlines import due_wording
from tracker.feeds.attachment import single_event_calendar
from tracker.mail.message import one_line
from tracker.register.queries import obligation_page_url

PREFERENCE_OF_KIND = {
    "reminder": "email_reminders",
    "overdue": "email_overdue",
    "change": "email_changes",
    "digest": "email_digest",
    # Proposals from regulator watches announce changes: they follow the change notices' setting.
    "proposal": "email_changes",
    # Stale-estimate notices stand in for the overdue notices a deadline waiting on one does not get.
    "stale_estimate": "email_overdue",
}
KIND_LABELS = {
    "reminder": "deadline reminders",
    "overdue": "overdue notices",
    "change": "change notices",
    "digest": "the weekly digest",
    "proposal": "change notices (and regulator watch proposals)",
    "stale_estimate": "overdue and stale-estimate notices",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str
    ics: str | None
    message_id: str
    unsubscribe_url: str


def long_date(day: date | None) -> str:
    """'Wed 1 Jul 2026'."""
    if day is None:
        return "no date yet"
    return f"{day:%a} {day.day} {day:%b %Y}"


UNSUBSCRIBE_SALT = "tracker-unsubscribe"
# How long an unsubscribe link works: long enough for any mail someone still acts on.
UNSUBSCRIBE_MAX_AGE = 365 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A signed, dated token naming a user and a kind of email; it works for UNSUBSCRIBE_MAX_AGE."""
    return _serializer().dumps([user_id, kind])


def _payload(value) -> tuple[int, str] | None:
    if not (isinstance(value, list) and len(value) == 2):
        return None
    user_id, kind = value
    if not isinstance(user_id, int) or isinstance(user_id, bool) or kind not in PREFERENCE_OF_KIND:
        return None
    return user_id, kind


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, kind) from a token, or None when it is forged, malformed or expired."""
    try:
        return _payload(_serializer().loads(token, max_age=UNSUBSCRIBE_MAX_AGE))
    except (BadSignature, ValueError, TypeError):
        return None


def unsubscribe_token_expired(token: str) -> bool:
    """True for a genuine link that is too old: older than UNSUBSCRIBE_MAX_AGE, or from before links
    were dated (those carry no date, so nothing says they are young enough)."""
    serializer = _serializer()
    try:
        serializer.loads(token, max_age=UNSUBSCRIBE_MAX_AGE)
    except SignatureExpired as expired:  # the signature is genuine, only its date is too old
        try:
            return _payload(serializer.load_payload(expired.payload)) is not None
        except (BadSignature, ValueError, TypeError):
            return False
    except (BadSignature, ValueError, TypeError):
        pass
    else:
        return False
    try:
        legacy = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return False
    return _payload(legacy) is not None


def base_url() -> str:
    return current_app.config["TRACKER_BASE_URL"].rstrip("/")


def obligation_url(obligation_id: int) -> str:
    return obligation_page_url(obligation_id)


def message_id_for(kind: str) -> str:
    """A new Message-ID for an email of `kind`, on the tracker's host."""
    host = urlsplit(base_url()).hostname or "localhost"
    return f"<{kind}.{uuid.uuid4().hex}@{host}>"



def unsubscribe_url(recipient, kind: str) -> str:
    """The one-click unsubscribe link of `recipient` for `kind`."""
    return f"{base_url()}/unsubscribe/{unsubscribe_token(recipient.id, kind)}"


def due_phrase(kind: str, days: int) -> str:
    """'Due in 7 days', 'Due tomorrow', 'Due today', 'Overdue by 8 days'."""
    if kind == "overdue" or days < 0:
        over = abs(days)
        return f"Overdue by {over} day{'s' if over != 1 else ''}"
    if days == 0:
        return "Due today"
    if days == 1:
        return "Due tomorrow"
    return f"Due in {days} days"


def state_sentence(obligation) -> str:
    """The due state said plainly; projected ones say what they wait for."""
    if obligation.due_state == "projected":
        anchor = obligation.anchor_event
        if anchor is not None and anchor.partial_date is not None:
            waits = f"'{one_line(anchor.title)}' (expected {anchor.partial_date.label()})"
        elif anchor is not None:
            waits = f"'{one_line(anchor.title)}'"
        else:
            waits = "an expected event"
        sentence = (f"This date is projected, not firm: it waits for {waits} and will move "
                    "when that event is recorded.")
        if anchor is not None and anchor.status == "expected" and anchor.derived_from_event_id is None \
                and anchor.partial_date is not None and anchor.partial_date.last < date.today():
            # (A plain expected anchor whose window has passed: the date counts from a stale estimate.)
            sentence += " The estimate has passed: record what happened or move the estimate."
        return sentence
    if obligation.due_state == "firm":
        return "This date is firm."
    if obligation.due_state == "undated":
        return "This deadline has no date yet: it waits for an event that has no date."
    return "This deadline no longer applies: the event it depended on was withdrawn."


def _due_label(obligation) -> str:
    """'Sun 28 Feb 2027 (from a month estimate)': the engine's wording, with the day written long."""
    return due_wording(obligation.due_date, obligation.due_precision, long_date, state=obligation.due_state)


SUBJECT_LENGTH = 500  # OutboxMessage.subject


def subject_line(subject: str) -> str:
    """A subject as stored and sent: one line, at most SUBJECT_LENGTH characters."""
    return one_line(subject)[:SUBJECT_LENGTH]


def _finish(kind: str, subject: str, template: str, context: dict, recipient, ics: str | None) -> Rendered:
    unsubscribe = unsubscribe_url(recipient, kind)
    context = dict(context, recipient=recipient, unsubscribe_url=unsubscribe,
                   kind_label=KIND_LABELS[kind], preferences_url=f"{base_url()}/notifications")
    return Rendered(
        subject=subject_line(subject),
        body_text=render_template(f"emails/{template}.txt", **context),
        body_html=render_template(f"emails/{template}.html", **context),
        ics=ics,
        message_id=message_id_for(kind),
        unsubscribe_url=unsubscribe,
    )


def with_also(subject: str, also: str) -> str:
    """A subject that says what else the email holds: '2 deadlines: ...; and 1 mention'."""
    return f"{subject}; and {also}" if also else subject


def render_deadline(kind: str, obligation, recipient, days: int, now: datetime, *,
                    also: str = "", extra: dict | None = None) -> Rendered:
    """A lead-time reminder (`days` before) or an overdue notice (`days` after, negative).

    `also` and `extra`: what else the email holds (work notices, tracker.mail.notices),
    named in the subject and added to the template's context.
    """
    phrase = due_phrase(kind, days)
    projected = " (projected)" if obligation.due_state == "projected" else ""
    subject = with_also(f"{phrase}{projected}: {obligation.title}, {long_date(obligation.due_date)}", also)
    url = obligation_url(obligation.id)
    context = {"kind": kind, "obligation": obligation, "phrase": phrase, "due_label": _due_label(obligation),
               "state_sentence": state_sentence(obligation), "url": url, "team": obligation.team,
               **(extra or {})}
    ics = single_event_calendar(obligation).decode("utf-8")
    return _finish(kind, subject, "deadline", context, recipient, ics)


def render_change(obligation, history, recipient, now: datetime) -> Rendered:
    """A change notice for one revision: old and new date, and the reason."""
    new = long_date(history.new_due_date) if history.new_due_date else history.new_due_state
    old = long_date(history.old_due_date) if history.old_due_date else (history.old_due_state or "none")
    subject = f"Deadline changed: {obligation.title}, now {new} (was {old})"
    url = obligation_url(obligation.id)
    context = {"obligation": obligation, "history": history, "old": old, "new": new,
               "old_state": history.old_due_state, "new_state": history.new_due_state,
               "state_sentence": state_sentence(obligation), "url": url, "team": obligation.team,
               "is_current": history.revision == obligation.revision}
    ics = None
    if obligation.due_date is not None and history.revision == obligation.revision \
            and obligation.due_state in ("firm", "projected"):
        ics = single_event_calendar(obligation).decode("utf-8")
    return _finish("change", subject, "change", context, recipient, ics)


def render_digest(team, week: str, recipient, overdue: list, upcoming: list, changed: list,
                  today: date) -> Rendered:
    """The weekly digest of one team: overdue, due in the next 30 days, changed last week."""
    subject = (f"Weekly digest for {team.name}, week {week}: {len(overdue)} overdue, "
               f"{len(upcoming)} due in the next 30 days, {len(changed)} changed")
    context = {"team": team, "week": week, "overdue": overdue, "upcoming": upcoming, "changed": changed,
               "today": today, "long_date": long_date, "obligation_url": obligation_url}
    return _finish("digest", subject, "digest", context, recipient, None)


def render_proposals(recipient, proposals: list, now: datetime) -> Rendered:
    """One email listing the new proposals of a poll pass that concern the recipient's teams."""
    count = len(proposals)
    first = proposals[0]
    subject = (f"Regulator watch: {first['headline']}" if count == 1
               else f"Regulator watches: {count} proposals to review")
    context = {"proposals": proposals, "url": f"{base_url()}/proposals"}
    return _finish("proposal", subject, "proposals", context, recipient, None)
