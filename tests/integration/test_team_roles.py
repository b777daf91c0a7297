"""Roles per team: an editor of team A is refused (403) on team B's vendors, requests, links, watches and
evidence; one user can be editor in one team and viewer in another (review 2026-12, item 9)."""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from tests.conftest import PG_URL, TEST_CONFIG
from tests.factories import login, make_event, make_obligation, make_source, make_team, make_user
from tests.integration.api_helpers import auth, token_for
from tests.vendor_files import pdf_bytes
from tests.vendor_support import make_vendor, scope
from tracker import create_app
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import AuditEntry, Vendor, VendorAttestation, VendorEvidence, VendorLink, VendorRequest, Watch
from tracker.people import operations as people
from tracker.people import permissions
from tracker.vendors import links


@pytest.fixture
def teams(app):
    """Team A (procurement) and team B (export) each with a vendor, a scoped obligation, a request with an
    answer in it (one PDF), and a watch on the source B's deadline counts from."""
    world = {}
    for name in ("a", "b"):
        team = make_team(key=f"team-{name}", name=f"Team {name.upper()}")
        vendor = make_vendor(team, key=f"vendor-{name}", contacts=[
            {"name": f"Contact {name}", "email": f"c@vendor-{name}.example", "role": "primary"}])
        source = make_source(key=f"source-{name}")
        enacted = make_event(source=source, key=f"enacted-{name}")
        obligation = make_obligation(team, rule="relative", anchor=enacted, rule_offset=30, key=f"ob-{name}")
        scope(obligation, keys=[vendor.key])
        request = db.session.scalar(sa.select(VendorRequest).where(VendorRequest.vendor_id == vendor.id))
        token = links.ensure_link(request, SYSTEM)
        world[name] = {"team": team, "vendor": vendor, "source": source, "obligation": obligation,
                       "request": request, "token": token}
    for name in ("a", "b"):
        watch = Watch(source_id=world[name]["source"].id, provider="congress", item_kind="bill",
                      item=f"119-hr-{100 if name == 'a' else 200}", stages={})
        db.session.add(watch)
        db.session.commit()
        world[name]["watch"] = watch
    return world


def _answer(client, token):
    return client.post(f"/respond/{token}", data={"name": "Ana", "confirm": "yes",
                                                  "files": [(io.BytesIO(pdf_bytes()), "cert.pdf")]},
                       content_type="multipart/form-data")


def _etag(client, url, token):
    return client.get(url, headers=auth(token)).headers["ETag"]


def test_api_editor_of_a_is_refused_on_b_and_nothing_changes(client, teams):
    a, b = teams["a"], teams["b"]
    _answer(client, b["token"])
    editor_a = token_for("editor", teams=[a["team"]])
    vendor_url = f"/api/v1/vendors/{b['vendor'].id}"
    refusals = [
        client.patch(vendor_url, headers=auth(editor_a, **{"If-Match": _etag(client, vendor_url, editor_a)}),
                     json={"team_id": a["team"].id, "contacts": [{"email": "me@attacker.example", "name": "Me",
                                                                  "role": "primary"}]}),
        client.delete(vendor_url, headers=auth(editor_a, **{"If-Match": _etag(client, vendor_url, editor_a)})),
        client.post("/api/v1/vendors", headers=auth(editor_a), json={"key": "new-b", "name": "New",
                                                                      "team_id": b["team"].id}),
        client.put(f"/api/v1/obligations/{b['obligation'].id}/vendor-scope", headers=auth(editor_a),
                   json={"categories": ["gpu_hardware"]}),
        client.delete(f"/api/v1/obligations/{b['obligation'].id}/vendor-scope", headers=auth(editor_a)),
        client.post(f"/api/v1/vendor-requests/{b['request'].id}/accept", headers=auth(editor_a), json={}),
        client.post(f"/api/v1/vendor-requests/{b['request'].id}/reject", headers=auth(editor_a),
                    json={"reason": "no"}),
        client.patch(f"/api/v1/watches/{b['watch'].id}", headers=auth(editor_a), json={"auto_apply": True}),
        client.delete(f"/api/v1/watches/{b['watch'].id}", headers=auth(editor_a)),
        client.post(f"/api/v1/sources/{b['source'].id}/watches", headers=auth(editor_a),
                    json={"provider": "congress", "bill": "119-hr-999"}),
    ]
    for response in refusals:
        assert response.status_code == 403, (response.request.path, response.get_json())
        assert response.content_type == "application/problem+json"
        assert "editor role" in response.get_json()["detail"]
    db.session.expire_all()
    vendor = db.session.get(Vendor, b["vendor"].id)
    assert vendor.team_id == b["team"].id and [c.email for c in vendor.contacts] == ["c@vendor-b.example"]
    assert db.session.get(VendorRequest, b["request"].id).status == "submitted"
    assert db.session.get(Watch, b["watch"].id).auto_apply is False
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Watch)) == 2
    # The same editor is still an editor in their own team.
    own = client.patch(f"/api/v1/watches/{a['watch'].id}", headers=auth(editor_a), json={"auto_apply": True})
    assert own.status_code == 200
    _answer(client, a["token"])
    assert client.post(f"/api/v1/vendor-requests/{a['request'].id}/accept", headers=auth(editor_a),
                       json={}).status_code == 200


