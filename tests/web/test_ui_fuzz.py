"""Hostile input to every form: never a 500, nothing stored when refused, all text escaped."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from flask import current_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.fuzz_support import sample
from tracker.work.saved_views import save_view
from tests.factories import login, make_event, make_obligation, make_source, make_team, make_user
import tracker
from tracker.audit import SYSTEM
from tracker.channels.operations import create_channel
from tracker.db import db
from tracker.feeds import tokens
from tracker.mail.render import unsubscribe_token
from tracker.vendors.operations import create_vendor
from tests.vendor_support import scope
from tests.watch_support import GivenProvider, enacted, poll, watched_bill
from tracker.models import (AuditEntry, DeadlineHistory, Event, Obligation, OutboxMessage, Proposal, Source, Team, User,
                            VendorEvidence, VendorRequest)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
HOSTILE = [
    SCRIPT, IMG, "A" * 20000, "x\x00y", "\x1b[31mred", "line\nbreak", "\u202egnp.exe", "𝒳𝒴", "",
    " ", "-1", "0", "-99999999", "99999999999999999999999", "9" * 5000, "1e309", "NaN", "2026-02-30",
    "2026-13", "2026-Q5", "0000-01-01", "../../etc/passwd", "' OR 1=1 --", "FREQ=SECONDLY", "Mars/Olympus",
    "javascript:alert(3)", "None", "null", "[]", "²", "٣",
]

FORMS = {
    "/login": {"email": ["admin@example.com"], "password": ["x"]},
    "/obligations/new": "obligation",
    "/obligations/{ob}/edit": "obligation",
    "/obligations/{ob}/status": {"status": ["open", "waived", "done", "in_progress"], "note": ["why"]},
    "/sources/new": "source",
    "/sources/{src}/edit": "source",
    "/events/new": "event",
    "/events/{ev}/edit": "event",
    "/events/{ev}/preview": {"status": ["occurred", "expected", "withdrawn"], "date": ["2026-08-06", "2026-10"]},
    "/events/{ev}/record": {"status": ["occurred", "expected"], "date": ["2026-08-06"], "fingerprint": ["abc"]},
    "/teams/new": "team",
    "/teams/{team}/edit": "team",
    "/teams/{team}/members": {"user_id": ["{user}"]},
    "/users/new": {"email": ["new@example.com"], "name": ["N"], "role": ["viewer", "admin"],
                   "password": ["long-enough-pw"], "team_ids": ["{team}"]},
    "/users/{user}": {"name": ["N"], "role": ["viewer", "editor"], "active": ["y"], "team_ids": ["{team}"]},
    "/users/{user}/password": {"password": ["long-enough-pw"]},
    "/account": {"name": ["Me"]},
    "/account/password": {"current": ["not-the-password"], "new": ["x"], "confirm": ["x"]},
    "/import": {"pack_text": ['{"pack": "p"}']},
    "/teams/{team}/reminder-policy": {"lead_days": ["30,7,1,0"], "overdue_every_days": ["7"],
                                      "remind_projected": ["on", ""], "digest_weekday": ["0", ""]},
    "/notifications": {"email_reminders": ["on", ""], "email_overdue": ["on"], "email_changes": ["on"],
                       "email_digest": ["on", ""]},
    "/account/tokens": {"name": ["ci"]},
    "/calendar/teams/{team}/regenerate": {"confirm": ["y"]},
    "/calendar/personal/regenerate": {"confirm": ["y"]},
    # Deletions last: the other forms above still have their rows to work on.
    "/events/{ev}/delete": {"confirm": ["y"]},
    "/sources/{src}/delete": {"confirm": ["y"]},
    "/obligations/{ob}/delete": {"confirm": ["y"]},
}
FIELDS = {
    "obligation": {"key": ["k-fuzz"], "title": ["T"], "description": ["d"], "team_id": ["{team}"],
                   "owner_id": ["", "{user}"], "rule": ["fixed", "relative", "recurring"],
                   "rule_date": ["2027-01-01", "2027-07"], "anchor_event_id": ["{ev}"], "rule_offset": ["30"],
                   "rule_unit": ["days", "business_days", "months"], "rule_calendar": ["US", ""],
                   "rule_rrule": ["FREQ=YEARLY"], "event_ids": ["{ev}"]},
    "source": {"key": ["s-fuzz"], "title": ["S"], "kind": ["bill"], "jurisdiction": ["US", "US-CA"],
               "citation": [""], "url": ["https://example.org/x"], "summary": ["s"]},
    "event": {"key": ["e-fuzz"], "title": ["E"], "description": [""], "source_id": ["{src}"],
              "status": ["expected", "occurred", "speculative"], "date": ["2026-12", ""]},
    "team": {"key": ["t-fuzz"], "name": ["Team"], "timezone": ["UTC", "Europe/Berlin"]},
}
MODELS = (Obligation, Source, Event, Team, User, AuditEntry, DeadlineHistory)


def _counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in MODELS)


def _value(draw, good: list[str], ids: dict) -> str:
    choice = draw(st.one_of(st.sampled_from(good), st.sampled_from(HOSTILE),
                            st.text(max_size=40), st.integers(-10**12, 10**12).map(str),
                            st.sampled_from(["{unknown}", "{huge}"])))
    return choice.format(**ids) if "{" in choice and choice.strip("{}") in ids else choice


def _assert_escaped(page: str, where: str) -> None:
    assert SCRIPT not in page and "<img src=x" not in page, where


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_values_never_break_a_form(client, clock, data):
    if not db.session.scalar(select(User.id).where(User.email == "admin@example.com")):
        team = make_team()
        source = make_source()
        event = make_event(source=source)
        make_obligation(team=team, rule="relative", anchor=event, rule_offset=10)
        make_user(role="viewer", email="someone@example.com")
        make_user(role="admin", email="admin@example.com")
    admin = db.session.scalar(select(User).where(User.email == "admin@example.com"))
    ids = {"ob": db.session.scalar(select(func.min(Obligation.id))), "ev": db.session.scalar(select(func.min(Event.id))),
           "src": db.session.scalar(select(func.min(Source.id))), "team": db.session.scalar(select(func.min(Team.id))),
           "user": db.session.scalar(select(User.id).where(User.email == "someone@example.com")),
           "unknown": 987654, "huge": 10**20}
    for url, spec in FORMS.items():
        fields = FIELDS[spec] if isinstance(spec, str) else spec
        target = url.format(**{**ids, **{k: data.draw(st.sampled_from([v, v, ids["unknown"], ids["huge"]]))
                                        for k, v in ids.items() if k in ("ob", "ev", "src", "team", "user")}})
        if url != "/login":
            with client.session_transaction() as session:
                signed_in = "_user_id" in session
            if not signed_in:
                assert login(client, admin).status_code in (302, 429)
        form = {name: _value(data.draw, good, ids) for name, good in fields.items()}
        before = _counts()
        response = client.post(target, data=form)
        assert response.status_code < 500, (target, form)
        page = response.get_data(as_text=True)
        _assert_escaped(page, target)
        if response.status_code >= 400:
            db.session.rollback()
            # a refused login records the failed attempt; nothing else may be stored
            assert _counts() == before, (target, response.status_code, form)
        db.session.expire_all()
    login(client, admin)
    for url in ("/", "/?scope=all", "/obligations", "/sources", "/events", "/teams", "/users", "/timeline",
                f"/obligations/{ids['ob']}", f"/events/{ids['ev']}", f"/sources/{ids['src']}", f"/teams/{ids['team']}",
                "/account"):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        _assert_escaped(response.get_data(as_text=True), url)


def test_every_form_survives_the_same_hostile_value_in_every_field(client):
    """Deterministic companion of the random test: NUL, markup and huge text everywhere."""
    team, source = make_team(), make_source()
    event = make_event(source=source)
    ob = make_obligation(team=team, rule="relative", anchor=event, rule_offset=10)
    other = make_user(role="viewer")
    ids = {"ob": ob.id, "ev": event.id, "src": source.id, "team": team.id, "user": other.id}
    admin = make_user(role="admin", email="admin@example.com")
    for value in ("x\x00y", SCRIPT, "B" * 50000, "-9" * 3000):
        for url, spec in FORMS.items():
            fields = FIELDS[spec] if isinstance(spec, str) else spec
            login(client, admin)
            before = _counts()
            response = client.post(url.format(**ids), data={name: value for name in fields})
            assert response.status_code < 500, (url, value[:10])
            _assert_escaped(response.get_data(as_text=True), url)
            if response.status_code >= 400 and url != "/login":
                db.session.rollback()
                assert _counts() == before, url


def test_hostile_query_arguments_never_break_a_page(client):
    make_obligation(team=make_team(), title=SCRIPT)
    login(client, make_user(role="viewer"))
    for value in HOSTILE:
        value = value[:2000]
        for url, names in (("/obligations", ("q", "team", "status", "due_state", "jurisdiction", "window", "sort",
                                             "desc", "page")),
                           ("/obligations.csv", ("q", "team", "window")),
                           ("/timeline", ("team", "start", "months")), ("/", ("scope",))):
            response = client.get(url, query_string={name: value for name in names})
            assert response.status_code == 200, (url, value)
            _assert_escaped(response.get_data(as_text=True) if url != "/obligations.csv" else "", url)


# -- Every page, every query argument ----------------------------------------

NUMBERS = ["99999999999999999999999999999999", str(2**63), str(2**31), "-1", "-99999999999999999999", "0",
           "abc", "1e3", "1.5", " 7", "9" * 5000, "²", "٣", "１２", "١٠٠", "๓", "", SCRIPT]
ARGUMENT_CALL = re.compile(r"""(?:request\.args\.get(?:list)?|int_arg|choice_arg)\(\s*["']([A-Za-z_]+)["']""")


def _query_argument_names() -> list[str]:
    """Every query argument name the views read, found in the source, so a new one is fuzzed too."""
    names = set()
    for path in Path(tracker.__file__).parent.rglob("*.py"):
        names.update(ARGUMENT_CALL.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


def _get_pages(app, ids: dict) -> list[str]:
    """Every GET page of the UI (not the JSON API, not static files) with real ids filled in."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api", "/static", "/bootstrap")):
            continue
        pages.append(rule.rule.replace("<token>.ics", f"{ids['feed']}.ics")
                     .replace("<token>", ids["unsubscribe"])
                     .replace("<int:obligation_id>", str(ids["ob"])).replace("<int:event_id>", str(ids["ev"]))
                     .replace("<int:source_id>", str(ids["src"])).replace("<int:team_id>", str(ids["team"]))
                     .replace("<int:user_id>", str(ids["user"])).replace("<int:message_id>", str(ids["message"]))
                     .replace("<int:channel_id>", str(ids["channel"]))
                     .replace("<int:vendor_id>", str(ids["vendor"]))
                     .replace("<int:watch_id>", str(ids["watch"])).replace("<int:proposal_id>", str(ids["proposal"]))
                     .replace("<int:request_id>", str(ids["request"]))
                     .replace("<int:evidence_id>", str(ids["evidence"]))
                     .replace("<int:view_id>", str(ids["view"])))
    assert not [page for page in pages if "<" in page], pages
    return pages


def _fixture_ids() -> dict:
    team, source = make_team(), make_source()
    event = make_event(source=source)
    ob = make_obligation(team=team, rule="relative", anchor=event, rule_offset=10)
    other = make_user(role="viewer", teams=[team])
    message = OutboxMessage(dedupe_key="fuzz", kind="change", recipient="x@example.com", subject="s",
                            body_text="b", body_html="<p>b</p>", message_id="<fuzz@example.com>", mime=b"x")
    db.session.add(message)
    db.session.commit()
    current_app.config["TRACKER_WEBHOOK_ALLOW_PRIVATE"] = "1"  # a loopback target, never called
    channel, _ = create_channel(team, "webhook", "http://127.0.0.1:9/hook", SYSTEM)
    vendor = create_vendor(SYSTEM, key="fuzz-vendor", name="Fuzz vendor", team_id=team.id,
                           categories=["gpu_hardware"], contacts=[{"email": "c@vendor.example"}])
    scope(ob, categories=["gpu_hardware"])  # the vendor now owes a request
    request = db.session.scalars(select(VendorRequest)).one()
    evidence = VendorEvidence(request_id=request.id, submission_id="fuzz", filename="a.pdf",
                              content_type="application/pdf", size=0, sha256="0" * 64)
    db.session.add(evidence)
    db.session.commit()
    watch, *_ = watched_bill(obligations=1)
    provider = GivenProvider()
    provider.observations = [enacted(date(2026, 12, 3))]
    poll(provider)
    proposal = db.session.scalars(select(Proposal)).one()
    view = save_view(other, "Fuzz view", "owner=me")
    return {"view": view.id, "watch": watch.id, "proposal": proposal.id, "request": request.id, "evidence": evidence.id,
            "channel": channel.id, "vendor": vendor.id, "ob": ob.id, "ev": event.id, "src": source.id, "team": team.id, "user": other.id,
            "message": message.id, "feed": tokens.ensure_token(team, SYSTEM).token,
            "unsubscribe": unsubscribe_token(other.id, "change")}


def test_every_page_survives_hostile_numbers_in_every_query_argument(app, client, clock):
    ids = _fixture_ids()
    names = _query_argument_names()
    assert {"page", "team", "status", "q", "months"} <= set(names)
    login(client, make_user(role="admin", email="admin@example.com"))
    for page in _get_pages(app, ids):
        for value in sample(NUMBERS, 5, page):
            response = client.get(page, query_string={name: value for name in names})
            assert response.status_code < 500, (page, value[:20])
            if response.status_code == 200 and response.mimetype == "text/html":
                _assert_escaped(response.get_data(as_text=True), page)
            # One argument at a time as well: a page may give up on the first bad one.
            for name in ("page", "team", "months", "start"):
                response = client.get(page, query_string={name: value})
                assert response.status_code < 500, (page, name, value[:20])


# -- Every form, each field left out ------------------------------------------

def test_every_form_survives_each_field_left_out(client):
    """A hand-made POST may omit any field: the answer is a form error or success, never a 500."""
    team, source = make_team(), make_source()
    event = make_event(source=source)
    ob = make_obligation(team=team, rule="fixed", rule_date=date(2026, 12, 1))
    other = make_user(role="viewer")
    ids = {"ob": ob.id, "ev": event.id, "src": source.id, "team": team.id, "user": other.id}
    admin = make_user(role="admin", email="admin@example.com")
    for url, spec in FORMS.items():
        fields = FIELDS[spec] if isinstance(spec, str) else spec
        complete = {name: good[-1].format(**ids) if good[-1].strip("{}") in ids else good[-1]
                    for name, good in fields.items()}
        for missing in [None, *fields]:
            login(client, admin)
            form = {name: value for name, value in complete.items() if name != missing}
            before = _counts()
            response = client.post(url.format(**ids), data=form)
            assert response.status_code < 500, (url, "without", missing)
            _assert_escaped(response.get_data(as_text=True), url)
            if response.status_code >= 400 and url != "/login":
                db.session.rollback()
                assert _counts() == before, (url, missing)
            db.session.expire_all()
