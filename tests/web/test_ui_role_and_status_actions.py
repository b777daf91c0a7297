"""Role refusals on the admin pages, and the status actions on the obligation page.

Every admin-only form is posted by an editor and by a viewer: both get the
friendly 403 page and the register is left exactly as it was. The same post by
an admin then does change the register, so the refusal is not just a bad form.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_obligation, make_team, make_user
from tracker.people import operations as people
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import AuditEntry, Obligation, OutboxMessage, Team, User
from tracker.jobs.reminder_pass import run_pass

REFUSED = "You may not do that"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def _register_rows() -> dict[str, list[str]]:
    """Every committed row of every table, as another session would read it."""
    with db.engine.connect() as conn:
        return {table.name: sorted(repr(tuple(row)) for row in conn.execute(select(table)))
                for table in db.metadata.sorted_tables}


def _changed_tables(before: dict[str, list[str]]) -> list[str]:
    after = _register_rows()
    return [name for name in before if before[name] != after[name]]


@dataclass
class World:
    admin: User
    editor: User
    viewer: User
    member: User
    outsider: User
    team: Team
    message: OutboxMessage


@pytest.fixture
def world(app, clock) -> World:
    """A team with a member, people of every role, and a failed reminder in the outbox."""
    clock.move_to(_at("2026-05-01T00:00:00+00:00"))
    team = make_team(key="procurement", name="Procurement", timezone="UTC")
    people.update_team(team, SYSTEM, digest_weekday=None)
    member = make_user(email="member@example.com", name="Mia Member", role="viewer", teams=[team])
    admin = make_user(email="admin@example.com", name="Ada Admin", role="admin")
    editor = make_user(email="editor@example.com", name="Ed Editor", role="editor", teams=[team])
    viewer = make_user(email="viewer@example.com", name="Vi Viewer", role="viewer", teams=[team])
    outsider = make_user(email="outsider@example.com", name="Oscar Outsider", role="viewer", password=None)
    make_obligation(team=team, title="Vendor self-certification", rule_date=date(2026, 7, 1))
    run_pass(_at("2026-06-24T09:00:00+00:00"))
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    message.status, message.attempts, message.last_error = "failed", 10, "550 mailbox unavailable"
    db.session.commit()
    return World(admin=admin, editor=editor, viewer=viewer, member=member, outsider=outsider, team=team,
                 message=message)


def _pack() -> str:
    return json.dumps({
        "pack": "shadow",
        "teams": [{"key": "shadow-team", "name": "Shadow team", "timezone": "UTC"}],
        "sources": [{"key": "shadow-src", "title": "Shadow source", "kind": "bill", "jurisdiction": "US"}],
        "events": [{"key": "shadow-ev", "source": "shadow-src", "title": "Signed", "status": "occurred",
                    "date": "2026-01-05"}],
        "obligations": [{"key": "shadow-ob", "title": "Shadow duty", "team": "shadow-team",
                         "events": ["shadow-ev"], "deadline": {"rule": "fixed", "date": "2027-01-15"}}],
    })


# Every admin-only form post of the web UI: (endpoint, url, form data).
# {me} is the signed-in user (an editor promoting themselves), {member} a team member,
# {outsider} a person in no team, {team} the team, {message} a failed outbox message.
ADMIN_POSTS = [
    ("users.create", "/users/new",
     {"email": "intruder@example.com", "name": "Intruder", "role": "admin", "password": "long-enough-1"}),
    ("users.edit", "/users/{me}", {"name": "Self Promoted", "role": "admin", "active": "y"}),
    ("users.set_password", "/users/{member}/password", {"password": "taken-over-123"}),
    ("teams.create", "/teams/new", {"key": "shadow", "name": "Shadow team", "timezone": "UTC"}),
    ("teams.edit", "/teams/{team}/edit", {"key": "procurement", "name": "Renamed team", "timezone": "Europe/Berlin"}),
    ("teams.add_member", "/teams/{team}/members", {"user_id": "{outsider}"}),
    ("teams.remove_member", "/teams/{team}/members/{member}/remove", {}),
    ("notifications.team_policy", "/teams/{team}/reminder-policy",
     {"lead_days": "2", "overdue_every_days": "0", "digest_weekday": "0"}),
    ("transfer.import_pack", "/import", {"pack_text": _pack()}),
    ("outbox.retry", "/outbox/{message}/retry", {}),
]


def _fill(text: str, world: World, me: User) -> str:
    ids = {"me": me.id, "member": world.member.id, "outsider": world.outsider.id, "team": world.team.id,
           "message": world.message.id}
    return re.sub(r"\{(me|member|outsider|team|message)\}", lambda m: str(ids[m.group(1)]), text)


def _signed_in(app, user: User):
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


def _post(client, user: User, world: World, url: str, data: dict):
    return client.post(_fill(url, world, user), data={k: _fill(v, world, user) for k, v in data.items()})


@pytest.mark.parametrize(("endpoint", "url", "data"), ADMIN_POSTS, ids=[e for e, _, _ in ADMIN_POSTS])
def test_editors_and_viewers_are_refused_admin_posts_and_nothing_changes(app, world, endpoint, url, data):
    for user in (world.editor, world.viewer):
        client = _signed_in(app, user)
        before = _register_rows()
        audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
        response = _post(client, user, world, url, data)
        assert response.status_code == 403, (endpoint, user.role)
        assert REFUSED in response.get_data(as_text=True), (endpoint, user.role)
        assert _changed_tables(before) == [], (endpoint, user.role)
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
        # The refusal is about the role, not the session: the user is still signed in.
        assert client.get("/").status_code == 200

    # The same post by an admin is accepted and changes the register.
    before = _register_rows()
    response = _post(_signed_in(app, world.admin), world.admin, world, url, data)
    assert response.status_code == 302, endpoint
    assert _changed_tables(before) != [], endpoint


def test_editor_cannot_promote_themselves_or_take_over_an_account(app, world):
    """What the refusals above protect, as the people involved would notice it."""
    editor_client = app.test_client()
    login(editor_client, world.editor)
    editor_client.post(f"/users/{world.editor.id}", data={"name": "Ed Editor", "role": "admin", "active": "y"})
    editor_client.post(f"/users/{world.member.id}/password", data={"password": "taken-over-123"})
    # The editor still cannot open the users page; the member still signs in with their own password.
    assert editor_client.get("/users").status_code == 403
    assert "Users" not in editor_client.get("/").get_data(as_text=True).split("</nav>")[0]
    refused = login(app.test_client(), world.member, password="taken-over-123")
    assert refused.status_code == 200 and "Email or password is not right." in refused.get_data(as_text=True)
    assert login(app.test_client(), world.member).status_code == 302


# --- status actions on the obligation page -------------------------------------------------

STATUS_LINE = re.compile(r'<dt class="col-sm-3">Status</dt>\s*<dd class="col-sm-9">(.*?)</dd>', re.S)


def _status_shown(page: str) -> str:
    """The Status line of the detail page as a reader sees it (tags dropped, spaces squeezed)."""
    found = STATUS_LINE.search(page)
    assert found, "no Status line on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def _newest_trail_row(page: str) -> str:
    table = page.split("Audit trail</caption>", 1)[1]
    row = table.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


def _trail(obligation_id: int) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "obligation", AuditEntry.entity_id == obligation_id).order_by(AuditEntry.id)))


STATUS_ACTIONS = [
    # (status, note, label on the page, words of the confirmation)
    ("done", "", "Done", "Status is now “done”."),
    ("waived", "We do not sell in California.", "Waived", "Status is now “waived”."),
    ("not_applicable", "Only hardware vendors must certify.", "Not applicable", "Status is now “not applicable”."),
]


@pytest.mark.parametrize(("status", "note", "label", "flash"), STATUS_ACTIONS, ids=[s for s, *_ in STATUS_ACTIONS])
def test_editor_changes_status_from_the_detail_page(client, status, note, label, flash):
    team = make_team(name="Procurement")
    ob = make_obligation(team=team, title="Vendor certification")
    viewer = make_user(role="viewer", teams=[team])
    editor = make_user(role="editor", teams=[team])
    url = f"/obligations/{ob.id}"
    data = {"status": status, "note": note} if note else {"status": status}

    # A viewer's identical post is refused; the page still says Open.
    login(client, viewer)
    trail_before = len(_trail(ob.id))
    response = client.post(f"{url}/status", data=data)
    assert response.status_code == 403 and REFUSED in response.get_data(as_text=True)
    db.session.expire_all()
    assert (db.session.get(Obligation, ob.id).status, db.session.get(Obligation, ob.id).status_note) == ("open", "")
    assert len(_trail(ob.id)) == trail_before
    assert _status_shown(client.get(url).get_data(as_text=True)) == "Open"
    client.post("/logout")

    login(client, editor)
    page = client.get(url).get_data(as_text=True)
    assert _status_shown(page) == "Open"
    response = client.post(f"{url}/status", data=data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.request.path == url
    assert len(response.history) == 1 and response.history[0].status_code == 302
    assert flash in page
    assert _status_shown(page) == (f"{label} Note: {note}" if note else label)
    newest = _newest_trail_row(page)
    # The audit trail in words: the field's label and the statuses' names, not their codes.
    from tracker.vocabulary import STATUS_LABELS

    assert editor.email in newest and f"Status: Open → {STATUS_LABELS[status]}" in newest.replace(" :", ":")

    db.session.expire_all()
    saved = db.session.get(Obligation, ob.id)
    assert (saved.status, saved.status_note) == (status, note)
    entries = _trail(ob.id)
    assert len(entries) == trail_before + 1
    assert (entries[-1].action, entries[-1].actor, entries[-1].actor_id) == ("update", editor.email, editor.id)
    assert entries[-1].changes["status"] == ["open", status]


@pytest.mark.parametrize("note", [None, "", "   "], ids=["no-note-field", "empty-note", "blank-note"])
def test_waiving_without_a_note_shows_the_field_error_and_changes_nothing(client, note):
    ob = make_obligation(title="Vendor certification")
    login(client, make_user(role="editor", teams=[ob.team]))
    trail_before = len(_trail(ob.id))
    data = {"status": "waived"} if note is None else {"status": "waived", "note": note}
    response = client.post(f"/obligations/{ob.id}/status", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(r'<div class="invalid-feedback d-block" id="note-error">(.*?)</div>', page, re.S)
    assert error and "Say why this obligation is waived" in error.group(1)
    note_box = re.search(r'<textarea[^>]*\bid="note"[^>]*>', page)
    assert note_box and 'aria-invalid="true"' in note_box.group(0) and "is-invalid" in note_box.group(0)
    assert "Status is now" not in page
    assert _status_shown(page) == "Open"
    db.session.expire_all()
    assert db.session.get(Obligation, ob.id).status == "open"
    assert len(_trail(ob.id)) == trail_before