def test_api_evidence_and_answers_are_for_the_owning_team(client, teams):
    a, b = teams["a"], teams["b"]
    _answer(client, b["token"])
    evidence = db.session.scalar(sa.select(VendorEvidence))
    viewer_a = token_for("viewer", teams=[a["team"]])
    viewer_b = token_for("viewer", teams=[b["team"]])
    assert client.get(f"/api/v1/vendor-evidence/{evidence.id}", headers=auth(viewer_a)).status_code == 403
    assert client.get(f"/api/v1/vendor-evidence/{evidence.id}", headers=auth(viewer_b)).status_code == 200
    assert client.get(f"/api/v1/vendor-evidence/{evidence.id}", headers=auth(token_for("admin"))).status_code == 200
    seen_by_a = client.get(f"/api/v1/vendor-requests/{b['request'].id}", headers=auth(viewer_a)).get_json()
    assert seen_by_a["status"] == "submitted" and seen_by_a["evidence"] == [] and seen_by_a["attestation"] is None
    seen_by_b = client.get(f"/api/v1/vendor-requests/{b['request'].id}", headers=auth(viewer_b)).get_json()
    assert seen_by_b["attestation"]["signer_name"] == "Ana" and len(seen_by_b["evidence"]) == 1


def test_ui_editor_of_a_cannot_send_again_edit_or_offboard_b(client, teams):
    a, b = teams["a"], teams["b"]
    login(client, make_user(role="editor", teams=[a["team"]]))
    rid, vid = b["request"].id, b["vendor"].id
    before = db.session.scalar(sa.select(sa.func.count()).select_from(VendorLink))
    resend = client.post(f"/vendor-requests/{rid}/link", data={"action": "resend"})
    assert resend.status_code == 403 and "/respond/" not in resend.get_data(as_text=True)
    assert client.post(f"/vendor-requests/{rid}/link", data={"action": "revoke"}).status_code == 403
    assert client.post(f"/vendor-requests/{rid}/review", data={"action": "waive", "reason": "x"}).status_code == 403
    assert client.post(f"/vendors/{vid}/offboard").status_code == 403
    assert client.post(f"/vendors/{vid}/contacts", data={"name": "Me", "email": "me@attacker.example",
                                                         "role": "primary"}).status_code == 403
    contact = b["vendor"].contacts[0]
    assert client.post(f"/vendors/{vid}/contacts/{contact.id}/remove").status_code == 403
    assert client.get(f"/vendors/{vid}/edit").status_code == 403
    assert client.post("/vendors/new", data={"key": "x-b", "name": "X", "team_id": b["team"].id,
                                             "status": "active"}).status_code == 403
    assert client.post(f"/obligations/{b['obligation'].id}/vendors/clear").status_code == 403
    assert client.post(f"/watches/{b['watch'].id}/delete").status_code == 403
    assert client.get(f"/watches/{b['watch'].id}/edit").status_code == 403
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VendorLink)) == before
    assert client.get(f"/respond/{b['token']}").status_code == 200  # the vendor's link still works
    assert db.session.get(Vendor, vid).status == "active"
    # The request page is readable, without the review and link actions.
    page = client.get(f"/vendor-requests/{rid}").get_data(as_text=True)
    assert "Review" not in page and "Send again" not in page


