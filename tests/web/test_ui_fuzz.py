"""Hostile input to every form: never a 500, nothing stored when refused, all text escaped."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.factories import login, make_event, make_obligation, make_source, make_team, make_user
from tracker.db import db
from tracker.models import AuditEntry, DeadlineHistory, Event, Obligation, Source, Team, User

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
