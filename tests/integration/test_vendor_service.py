"""The vendor register, vendor-scoped obligations and their fan-out into requests."""

from datetime import date

import pytest
import sqlalchemy as sa

from tracker.audit import SYSTEM, Actor
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.models import AuditEntry, VendorRequest, VendorRequestHistory
from tracker.register.events import EventDate, record_event_change
from tracker.vendors.fanout import SCOPE_LEFT
from tracker.vendors.operations import add_contact, create_vendor, offboard_vendor, remove_contact, update_vendor
from tracker.vendors.requests import normalized_scope, set_request_status, set_scope
from tests.factories import make_event, make_obligation, make_source, make_team, make_user
from tests.vendor_support import make_vendor, scope


def _requests(obligation):
    db.session.expire_all()
    return {r.vendor.key: r for r in db.session.scalars(
        sa.select(VendorRequest).where(VendorRequest.obligation_id == obligation.id))}


def test_scope_takes_vendors_with_every_category_and_one_market(app):
    team = make_team()
    make_vendor(team, key="gpu-ca", categories=["gpu_hardware", "cloud"], markets=["US", "US-CA"])
    make_vendor(team, key="gpu-us", categories=["gpu_hardware"], markets=["US"])
    make_vendor(team, key="cloud-ca", categories=["cloud"], markets=["US-CA"])
    make_vendor(team, key="gpu-prospect", categories=["gpu_hardware"], markets=["US-CA"], status="prospective")
    obligation = make_obligation(team)

    counts = scope(obligation, categories=["gpu_hardware"], markets=["US-CA", "EU"])

    assert counts["created"] == 1
    assert set(_requests(obligation)) == {"gpu-ca"}
    scope(obligation, categories=["gpu_hardware"])
    assert {k: r.status for k, r in _requests(obligation).items()} == {"gpu-ca": "open", "gpu-us": "open"}


def test_requests_carry_the_obligation_due_date(app):
    team = make_team()
    make_vendor(team, key="v1")
    obligation = make_obligation(team, rule_date=date(2027, 3, 1))
    scope(obligation, keys=["v1"])
    request = _requests(obligation)["v1"]
    assert (request.due_date, request.due_state, request.revision, request.status) == (date(2027, 3, 1), "firm", 0, "open")


def test_vendor_leaving_the_scope_keeps_its_request_not_applicable_and_regains_it(app):
    team = make_team()
    vendor = make_vendor(team, key="acme", categories=["gpu_hardware"])
    obligation = make_obligation(team)
    scope(obligation, categories=["gpu_hardware"])

    update_vendor(vendor, SYSTEM, categories=["cloud"])
    request = _requests(obligation)["acme"]
    assert (request.status, request.status_reason) == ("not_applicable", SCOPE_LEFT)

    update_vendor(vendor, SYSTEM, categories=["gpu_hardware", "cloud"])
    assert _requests(obligation)["acme"].status == "open"
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "vendor_request")
                                 .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["create", "update", "update"]


def test_offboarded_vendor_leaves_every_scope_and_a_new_vendor_joins(app):
    team = make_team()
    vendor = make_vendor(team, key="old")
    obligation = make_obligation(team)
    scope(obligation, categories=["gpu_hardware"])
    offboard_vendor(vendor, SYSTEM)
    make_vendor(team, key="new")
    requests = _requests(obligation)
    assert {k: r.status for k, r in requests.items()} == {"old": "not_applicable", "new": "open"}


def test_recording_the_anchor_moves_every_request_with_history(app):
    team = make_team()
    for n in range(3):
        make_vendor(team, key=f"gpu-{n}")
    source = make_source(title="Chip Security Act")
    enactment = make_event(source, status="expected", on=date(2026, 9, 1), precision="month",
                           title="Chip Security Act enacted")
    obligation = make_obligation(team, rule="relative", anchor=enactment, rule_offset=180)
    scope(obligation, categories=["gpu_hardware"])
    assert {r.due_state for r in _requests(obligation).values()} == {"projected"}

    record_event_change(enactment, EventDate("occurred", date(2026, 8, 6)), Actor.of(make_user()))

    requests = _requests(obligation)
    assert {(r.due_date, r.due_state, r.revision) for r in requests.values()} == {(date(2027, 2, 2), "firm", 1)}
    history = db.session.scalars(sa.select(VendorRequestHistory).order_by(VendorRequestHistory.id)).all()
    assert len(history) == 3
    assert history[0].reason == ("anchor event 'Chip Security Act enacted' recorded as occurred on 2026-08-06: "
                                 "projected 2027-02-28 -> firm 2027-02-02")
    assert (history[0].old_due_date, history[0].new_due_date, history[0].old_due_state) == (
        date(2027, 2, 28), date(2027, 2, 2), "projected")


