"""Sources and events pages, and recording an event through its preview."""

from __future__ import annotations

from datetime import date

from tests.factories import login, make_event, make_obligation, make_source, make_team, make_user
from tracker.db import db
from tracker.models import DeadlineHistory, Event, Obligation, Source


def _chip_act():
    team = make_team(name="Procurement")
    source = make_source(title="Chip Security Act")
    committee = make_event(source=source, status="occurred", on=date(2026, 3, 26), title="Passed committee 42-0")
    enacted = make_event(source=source, status="expected", on=date(2026, 9, 1), precision="month",
                         title="Chip Security Act enacted")
    ob = make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=180,
                         title="Location verification", event_ids=[committee.id])
    return source, committee, enacted, ob


def test_source_page_shows_events_in_order_and_the_obligations_they_drive(client):
    source, committee, enacted, ob = _chip_act()
    login(client, make_user(role="viewer"))
    page = client.get(f"/sources/{source.id}").get_data(as_text=True)
    assert page.index("Passed committee 42-0") < page.index("Chip Security Act enacted")
    assert "September 2026 (expected)" in page and "Location verification" in page
    assert "Chip Security Act" in client.get("/sources").get_data(as_text=True)
    assert "Passed committee 42-0" in client.get("/events").get_data(as_text=True)


def test_preview_lists_every_moving_deadline_and_writes_nothing(client):
    source, committee, enacted, ob = _chip_act()
    login(client, make_user(role="editor", teams=[ob.team]))
    response = client.post(f"/events/{enacted.id}/preview", data={"status": "occurred", "date": "2026-08-06"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Location verification" in page and "2027-02-28 (projected)" in page and "2027-02-02 (firm)" in page
    assert "Nothing is saved until you confirm." in page
    db.session.expire_all()
    assert db.session.get(Event, enacted.id).status == "expected"
    assert db.session.get(Obligation, ob.id).revision == 0


def test_confirming_records_the_event_and_moves_the_deadline(client):
    source, committee, enacted, ob = _chip_act()
    login(client, make_user(role="editor", teams=[ob.team]))
    preview = client.post(f"/events/{enacted.id}/preview", data={"status": "occurred", "date": "2026-08-06"})
    fingerprint = preview.get_data(as_text=True).split('name="fingerprint" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/events/{enacted.id}/record", data={"status": "occurred", "date": "2026-08-06",
                                                                 "fingerprint": fingerprint}, follow_redirects=True)
    assert "Recorded. 1 deadline moved." in response.get_data(as_text=True)
    db.session.expire_all()
    moved = db.session.get(Obligation, ob.id)
    assert (moved.due_date, moved.due_state, moved.revision) == (date(2027, 2, 2), "firm", 1)
    detail = client.get(f"/obligations/{ob.id}").get_data(as_text=True)
    assert "recorded as occurred on 2026-08-06" in detail and "= 2027-02-02, firm" in detail


def test_confirm_after_the_register_changed_shows_the_new_preview_instead(client):
    source, committee, enacted, ob = _chip_act()
    login(client, make_user(role="editor", teams=[ob.team]))
    preview = client.post(f"/events/{enacted.id}/preview", data={"status": "occurred", "date": "2026-08-06"})
    fingerprint = preview.get_data(as_text=True).split('name="fingerprint" type="hidden" value="')[1].split('"')[0]
    make_obligation(team=ob.team, rule="relative", anchor=enacted, rule_offset=30, title="Newcomer")
    response = client.post(f"/events/{enacted.id}/record", data={"status": "occurred", "date": "2026-08-06",
                                                                 "fingerprint": fingerprint})
    assert response.status_code == 409
    assert "Newcomer" in response.get_data(as_text=True)
    assert "The deadlines changed since the preview" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, enacted.id).status == "expected"
    assert db.session.scalar(db.select(DeadlineHistory.id)) is None


