"""Vendor mail over real SMTP (aiosmtpd on loopback): requests, one change notice per contact per cause,
the links in them, reminders and the one-click opt-out, the team's progress summary."""

import re
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from tracker.audit import Actor
from tracker.db import db
from tracker.jobs.reminder_pass import run_pass
from tracker.models import VendorContact, VendorMailItem, VendorRequest
from tracker.register.events import EventDate, record_event_change
from tests.factories import make_event, make_obligation, make_source, make_team, make_user
from tests.vendor_support import make_vendor, scope


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def world(app, clock):
    clock.move_to(datetime(2026, 5, 1, 12, tzinfo=timezone.utc))
    team = make_team(key="procurement", name="Procurement", timezone="America/New_York")
    member = make_user(email="buyer@example.com", teams=[team])
    act = make_source(key="csa", title="Chip Security Act")
    enacted = make_event(act, status="expected", on=date(2026, 9, 1), title="Chip Security Act enacted")
    location = make_obligation(team, rule="relative", key="location", title="Location verification",
                               anchor=enacted, rule_offset=180, rule_unit="days")
    audit = make_obligation(team, rule="relative", key="audit", title="Supply-chain audit",
                            anchor=enacted, rule_offset=90, rule_unit="days")
    vendors = [make_vendor(team, key=f"gpu-{n}", name=f"GPU Maker {n}", categories=["gpu_hardware"],
                           contacts=[{"name": f"Primary {n}", "email": f"p{n}@gpu{n}.example", "role": "primary"},
                                     {"name": f"Second {n}", "email": f"s{n}@gpu{n}.example", "role": "secondary"}])
               for n in (1, 2)]
    for obligation in (location, audit):
        scope(obligation, categories=["gpu_hardware"])
    return {"team": team, "member": member, "event": enacted, "vendors": vendors, "obligations": (location, audit)}


def test_requests_go_once_per_contact_listing_each_request_with_its_link(app, smtp, world, client):
    run_pass(datetime(2026, 6, 1, 14, tzinfo=timezone.utc))
    requests = [m for m in smtp.messages if m["Subject"].startswith("2 requests from Procurement")]
    assert sorted(m["To"].addresses[0].addr_spec for m in requests) == [
        "p1@gpu1.example", "p2@gpu2.example", "s1@gpu1.example", "s2@gpu2.example"]
    assert all(m["Message-ID"].startswith("<v.") for m in requests)  # one line, not folded
    body = _text(requests[0])
    assert "Location verification" in body and "Supply-chain audit" in body and "projected" in body
    links = re.findall(r"https://tracker\.example\.test(/respond/[A-Za-z0-9_-]{43})", body)
    assert len(links) == 2
    titles = {client.get(link).get_data(as_text=True).count("Location verification") > 0 for link in links}
    assert titles == {True, False}  # one link per request, each opening its own
    count = len(smtp.messages)
    run_pass(datetime(2026, 6, 1, 14, 10, tzinfo=timezone.utc))
    assert len(smtp.messages) == count  # at most once


def test_the_event_moving_every_deadline_sends_one_change_notice_per_contact(app, smtp, world, client, clock):
    run_pass(datetime(2026, 6, 1, 14, tzinfo=timezone.utc))
    before = len(smtp.messages)
    clock.move_to(datetime(2026, 8, 6, 14, tzinfo=timezone.utc))
    record_event_change(world["event"], EventDate("occurred", date(2026, 8, 6)), Actor.of(world["member"]))
    db.session.expire_all()
    moved = db.session.scalars(sa.select(VendorRequest)).all()
    assert {(r.revision, r.due_state) for r in moved} == {(1, "firm")}
    run_pass(datetime(2026, 8, 6, 15, tzinfo=timezone.utc))
    contacts = {c.email for v in world["vendors"] for c in v.contacts}
    moved_mail = [m for m in smtp.messages[before:] if "moved" in m["Subject"]]
    changes = [m for m in moved_mail if m["To"].addresses[0].addr_spec in contacts]
    assert len(changes) == 4  # one per contact, not one per request
    # The team member gets the team's own grouped change notice, once.
    assert [m["To"].addresses[0].addr_spec for m in moved_mail if m not in changes] == [world["member"].email]
    by_contact = {m["To"].addresses[0].addr_spec: m for m in changes}
    body = _text(by_contact["p1@gpu1.example"])
    assert "2 deadlines moved for GPU Maker 1" == by_contact["p1@gpu1.example"]["Subject"]
    assert "Location verification" in body and "Supply-chain audit" in body
    assert "Was: Sun 28 Feb 2027 (projected). Now: Tue 2 Feb 2027 (firm)." in body
    assert "recorded as occurred on 2026-08-06" in body
    link = re.search(r"https://tracker\.example\.test(/respond/[A-Za-z0-9_-]{43})", body).group(1)
    page = client.get(link).get_data(as_text=True)
    assert "GPU Maker 1" in page and ("Location verification" in page or "Supply-chain audit" in page)
    assert "firm" in page.lower()
    count = len(smtp.messages)
    run_pass(datetime(2026, 8, 6, 15, 10, tzinfo=timezone.utc))
    assert len(smtp.messages) == count
    keys = db.session.scalars(sa.select(VendorMailItem.item_key).where(VendorMailItem.item_key.like("vendor_change:%")))
    assert len(list(keys)) == 8  # 2 requests x 4 contacts, each in exactly one message