def test_ui_viewer_of_a_cannot_download_b_evidence_nor_see_it_listed(client, teams):
    a, b = teams["a"], teams["b"]
    _answer(client, b["token"])
    evidence = db.session.scalar(sa.select(VendorEvidence))
    login(client, make_user(role="viewer", teams=[a["team"]]))
    assert client.get(f"/vendors/evidence/{evidence.id}").status_code == 403
    assert "cert.pdf" not in client.get(f"/vendors/{b['vendor'].id}").get_data(as_text=True)
    assert "cert.pdf" not in client.get(f"/vendor-requests/{b['request'].id}").get_data(as_text=True)
    client.get("/logout")
    login(client, make_user(role="viewer", teams=[b["team"]]))
    assert client.get(f"/vendors/evidence/{evidence.id}").status_code == 200
    assert "cert.pdf" in client.get(f"/vendor-requests/{b['request'].id}").get_data(as_text=True)


def test_one_user_is_editor_in_one_team_and_viewer_in_another(client, teams):
    a, b = teams["a"], teams["b"]
    user = make_user(role="viewer", teams=[])
    assert people.set_team_role(user, a["team"], "editor", SYSTEM) is True
    assert people.set_team_role(user, b["team"], "viewer", SYSTEM) is True
    assert people.set_team_role(user, b["team"], "viewer", SYSTEM) is False  # nothing changed
    assert permissions.team_roles(user) == {a["team"].id: "editor", b["team"].id: "viewer"}
    assert user.role == "editor"  # editor somewhere: may write at all (sources, events)
    login(client, user)
    assert client.post(f"/vendors/{a['vendor'].id}/offboard").status_code == 302
    assert client.post(f"/vendors/{b['vendor'].id}/offboard").status_code == 403
    people.set_team_role(user, a["team"], "viewer", SYSTEM)
    assert user.role == "viewer"
    log = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "team",
                                                         AuditEntry.entity_id == a["team"].id)).all()
    assert any(entry.changes.get("members") == [f"{user.email} (editor)", f"{user.email} (viewer)"] for entry in log)
    with pytest.raises(Exception, match="unknown team role"):
        people.set_team_role(user, a["team"], "admin", SYSTEM)


def test_a_reissued_link_and_an_answer_through_it_name_who_reissued_it(client, teams):
    b = teams["b"]
    editor = make_user(role="editor", teams=[b["team"]], email="eve@example.com")
    login(client, editor)
    page = client.post(f"/vendor-requests/{b['request'].id}/link", data={"action": "resend"}).get_data(as_text=True)
    token = re.search(r'id="new-link">[^<]*/respond/([A-Za-z0-9_-]{43})<', page).group(1)
    link = db.session.scalar(sa.select(VendorLink).where(VendorLink.selector == token[:12]))
    assert link.issued_by_id == editor.id
    assert _answer(client, token).status_code == 303
    attestation = db.session.scalar(sa.select(VendorAttestation))
    assert attestation.link_issued_by_id == editor.id
    trail = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "vendor_request")).all()
    assert any("re-issued by eve@example.com" in entry.actor for entry in trail)
    shown = client.get(f"/vendor-requests/{b['request'].id}").get_data(as_text=True)
    assert "re-issued by eve@example.com" in shown