def test_scope_refuses_unknown_keys_mixed_and_empty_scopes(app):
    team = make_team()
    obligation = make_obligation(team)
    with pytest.raises(ValidationFailed) as exc:
        set_scope(obligation, normalized_scope(keys=["ghost"]), SYSTEM)
    assert exc.value.errors == {"keys": "unknown vendor 'ghost'"}
    with pytest.raises(ValidationFailed) as exc:
        set_scope(obligation, normalized_scope(), SYSTEM)
    assert "vendors" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        set_scope(obligation, normalized_scope(categories=["Bad Tag"]), SYSTEM)
    assert "categories" in exc.value.errors


def test_vendor_fields_are_checked_and_keys_unique(app):
    team = make_team()
    with pytest.raises(ValidationFailed) as exc:
        create_vendor(SYSTEM, key="bad key", name="", website="ftp://x", country="usa",
                      categories=["ok", "NOT OK"], markets=["california"], team_id=team.id)
    assert set(exc.value.errors) == {"key", "name", "website", "country", "categories", "markets"}
    make_vendor(team, key="dup")
    with pytest.raises(Conflict):
        make_vendor(team, key="dup")


def test_contacts_are_checked_unique_per_vendor_and_removable(app):
    team = make_team()
    vendor = make_vendor(team, contacts=[])
    contact = add_contact(vendor, SYSTEM, name="Ana Lee", email="Ana@Acme.example", role="primary")
    assert contact.email == "ana@acme.example"
    with pytest.raises(Conflict):
        add_contact(vendor, SYSTEM, name="Ana again", email="ana@acme.example")
    with pytest.raises(ValidationFailed) as exc:
        add_contact(vendor, SYSTEM, name="X", email="not-an-address", role="boss")
    assert set(exc.value.errors) == {"email", "role"}
    remove_contact(contact, SYSTEM)
    db.session.expire_all()
    assert vendor.contacts == []


def test_request_status_needs_a_reason_to_reject(app):
    team = make_team()
    make_vendor(team, key="v")
    obligation = make_obligation(team)
    scope(obligation, keys=["v"])
    request = _requests(obligation)["v"]
    with pytest.raises(ValidationFailed):
        set_request_status(request, "rejected", SYSTEM)
    assert set_request_status(request, "rejected", SYSTEM, reason="the statement is unsigned")
    assert request.status == "rejected"


class _Statements:
    def __init__(self):
        self.count = 0

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def _seen(self, *args):
        self.count += 1

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self._seen)


def _statements_to_record(vendors: int) -> int:
    team, category = make_team(), f"round-{vendors}"
    for _ in range(vendors):
        make_vendor(team, categories=[category])
    event = make_event(make_source(), status="expected", on=date(2026, 9, 1))
    for _ in range(2):
        scope(make_obligation(team, rule="relative", anchor=event, rule_offset=30), categories=[category])
    db.session.expire_all()
    event = db.session.get(type(event), event.id)
    with _Statements() as counter:
        record_event_change(event, EventDate("occurred", date(2026, 8, 6)), SYSTEM)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VendorRequestHistory).where(
        VendorRequestHistory.request_id.in_(sa.select(VendorRequest.id).where(
            VendorRequest.obligation.has(anchor_event_id=event.id))))) == 2 * vendors
    return counter.count


def test_moving_requests_takes_the_same_statements_for_2_or_12_vendors(app):
    assert _statements_to_record(2) == _statements_to_record(12)


def test_editing_the_rule_moves_every_request_with_the_reason(app):
    from tracker.register.obligations import ObligationInput, update_obligation

    team = make_team()
    make_vendor(team, key="a")
    make_vendor(team, key="b")
    obligation = make_obligation(team, rule_date=date(2027, 1, 15))
    scope(obligation, keys=["a", "b"])
    editor = make_user(email="ed@example.com")
    update_obligation(obligation, ObligationInput(key=obligation.key, title=obligation.title, team_id=team.id,
                                                  rule="fixed", rule_date=date(2027, 3, 1)), Actor.of(editor))
    requests = _requests(obligation)
    assert {(r.due_date, r.revision) for r in requests.values()} == {(date(2027, 3, 1), 1)}
    reasons = {h.reason for r in requests.values() for h in r.history}
    assert reasons == {"deadline rule edited by ed@example.com: firm 2027-01-15 -> firm 2027-03-01"}
