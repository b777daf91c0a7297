"""The pages of managing the work: owner filters, one-step assignment, bulk actions, saved views."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from tests.factories import login, make_obligation, make_team, make_user
from tracker.db import db
from tracker.models import AuditEntry, Obligation, SavedView
from tracker.work.operations import row_version

TITLES = ("Screening procedure", "Board approval", "Export licence")


def titles(client, query: str) -> set[str]:
    page = client.get("/obligations" + query).get_data(as_text=True)
    return {t for t in TITLES if t in page}


def setting(client, role: str = "editor"):
    team = make_team(name="Export compliance")
    me = make_user(teams=[team], role=role, name="Me Myself")
    dana = make_user(teams=[team], name="Dana")
    mine = make_obligation(team=team, title=TITLES[0], owner_id=me.id, rule_date=date(2027, 1, 15))
    danas = make_obligation(team=team, title=TITLES[1], owner_id=dana.id, rule_date=date(2027, 1, 15),
                            priority="critical", tags=["board"])
    nobodys = make_obligation(team=team, title=TITLES[2], rule_date=date(2027, 1, 15), priority="high")
    login(client, me)
    return team, me, dana, (mine, danas, nobodys)


def test_the_list_filters_by_owner_priority_and_tag_and_orders_a_day_by_priority(client):
    team, me, dana, _ = setting(client)
    assert titles(client, "?owner=me") == {TITLES[0]}
    assert titles(client, "?owner=none") == {TITLES[2]}
    assert titles(client, f"?owner={dana.id}") == {TITLES[1]}
    assert titles(client, "?priority=critical") == {TITLES[1]}
    assert titles(client, "?tag=board") == {TITLES[1]}
    assert titles(client, "?owner=<script>&priority=urgent&tag=%00") == set(TITLES)
    page = client.get("/obligations").get_data(as_text=True)
    # Same due day: critical, then high, then normal.
    assert page.index(TITLES[1]) < page.index(TITLES[2]) < page.index(TITLES[0])


def test_the_dashboard_shows_my_work_and_unassigned_work(client, clock):
    clock.move_to("2027-01-01T12:00:00+00:00")
    setting(client)
    mine = client.get("/?owner=me").get_data(as_text=True)
    assert TITLES[0] in mine and TITLES[1] not in mine and TITLES[2] not in mine
    unassigned = client.get("/?owner=none").get_data(as_text=True)
    assert TITLES[2] in unassigned and TITLES[0] not in unassigned
    assert 'aria-current="page">Unassigned' in unassigned


def test_assigning_from_the_list_takes_one_step_and_an_outsider_is_refused(client):
    team, me, dana, (mine, danas, nobodys) = setting(client)
    response = client.post(f"/obligations/{nobodys.id}/work", data={"owner": str(dana.id), "next": "/obligations?owner=none"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/obligations?owner=none")
    db.session.expire_all()
    assert db.session.get(Obligation, nobodys.id).owner_id == dana.id
    outsider = make_user(teams=[make_team()])
    page = client.post(f"/obligations/{mine.id}/work", data={"owner": str(outsider.id)},
                       follow_redirects=True).get_data(as_text=True)
    assert "Not changed: owner:" in page and "is not a member of its team" in page
    db.session.expire_all()
    assert db.session.get(Obligation, mine.id).owner_id == me.id


def test_the_obligation_page_changes_owner_priority_and_tags_together(client):
    team, me, dana, (mine, _, _) = setting(client)
    page = client.get(f"/obligations/{mine.id}").get_data(as_text=True)
    assert 'id="work-form"' in page and "Dana" in page
    client.post(f"/obligations/{mine.id}/work", data={"owner": str(dana.id), "priority": "high",
                                                       "tags": "Board, export-control"})
    db.session.expire_all()
    ob = db.session.get(Obligation, mine.id)
    assert (ob.owner_id, ob.priority, ob.tags) == (dana.id, "high", ["board", "export-control"])
    page = client.post(f"/obligations/{mine.id}/work", data={"tags": "no spaces please"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Not changed: tags:" in page


def test_a_viewer_sees_no_bulk_bar_and_cannot_post_one(client):
    _, _, _, rows = setting(client, role="viewer")
    page = client.get("/obligations").get_data(as_text=True)
    assert 'id="bulk-form"' not in page
    response = client.post("/obligations/bulk", data={"row": [f"{rows[0].id}:"], "action": "priority",
                                                      "priority": "low"})
    assert response.status_code == 403


def test_a_bulk_action_with_a_stale_row_changes_nothing_and_names_it(client):
    team, me, dana, rows = setting(client)
    selected = [f"{ob.id}:{row_version(ob)}" for ob in rows]
    other = make_user(teams=[team])
    login(client, other)
    client.post(f"/obligations/{rows[2].id}/work", data={"priority": "low"})  # someone else, meanwhile
    login(client, me)
    response = client.post("/obligations/bulk", data={"row": selected, "action": "assign", "owner": str(me.id)})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    refused = re.search(r'id="bulk-refused">(.*?)</div>', page, re.S).group(1)
    assert TITLES[2] in refused and "changed since the list was shown" in refused
    assert TITLES[0] not in refused
    db.session.expire_all()
    assert db.session.get(Obligation, rows[2].id).owner_id is None


def test_bulk_on_all_matching_rows_writes_one_audit_row_each(client):
    team, me, dana, rows = setting(client)
    before = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    response = client.post("/obligations/bulk?owner=none", data={"scope": "all", "expected_total": "1",
                                                                 "action": "add_tags", "tags": "q1"})
    assert response.status_code == 302
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > before)).all()
    assert [(e.entity_id, e.changes["tags"]) for e in entries] == [(rows[2].id, [[], ["q1"]])]
    stale = client.post("/obligations/bulk", data={"scope": "all", "expected_total": "1", "action": "priority",
                                                   "priority": "low"})
    assert stale.status_code == 400 and "3 match now" in stale.get_data(as_text=True)
    waive = client.post("/obligations/bulk", data={"row": [str(rows[0].id)], "action": "status", "status": "waived"})
    assert waive.status_code == 400 and "say why" in waive.get_data(as_text=True)


def test_a_saved_view_is_kept_listed_in_the_navigation_and_shareable(client):
    team, me, dana, _ = setting(client)
    response = client.post("/views", data={"name": "Critical board work", "query": "priority=critical&tag=board&page=2"})
    view = db.session.scalar(select(SavedView))
    assert response.headers["Location"].endswith(f"/views/{view.id}")
    assert view.query == "priority=critical&tag=board"
    nav = client.get("/obligations").get_data(as_text=True)
    assert f'href="/views/{view.id}">Critical board work</a>' in nav
    login(client, dana)  # a colleague opens the shared link
    opened = client.get(f"/views/{view.id}", follow_redirects=True).get_data(as_text=True)
    assert TITLES[1] in opened and TITLES[0] not in opened
    assert client.post(f"/views/{view.id}/delete", follow_redirects=True).status_code == 200
    assert db.session.scalar(select(SavedView)) is not None  # only its owner may delete it