def test_pack_members_roles_are_roles_in_their_team_and_export_writes_them(app, runner, tmp_path):
    pack = {"pack": "roles", "teams": [
        {"key": "proc", "name": "Procurement", "timezone": "UTC",
         "members": [{"email": "pat@example.com", "name": "Pat", "role": "editor"}]},
        {"key": "exp", "name": "Export Compliance", "timezone": "UTC",
         "members": [{"email": "pat@example.com", "name": "Pat", "role": "viewer"}]}],
        "sources": [], "events": [], "obligations": []}
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(pack))
    result = runner.invoke(args=["import-pack", str(path)])
    assert result.exit_code == 0, result.output
    from tracker.models import Team, User

    pat = db.session.scalar(sa.select(User).where(User.email == "pat@example.com"))
    by_key = {t.key: t.id for t in db.session.scalars(sa.select(Team))}
    assert permissions.team_roles(pat) == {by_key["proc"]: "editor", by_key["exp"]: "viewer"}
    exported = json.loads(runner.invoke(args=["export-pack"]).output)
    roles = {t["key"]: [m["role"] for m in t["members"]] for t in exported["teams"]}
    assert roles == {"proc": ["editor"], "exp": ["viewer"]}


def test_create_user_gives_the_role_in_the_team(app, runner):
    make_team(key="proc", name="Procurement")
    result = runner.invoke(args=["create-user", "vi@example.com", "--role", "viewer", "--team", "proc"])
    assert result.exit_code == 0, result.output
    from tracker.models import Team, User

    user = db.session.scalar(sa.select(User).where(User.email == "vi@example.com"))
    team = db.session.scalar(sa.select(Team).where(Team.key == "proc"))
    assert permissions.team_roles(user) == {team.id: "viewer"}