def test_reminders_follow_the_team_lead_times_and_one_click_stops_them(app, smtp, world, client):
    run_pass(datetime(2026, 6, 1, 14, tzinfo=timezone.utc))
    # Supply-chain audit: 90 days after 2026-09-01 = 2026-11-30; the 30-day reminder is 2026-10-31 09:00 New York.
    run_pass(datetime(2026, 10, 31, 13, 30, tzinfo=timezone.utc))
    reminders = [m for m in smtp.messages if m["Subject"].startswith("Reminder: Supply-chain audit")]
    assert len(reminders) == 4
    unsubscribe = reminders[0]["List-Unsubscribe"].strip("<>")
    assert reminders[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = unsubscribe.replace("https://tracker.example.test", "")
    assert client.post(path).status_code == 200
    db.session.expire_all()
    who = reminders[0]["To"].addresses[0].addr_spec
    assert db.session.scalar(sa.select(VendorContact.reminders_opt_out).where(VendorContact.email == who))
    run_pass(datetime(2026, 11, 23, 14, 30, tzinfo=timezone.utc))  # the 7-day reminder
    later = [m["To"].addresses[0].addr_spec for m in smtp.messages if "Supply-chain audit" in m["Subject"]
             and m["Subject"].startswith("Reminder") and m not in reminders]
    assert who not in later and len(later) == 3


def test_members_get_one_progress_summary_per_obligation(app, smtp, world, client):
    from tests.vendor_files import pdf_bytes
    from tracker.vendors.links import ensure_link
    from tracker.audit import SYSTEM
    import io

    for request in db.session.scalars(sa.select(VendorRequest)).all():
        token = ensure_link(request, SYSTEM)
        response = client.post(f"/respond/{token}", data={"name": "Ana", "title": "", "confirm": "yes",
                                                          "files": [(io.BytesIO(pdf_bytes()), "c.pdf")]},
                               content_type="multipart/form-data")
        assert response.status_code == 303
    run_pass(datetime(2026, 5, 1, 22, tzinfo=timezone.utc))  # 18:00 in New York
    summaries = [m for m in smtp.messages if m["Subject"].startswith("Vendor progress")]
    assert sorted(m["Subject"].strip() for m in summaries) == ["Vendor progress: Location verification",
                                                              "Vendor progress: Supply-chain audit"]
    assert all(m["To"].addresses[0].addr_spec == "buyer@example.com" for m in summaries)
    assert "0 of 2 accepted, 2 submitted" in _text(summaries[0]) and "GPU Maker 1" in _text(summaries[0])
    receipts = [m for m in smtp.messages if m["Subject"].startswith("Received")]
    assert len(receipts) == 8


def test_vendor_mail_names_the_organization_and_replies_go_to_its_address(app, smtp, world, client):
    from tracker.organization import save_organization

    save_organization("Acme Robotics", "Vendor-Compliance@Acme.example", Actor(None, "test"))
    run_pass(datetime(2026, 6, 1, 14, tzinfo=timezone.utc))
    requests = [m for m in smtp.messages if m["Subject"].startswith("2 requests from Procurement")]
    assert requests and all(m["Reply-To"] == "vendor-compliance@acme.example" for m in requests)
    body = _text(requests[0])
    assert "Procurement at Acme Robotics asks GPU Maker" in body
    assert "write to vendor-compliance@acme.example" in body


def test_without_settings_vendor_mail_names_the_configured_default_and_has_no_reply_to(app, smtp, world, client):
    run_pass(datetime(2026, 6, 1, 14, tzinfo=timezone.utc))
    requests = [m for m in smtp.messages if m["Subject"].startswith("2 requests from Procurement")]
    assert requests and all(m["Reply-To"] is None for m in requests)
    assert "Procurement at our organization asks GPU Maker" in _text(requests[0])