def test_bad_event_change_shows_errors_on_the_event_page(client):
    source, committee, enacted, ob = _chip_act()
    login(client, make_user(role="editor", teams=[ob.team]))
    response = client.post(f"/events/{enacted.id}/preview", data={"status": "occurred", "date": ""})
    assert response.status_code == 400 and "needs a date" in response.get_data(as_text=True)
    response = client.post(f"/events/{enacted.id}/preview", data={"status": "occurred", "date": "2026-02-30"})
    assert response.status_code == 400 and "is not a valid date" in response.get_data(as_text=True)
    response = client.post(f"/events/{enacted.id}/record", data={"status": "nonsense", "date": "2026-01-01"})
    assert response.status_code == 400


def test_withdrawing_voids_the_deadline(client):
    source, committee, enacted, ob = _chip_act()
    login(client, make_user(role="editor", teams=[ob.team]))
    preview = client.post(f"/events/{enacted.id}/preview", data={"status": "withdrawn", "date": ""})
    page = preview.get_data(as_text=True)
    assert "no date (void)" in page
    fingerprint = page.split('name="fingerprint" type="hidden" value="')[1].split('"')[0]
    client.post(f"/events/{enacted.id}/record", data={"status": "withdrawn", "date": "", "fingerprint": fingerprint})
    db.session.expire_all()
    assert db.session.get(Obligation, ob.id).due_state == "void"


def test_source_create_edit_delete(client):
    login(client, make_user(role="editor"))
    response = client.post("/sources/new", data={"key": "eo-1", "title": "Executive order", "kind": "executive_order",
                                                 "jurisdiction": "us-ca", "url": "javascript:alert(1)"})
    assert response.status_code == 400 and "http://" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Source.id)) is None
    response = client.post("/sources/new", data={"key": "eo-1", "title": "Executive order", "kind": "executive_order",
                                                 "jurisdiction": "us-ca", "url": "https://gov.example/eo"})
    source = db.session.scalar(db.select(Source))
    assert response.status_code == 302 and source.jurisdiction == "US-CA"
    client.post(f"/sources/{source.id}/edit", data={"key": "eo-1", "title": "EO N-5-26", "kind": "executive_order",
                                                    "jurisdiction": "US-CA"})
    db.session.expire_all()
    assert db.session.get(Source, source.id).title == "EO N-5-26"
    response = client.post("/sources/new", data={"key": "eo-1", "title": "Again", "kind": "bill", "jurisdiction": "US"})
    assert response.status_code == 409
    client.post(f"/sources/{source.id}/delete")
    assert db.session.scalar(db.select(Source.id).filter_by(key="eo-1")) is None


def test_event_create_edit_and_delete_conflict(client):
    source, committee, enacted, ob = _chip_act()
    login(client, make_user(role="editor"))
    response = client.post("/events/new", data={"source_id": source.id, "key": "csa-signed", "title": "Signed",
                                                "status": "expected", "date": "2026-Q4"})
    assert response.status_code == 302
    signed = db.session.scalar(db.select(Event).filter_by(key="csa-signed"))
    assert (signed.expected_on, signed.precision) == (date(2026, 10, 1), "quarter")
    response = client.post("/events/new", data={"source_id": source.id, "key": "csa-signed", "title": "Dup",
                                                "status": "expected", "date": "2026"})
    assert response.status_code == 409
    client.post(f"/events/{signed.id}/edit", data={"source_id": source.id, "key": "csa-signed", "title": "Signed into law"})
    db.session.expire_all()
    assert db.session.get(Event, signed.id).title == "Signed into law"
    response = client.post(f"/events/{enacted.id}/delete", follow_redirects=True)
    assert "Not deleted" in response.get_data(as_text=True)
    assert db.session.get(Event, enacted.id) is not None
    client.post(f"/events/{signed.id}/delete")
    assert db.session.scalar(db.select(Event.id).filter_by(key="csa-signed")) is None