def _fresh_database_url(tmp_path: Path) -> tuple[str, callable]:
    if not PG_URL:
        return f"sqlite:///{tmp_path / 'old.db'}", lambda: None
    server = sa.make_url(PG_URL)
    name = f"tracker_roles_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def test_migration_makes_each_global_role_the_role_in_each_team(tmp_path):
    url, drop = _fresh_database_url(tmp_path)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "TRACKER_SCHEDULER": "off"})
    try:
        with app.app_context():
            upgrade(revision="0019")
            with db.engine.begin() as conn:
                conn.execute(sa.text(
                    "INSERT INTO teams (id, key, name, timezone, reminder_lead_days, overdue_every_days,"
                    " remind_projected, created_at, updated_at) VALUES (1, 't1', 'T1', 'UTC', '30', 7, true,"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00'), (2, 't2', 'T2', 'UTC', '30', 7, true,"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
                for uid, role in ((1, "admin"), (2, "editor"), (3, "viewer")):
                    conn.execute(sa.text(
                        "INSERT INTO users (id, email, name, role, active, email_reminders, email_overdue,"
                        " email_changes, email_digest, email_one_per_deadline, must_change_password, created_at,"
                        " updated_at) VALUES (:id, :email, 'U', :role, true, true, true, true, true, false, false,"
                        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
                        {"id": uid, "email": f"u{uid}@example.com", "role": role})
                    for team_id in (1, 2):
                        conn.execute(sa.text("INSERT INTO team_members (team_id, user_id) VALUES (:t, :u)"),
                                     {"t": team_id, "u": uid})
            upgrade()
            with db.engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT user_id, team_id, role FROM team_members"
                                            " ORDER BY user_id, team_id")).all()
            assert [tuple(r) for r in rows] == [(1, 1, "editor"), (1, 2, "editor"), (2, 1, "editor"),
                                                (2, 2, "editor"), (3, 1, "viewer"), (3, 2, "viewer")]
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def test_an_admin_sets_a_members_role_in_the_team_on_the_team_page(client, teams):
    a = teams["a"]
    login(client, make_user(role="admin"))
    pat = make_user(role="editor", email="pat@example.com")
    added = client.post(f"/teams/{a['team'].id}/members", data={"user_id": pat.id, "role": "viewer"})
    assert added.status_code == 302
    assert permissions.team_roles(pat) == {a["team"].id: "viewer"}
    page = client.get(f"/teams/{a['team'].id}").get_data(as_text=True)
    assert "pat@example.com&gt; — <span data-team-role>viewer</span>" in page
    made = client.post(f"/teams/{a['team'].id}/members/{pat.id}/role", data={"role": "editor"})
    assert made.status_code == 302 and permissions.team_roles(pat) == {a["team"].id: "editor"}
    bad = client.post(f"/teams/{a['team'].id}/members/{pat.id}/role", data={"role": "owner"})
    assert bad.status_code == 400 and "unknown team role" in bad.get_data(as_text=True)
    client.get("/logout")
    login(client, make_user(role="editor", teams=[a["team"]]))
    assert client.post(f"/teams/{a['team'].id}/members/{pat.id}/role", data={"role": "viewer"}).status_code == 403
    assert permissions.team_roles(pat) == {a["team"].id: "editor"}


def test_an_editor_of_another_team_cannot_decide_a_proposal_that_moves_this_teams_deadlines(client, app):
    from tests.watch_support import GivenProvider, enacted, poll, watched_bill
    from tracker.models import Proposal

    _, _, _, team, _ = watched_bill()
    provider = GivenProvider()
    provider.observations = [enacted(date(2026, 12, 3))]
    poll(provider)
    proposal = db.session.scalar(sa.select(Proposal))
    other = token_for("editor", teams=[make_team()])
    for action in ("accept", "reject"):
        refused = client.post(f"/api/v1/proposals/{proposal.id}/{action}", headers=auth(other))
        assert refused.status_code == 403, refused.get_json()
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == "open"
    accepted = client.post(f"/api/v1/proposals/{proposal.id}/accept", headers=auth(token_for("editor", teams=[team])))
    assert accepted.status_code == 200


def test_pages_offer_team_actions_only_to_those_who_may_take_them(client, teams):
    a, b = teams["a"], teams["b"]
    login(client, make_user(role="editor", teams=[a["team"]]))
    source_b = client.get(f"/sources/{b['source'].id}").get_data(as_text=True)
    assert "Edit watch" not in source_b and "Add a watch" not in source_b
    assert "Edit watch" in client.get(f"/sources/{a['source'].id}").get_data(as_text=True)
    ob_b = client.get(f"/obligations/{b['obligation'].id}").get_data(as_text=True)
    assert "Change the vendor scope" not in ob_b
    assert "Change the vendor scope" in client.get(f"/obligations/{a['obligation'].id}").get_data(as_text=True)
    vendor_b = client.get(f"/vendors/{b['vendor'].id}").get_data(as_text=True)
    assert "Offboard" not in vendor_b and "Revoke calendar feeds" not in vendor_b


def test_set_team_role_command_changes_a_role_or_says_why_not(app, runner):
    from tracker.models import Team, User

    make_team(key="proc", name="Procurement")
    make_user(email="pat@example.com", role="editor")
    result = runner.invoke(args=["set-team-role", "pat@example.com", "proc", "viewer"])
    assert result.exit_code == 0 and "pat@example.com is viewer in team Procurement" in result.output
    pat = db.session.scalar(sa.select(User).where(User.email == "pat@example.com"))
    team = db.session.scalar(sa.select(Team).where(Team.key == "proc"))
    assert permissions.team_roles(pat) == {team.id: "viewer"}
    again = runner.invoke(args=["set-team-role", "pat@example.com", "Procurement", "viewer"])
    assert again.exit_code == 0 and "(unchanged)" in again.output
    for args, words in ((["nobody@example.com", "proc", "editor"], "no user"),
                        (["pat@example.com", "nope", "editor"], "no team"),
                        (["pat@example.com", "proc", "owner"], "Invalid value")):
        bad = runner.invoke(args=["set-team-role", *args])
        assert bad.exit_code != 0 and words in (bad.stderr or bad.output), bad.output
