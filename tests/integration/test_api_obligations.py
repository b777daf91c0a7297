"""Obligations through the API: representation, ETags, pages, filters, and the shared services."""

from __future__ import annotations

import csv
import io
from datetime import date

from tests.factories import make_obligation, make_team
from tests.integration.api_helpers import auth, small_register, token_for
from tracker.db import db
from tracker.models import AuditEntry, DeadlineHistory


def test_an_obligation_shows_its_rule_computed_deadline_links_and_provenance(app, client):
    team, _, enacted, ob = small_register()
    body = client.get(f"/api/v1/obligations/{ob.id}", headers=auth(token_for("viewer"))).get_json()
    assert body["deadline"] == {"rule": "relative", "date": None, "precision": "day",
                                "anchor_event_id": enacted.id, "offset": 180, "unit": "days",
                                "calendar": None, "rrule": None, "roll": "none", "of": None}
    assert (body["due_date"], body["due_state"], body["due_precision"]) == ("2027-02-28", "projected", "month")
    assert body["revision"] == 0 and body["status"] == "open"
    assert body["event_ids"] == [enacted.id]
    assert body["team"] == {"id": team.id, "key": "procurement", "name": "Procurement"}
    assert body["links"]["html"] == f"https://tracker.example.test/obligations/{ob.id}"
    assert body["links"]["history"] == f"/api/v1/obligations/{ob.id}/history"


def test_the_etag_changes_on_every_update_and_a_stale_one_is_refused(app, client):
    team, *_, ob = small_register()
    token = token_for("editor", teams=[team])
    url = f"/api/v1/obligations/{ob.id}"
    first = client.get(url, headers=auth(token)).headers["ETag"]
    edited = client.patch(url, headers=auth(token, **{"If-Match": first}), json={"title": "Verify chip location"})
    assert edited.status_code == 200
    second = edited.headers["ETag"]
    assert second != first
    assert client.get(url, headers=auth(token)).headers["ETag"] == second
    stale = client.patch(url, headers=auth(token, **{"If-Match": first}), json={"title": "Overwritten"})
    assert stale.status_code == 412
    assert stale.headers["ETag"] == second
    assert client.get(url, headers=auth(token)).get_json()["title"] == "Verify chip location"
    stale_delete = client.delete(url, headers=auth(token, **{"If-Match": first}))
    assert stale_delete.status_code == 412
    status = client.post(f"{url}/status", headers=auth(token, **{"If-Match": second}), json={"status": "done"})
    assert status.status_code == 200 and status.headers["ETag"] != second


def test_a_rule_edit_recomputes_with_history_and_audit_like_the_ui(app, client):
    team, *_, ob = small_register()
    token = token_for("editor", email="buyer@example.com", teams=[team])
    response = client.patch(f"/api/v1/obligations/{ob.id}", headers=auth(token),
                            json={"deadline": {"rule": "fixed", "date": "2026-07", "precision": "month"}})
    body = response.get_json()
    assert (body["due_date"], body["due_state"], body["revision"]) == ("2026-07-01", "firm", 1)
    assert body["deadline"]["date"] == "2026-07"
    history = client.get(f"/api/v1/obligations/{ob.id}/history", headers=auth(token)).get_json()["items"]
    assert history[0]["revision"] == 1
    assert "deadline rule edited by buyer@example.com" in history[0]["reason"]
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.entity == "obligation",
                                                           AuditEntry.action == "update")).one()
    assert entry.actor == "buyer@example.com"


def test_create_then_soft_delete(app, client):
    team = make_team()
    token = token_for("editor", teams=[team])
    created = client.post("/api/v1/obligations", headers=auth(token), json={
        "key": "annual-recert", "title": "Annual vendor re-certification", "team_id": team.id,
        "deadline": {"rule": "recurring", "date": "2027-07-01", "rrule": "FREQ=YEARLY"}})
    assert created.status_code == 201
    assert created.headers["Location"] == created.get_json()["links"]["self"]
    assert created.get_json()["due_date"] == "2027-07-01"
    assert client.delete(created.headers["Location"], headers=auth(token)).status_code == 204
    assert client.get(created.headers["Location"], headers=auth(token)).status_code == 404
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "delete")) is not None


