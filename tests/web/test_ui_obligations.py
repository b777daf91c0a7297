"""The obligation register pages: list, filters, detail, create/edit, status, delete, CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

from tests.factories import login, make_event, make_obligation, make_source, make_team, make_user
from tracker.db import db
from tracker.models import AuditEntry, Obligation


def _editor(client, teams=None):
    user = make_user(role="editor", teams=teams or [])
    login(client, user)
    return user


def test_list_filters_by_team_status_state_window_jurisdiction_and_text(client, clock):
    buyers, legal = make_team(name="Buyers"), make_team(name="Legal")
    ca = make_source(jurisdiction="US-CA")
    signed = make_event(source=ca, status="occurred", on=date(2026, 1, 5))
    make_obligation(team=buyers, title="Vendor certification", rule_date=date(2026, 12, 10), event_ids=[signed.id])
    make_obligation(team=legal, title="Chip audit", rule_date=date(2027, 6, 1))
    make_obligation(team=legal, title="Late filing", rule_date=date(2026, 10, 1))
    _editor(client)

    def titles(query):
        page = client.get("/obligations" + query).get_data(as_text=True)
        return {t for t in ("Vendor certification", "Chip audit", "Late filing") if t in page}

    assert titles("") == {"Vendor certification", "Chip audit", "Late filing"}
    assert titles(f"?team={legal.id}") == {"Chip audit", "Late filing"}
    assert titles("?window=overdue") == {"Late filing"}
    assert titles("?window=next_30") == {"Vendor certification"}
    assert titles("?jurisdiction=US-CA") == {"Vendor certification"}
    assert titles("?q=chip") == {"Chip audit"}
    assert titles("?q=%25") == set()  # LIKE wildcards are searched literally
    assert titles("?status=done") == set()
    assert titles("?team=abc&status=<script>&sort=nonsense&page=-3") == {"Vendor certification", "Chip audit",
                                                                          "Late filing"}
    page = client.get("/obligations?sort=title&desc=1").get_data(as_text=True)
    assert page.index("Vendor certification") < page.index("Late filing") < page.index("Chip audit")


def test_list_is_paginated(client):
    team = make_team()
    for index in range(55):
        make_obligation(team=team, title=f"Item {index:02d}", rule_date=date(2027, 1, 1))
    _editor(client)
    first = client.get("/obligations?sort=title").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Item 49" in first and "Item 50" not in first
    second = client.get("/obligations?sort=title&page=2").get_data(as_text=True)
    assert "Item 54" in second and "Item 00" not in second


def test_detail_explains_the_deadline_and_lists_events_history_and_audit(client, clock):
    team = make_team()
    source = make_source(title="Chip Security Act")
    enacted = make_event(source=source, status="expected", on=date(2026, 9, 1), precision="month",
                         title="Chip Security Act enacted")
    ob = make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=180, title="Location verification")
    _editor(client)
    page = client.get(f"/obligations/{ob.id}").get_data(as_text=True)
    assert "180 days after Chip Security Act enacted (expected September 2026) = 2027-02-28, projected" in page
    assert "Chip Security Act enacted" in page and "deadline counts from this event" in page
    assert "Audit trail" in page and "create" in page
    assert "The deadline has not moved" in page


def test_create_each_rule_kind_stores_the_obligation(client):
    team = make_team()
    event = make_event(status="occurred", on=date(2026, 3, 26))
    user = _editor(client, teams=[team])  # an owner is a member of the obligation's team
    base = {"title": "T", "team_id": team.id, "owner_id": user.id, "rule_offset": "0", "rule_unit": "days"}
    response = client.post("/obligations/new", data={**base, "key": "fixed-1", "rule": "fixed", "rule_date": "2026-07"})
    assert response.status_code == 302
    fixed = db.session.scalar(db.select(Obligation).filter_by(key="fixed-1"))
    assert (fixed.due_date, fixed.due_precision, fixed.owner_id) == (date(2026, 7, 1), "month", user.id)
    client.post("/obligations/new", data={**base, "key": "rel-1", "rule": "relative", "anchor_event_id": event.id,
                                          "rule_offset": "10", "rule_unit": "business_days", "rule_calendar": "us"})
    relative = db.session.scalar(db.select(Obligation).filter_by(key="rel-1"))
    assert relative.due_state == "firm" and relative.anchor_event_id == event.id and relative.rule_calendar == "US"
    client.post("/obligations/new", data={**base, "key": "rec-1", "rule": "recurring", "rule_date": "2027-07-01",
                                          "rule_rrule": "freq=yearly"})
    recurring = db.session.scalar(db.select(Obligation).filter_by(key="rec-1"))
    assert recurring.due_date == date(2027, 7, 1) and recurring.rule_rrule == "FREQ=YEARLY"


def test_invalid_input_shows_field_errors_keeps_the_input_and_stores_nothing(client):
    team = make_team()
    _editor(client, teams=[team])
    response = client.post("/obligations/new", data={"key": "k-1", "title": "Keep <this> title", "team_id": team.id,
                                                     "rule": "fixed", "rule_date": "2026-13-45"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is not a valid date" in page and "Keep &lt;this&gt; title" in page
    response = client.post("/obligations/new", data={"key": "k-1", "title": "T", "team_id": team.id,
                                                     "rule": "relative", "rule_offset": "5"})
    assert response.status_code == 400
    assert "Choose the event this deadline counts from" in response.get_data(as_text=True)
    response = client.post("/obligations/new", data={"key": "k-1", "title": "T", "team_id": team.id,
                                                     "rule": "recurring", "rule_date": "2027-01-01",
                                                     "rule_rrule": "FREQ=SECONDLY"})
    assert response.status_code == 400
    assert db.session.scalar(db.select(Obligation.id)) is None


def test_duplicate_key_is_a_conflict_on_the_key_field(client):
    team = make_team()
    make_obligation(team=team, key="taken")
    _editor(client, teams=[team])
    response = client.post("/obligations/new", data={"key": "taken", "title": "T", "team_id": team.id,
                                                     "rule": "fixed", "rule_date": "2027-01-01"})
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True)


def test_edit_moves_the_deadline_and_records_history(client):
    team = make_team()
    ob = make_obligation(team=team, rule_date=date(2027, 1, 15))
    _editor(client, teams=[team])
    form = client.get(f"/obligations/{ob.id}/edit").get_data(as_text=True)
    assert 'value="2027-01-15"' in form
    response = client.post(f"/obligations/{ob.id}/edit", data={"key": ob.key, "title": "Renamed", "team_id": team.id,
                                                               "rule": "fixed", "rule_date": "2027-03"})
    assert response.status_code == 302
    page = client.get(f"/obligations/{ob.id}").get_data(as_text=True)
    assert "Renamed" in page and "2027-03-01" in page and "deadline rule edited by" in page
    db.session.expire_all()  # the request ran in a session of its own
    assert db.session.get(Obligation, ob.id).revision == 1


def test_status_actions_and_waiver_reason(client):
    ob = make_obligation()
    _editor(client, teams=[ob.team])
    assert client.post(f"/obligations/{ob.id}/status", data={"status": "in_progress"}).status_code == 302
    db.session.expire_all()  # the request ran in a session of its own
    assert db.session.get(Obligation, ob.id).status == "in_progress"
    response = client.post(f"/obligations/{ob.id}/status", data={"status": "waived", "note": " "})
    assert response.status_code == 400
    assert "Say why this obligation is waived" in response.get_data(as_text=True)
    assert db.session.get(Obligation, ob.id).status == "in_progress"
    client.post(f"/obligations/{ob.id}/status", data={"status": "waived", "note": "Not selling in CA"})
    db.session.expire_all()
    assert (db.session.get(Obligation, ob.id).status, db.session.get(Obligation, ob.id).status_note) == \
        ("waived", "Not selling in CA")
    client.post(f"/obligations/{ob.id}/status", data={"status": "open"})
    db.session.expire_all()
    assert db.session.get(Obligation, ob.id).status == "open"
    assert client.post(f"/obligations/{ob.id}/status", data={"status": "bogus"}).status_code == 400


def test_delete_is_soft_and_keeps_the_page(client):
    ob = make_obligation(title="Going away")
    _editor(client, teams=[ob.team])
    response = client.post(f"/obligations/{ob.id}/delete", follow_redirects=True)
    assert "deleted. Its history is kept." in response.get_data(as_text=True)
    db.session.expire_all()  # the request ran in a session of its own
    assert db.session.get(Obligation, ob.id).deleted_at is not None
    assert "Going away" not in client.get("/obligations").get_data(as_text=True)
    assert "Deleted on" in client.get(f"/obligations/{ob.id}").get_data(as_text=True)
    assert db.session.scalar(db.select(AuditEntry).filter_by(entity="obligation", action="delete")) is not None


def test_csv_download_uses_the_list_filters(client):
    team = make_team(name="Buyers")
    make_obligation(team=team, title="=HYPERLINK(bad)", rule_date=date(2027, 1, 1))
    make_obligation(team=team, title="Second", rule_date=date(2028, 1, 1))
    login(client, make_user(role="viewer"))
    response = client.get("/obligations.csv?q=HYPERLINK")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["title"] for row in rows] == ["'=HYPERLINK(bad)"]
    assert rows[0]["url"].startswith("https://tracker.example.test/obligations/")


def test_unknown_and_huge_ids_are_friendly_404s(client):
    _editor(client)
    for url in ("/obligations/999", "/obligations/99999999999999999999", "/events/4294967296/edit", "/teams/0"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Not found" in response.get_data(as_text=True)
    assert client.post("/obligations/99999999999999999999/status", data={"status": "done"}).status_code == 404
