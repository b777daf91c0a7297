"""The group mapping: the admin page and the file for automation (import/export-sign-in-groups)."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.factories import login, make_team, make_user
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import AuditEntry, OidcGroupMapping
from tracker.signin import operations as mappings


def test_an_admin_maps_changes_and_removes_a_group_on_the_page(app, client):
    grc = make_team(key="grc", name="GRC")
    login(client, make_user(role="admin"))
    assert "No group is mapped yet" in client.get("/admin/sign-in-groups").get_data(as_text=True)
    response = client.post("/admin/sign-in-groups", data={"group": "grc-editors", "role": "editor",
                                                         "team_ids": [str(grc.id)]})
    assert response.status_code == 303
    assert mappings.mapping_table() == {"grc-editors": ("editor", ["grc"])}
    client.post("/admin/sign-in-groups", data={"group": "grc-editors", "role": "admin"})
    assert mappings.mapping_table() == {"grc-editors": ("admin", [])}
    page = client.get("/admin/sign-in-groups").get_data(as_text=True)
    assert "grc-editors" in page
    row = db.session.scalar(select(OidcGroupMapping))
    assert client.post(f"/admin/sign-in-groups/{row.id}/delete").status_code == 303
    assert mappings.mapping_table() == {}
    actions = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "group_mapping"))]
    assert actions == ["create", "update", "delete"]


def test_the_page_refuses_bad_input_with_a_form_error(app, client):
    login(client, make_user(role="admin"))
    response = client.post("/admin/sign-in-groups", data={"group": "", "role": "owner"})
    assert response.status_code == 400
    assert db.session.scalar(select(OidcGroupMapping)) is None


def test_only_admins_see_the_page(app, client):
    login(client, make_user(role="editor"))
    assert client.get("/admin/sign-in-groups").status_code == 403
    assert client.post("/admin/sign-in-groups", data={"group": "x", "role": "admin"}).status_code == 403


def test_the_mapping_file_replaces_the_mapping_and_exports_back(app, runner, tmp_path):
    make_team(key="grc", name="GRC")
    make_team(key="procurement", name="Procurement")
    mappings.save_group_mapping("old-group", "viewer", [], SYSTEM)
    document = {"groups": [{"group": "grc-editors", "role": "editor", "teams": ["grc"]},
                           {"group": "it-admins", "role": "admin", "teams": []}]}
    path = tmp_path / "groups.json"
    path.write_text(json.dumps(document))
    result = runner.invoke(args=["import-sign-in-groups", str(path)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert mappings.mapping_table() == {"grc-editors": ("editor", ["grc"]), "it-admins": ("admin", [])}
    exported = runner.invoke(args=["export-sign-in-groups"])
    assert json.loads(exported.output) == document


def test_a_bad_mapping_file_is_refused_whole_with_each_problem_by_path(app, runner, tmp_path):
    make_team(key="grc", name="GRC")
    mappings.save_group_mapping("keep-me", "viewer", [], SYSTEM)
    path = tmp_path / "groups.json"
    path.write_text(json.dumps({"groups": [{"group": "a", "role": "editor", "teams": ["grc"]},
                                           {"group": "b", "role": "owner", "teams": ["nope"]}, "x"]}))
    result = runner.invoke(args=["import-sign-in-groups", str(path)])
    assert result.exit_code == 1
    assert "groups[1].role" in result.output and "groups[1].teams: unknown team 'nope'" in result.output
    assert "groups[2]" in result.output
    db.session.expire_all()
    assert mappings.mapping_table() == {"keep-me": ("viewer", [])}
    path.write_text("{not json")
    assert runner.invoke(args=["import-sign-in-groups", str(path)]).exit_code == 1