def test_completing_a_recurring_obligation_moves_it_to_the_next_occurrence(app, client):
    ob = make_obligation(rule="recurring", rule_date=date(2027, 1, 31), rule_rrule="FREQ=MONTHLY")
    body = client.post(f"/api/v1/obligations/{ob.id}/status", headers=auth(token_for("editor", teams=[ob.team])),
                       json={"status": "done"}).get_json()
    assert (body["status"], body["due_date"], body["completed_through"]) == ("open", "2027-02-28", "2027-01-31")


def test_pages_follow_next_links_in_due_date_order_without_gaps(app, client):
    team = make_team()
    for month in (5, 1, 3, 2, 4):
        make_obligation(team=team, rule_date=date(2027, month, 1))
    undated = make_obligation(team=team, rule="relative",
                              anchor=__import__("tests.factories", fromlist=["make_event"]).make_event(
                                  status="speculative", on=None))
    token = token_for("viewer")
    url, seen = "/api/v1/obligations?limit=2", []
    while url:
        response = client.get(url, headers=auth(token))
        page = response.get_json()
        assert len(page["items"]) <= 2
        seen += [(item["due_date"], item["id"]) for item in page["items"]]
        url = page["next"]
        if url:
            assert response.headers["Link"] == f'<{url}>; rel="next"'
            assert "limit=2" in url
    assert [due for due, _ in seen] == [f"2027-0{m}-01" for m in range(1, 6)] + [None]
    assert seen[-1][1] == undated.id


def test_filters_narrow_the_list(app, client):
    team, _, _, projected = small_register()
    other = make_team(key="legal")
    firm = make_obligation(team=other, rule_date=date(2026, 7, 1), title="California vendor certification")
    token = token_for("viewer")

    def keys(query: str) -> set[str]:
        response = client.get(f"/api/v1/obligations?{query}", headers=auth(token))
        assert response.status_code == 200, response.get_json()
        return {item["key"] for item in response.get_json()["items"]}

    assert keys("team=legal") == {firm.key}
    assert keys(f"team_id={team.id}") == {projected.key}
    assert keys("due_state=projected") == {projected.key}
    assert keys("due_before=2026-12-31") == {firm.key}
    assert keys("due_after=2027-01-01") == {projected.key}
    assert keys("q=california") == {firm.key}
    assert keys("q=100%25") == set()
    assert keys("status=done") == set()


def test_csv_export_has_the_listed_rows(app, client):
    small_register()
    response = client.get("/api/v1/obligations.csv?due_state=projected", headers=auth(token_for("viewer")))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["key"] for row in rows] == ["csa-location-verification"]
    assert rows[0]["due_state"] == "projected"


def test_history_lists_why_a_deadline_moved(app, client):
    team, _, enacted, ob = small_register()
    token = token_for("editor", teams=[team])
    client.post(f"/api/v1/events/{enacted.id}/occurred", headers=auth(token), json={"date": "2026-08-06"})
    items = client.get(f"/api/v1/obligations/{ob.id}/history", headers=auth(token)).get_json()["items"]
    assert items[0]["new_due_state"] == "firm" and items[0]["old_due_state"] == "projected"
    assert "recorded as occurred on 2026-08-06" in items[0]["reason"]
    assert db.session.scalar(db.select(db.func.count(DeadlineHistory.id))) == 1


def test_the_due_label_of_a_date_counted_from_a_month_estimate_says_so(app, client):
    """180 days after an enactment expected in September 2026: 28 Feb 2027, not 'February 2027'."""
    from tests.factories import make_event

    enactment = make_event(status="expected", on=date(2026, 9, 1), precision="month")
    ob = make_obligation(rule="relative", anchor=enactment, rule_offset=180)
    fixed = make_obligation(rule_date=date(2026, 7, 1), rule_precision="month")
    token = token_for("viewer")
    body = client.get(f"/api/v1/obligations/{ob.id}", headers=auth(token)).get_json()
    assert (body["due_date"], body["due_label"]) == ("2027-02-28", "2027-02-28 (from a month estimate)")
    body = client.get(f"/api/v1/obligations/{fixed.id}", headers=auth(token)).get_json()
    assert body["due_label"] == "2026-07-01 (July 2026)"
