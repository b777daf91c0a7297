"""Vendors in regulation packs: import (idempotent, by key), scopes, export, and refusals with paths."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from tracker.audit import CLI
from tracker.db import db
from tracker.models import Vendor, VendorContact, VendorRequest
from tracker.packs.export import export_pack
from tracker.packs.importer import import_pack_text
from tracker.packs.validate import PackInvalid


def _pack(**changes) -> dict:
    pack = {
        "pack": "vendors",
        "teams": [{"key": "procurement", "name": "Procurement", "timezone": "America/Los_Angeles",
                   "members": [{"email": "buyer@example.com", "name": "Buyer", "role": "editor"}]}],
        "sources": [{"key": "chip-security-act", "title": "Chip Security Act", "kind": "bill", "jurisdiction": "US"}],
        "events": [{"key": "csa-enacted", "source": "chip-security-act", "title": "Chip Security Act enacted",
                    "status": "expected", "date": "2026-09", "precision": "month"}],
        "vendors": [
            {"key": "acme-gpu", "name": "Acme GPU Servers", "country": "US", "categories": ["gpu_hardware"],
             "markets": ["US", "US-CA"], "team": "procurement", "owner": "buyer@example.com",
             "contacts": [{"name": "Ana Lee", "email": "ana@acme.example", "role": "primary"}]},
            {"key": "frontier", "name": "Frontier Models", "categories": ["ai_model_provider"], "markets": ["US-CA"],
             "team": "procurement", "contacts": [{"email": "legal@frontier.example", "role": "secondary"}]}],
        "obligations": [
            {"key": "csa-vendor-location-verification", "title": "Location verification of shipped chips",
             "team": "procurement", "events": ["csa-enacted"],
             "deadline": {"rule": "relative", "anchor": "csa-enacted", "offset": 180, "unit": "days"},
             "vendors": {"categories": ["gpu_hardware"]}},
            {"key": "frontier-terms", "title": "Frontier terms", "team": "procurement",
             "deadline": {"rule": "fixed", "date": "2027-01"}, "vendors": {"keys": ["frontier"]}}],
    }
    pack.update(changes)
    return pack


def _import(pack: dict):
    return import_pack_text(json.dumps(pack), CLI)


def test_import_creates_vendors_and_requests_and_reimport_changes_nothing(app):
    report = _import(_pack())
    assert "vendors: 2 created, 0 updated, 0 unchanged" in report.lines()
    assert "vendor requests created: 2" in report.lines()
    requests = db.session.execute(sa.select(Vendor.key, VendorRequest.due_date, VendorRequest.due_state)
                                  .join(Vendor, Vendor.id == VendorRequest.vendor_id).order_by(Vendor.key)).all()
    assert [(k, d.isoformat(), s) for k, d, s in requests] == [
        ("acme-gpu", "2027-02-28", "projected"), ("frontier", "2027-01-01", "firm")]

    again = _import(_pack())
    assert "vendors: 0 created, 0 updated, 2 unchanged" in again.lines()
    assert db.session.scalar(sa.select(sa.func.count(VendorRequest.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(VendorContact.id))) == 2


def test_edited_pack_updates_vendors_and_scopes_in_place(app):
    _import(_pack())
    pack = _pack()
    pack["vendors"][1]["categories"] = ["ai_model_provider", "gpu_hardware"]
    pack["vendors"][0]["contacts"].append({"name": "Bo", "email": "bo@acme.example", "role": "secondary"})
    report = _import(pack)
    assert "vendors: 0 created, 2 updated, 0 unchanged" in report.lines()
    db.session.expire_all()
    statuses = dict(db.session.execute(sa.select(Vendor.key, VendorRequest.status).join(
        Vendor, Vendor.id == VendorRequest.vendor_id).where(VendorRequest.obligation.has(
            key="csa-vendor-location-verification"))).all())
    assert statuses == {"acme-gpu": "open", "frontier": "open"}


def test_export_writes_vendors_scopes_and_read_only_requests_and_imports_back(app, clock):
    clock.move_to(datetime(2026, 6, 1, 12, tzinfo=timezone.utc))  # the enactment (September 2026) is still ahead
    _import(_pack())
    exported = export_pack()
    vendors = {v["key"]: v for v in exported["vendors"]}
    assert vendors["acme-gpu"]["contacts"] == [{"name": "Ana Lee", "email": "ana@acme.example", "role": "primary"}]
    obligation = next(o for o in exported["obligations"] if o["key"] == "csa-vendor-location-verification")
    assert obligation["vendors"] == {"categories": ["gpu_hardware"]}
    assert obligation["vendor_requests"] == [{"vendor": "acme-gpu", "due_date": "2027-02-28",
                                              "due_state": "projected", "revision": 0, "status": "open",
                                              "stale_estimate": False}]
    assert obligation["stale_estimate"] is False
    report = _import(exported)  # read-only fields are ignored
    assert "vendors: 0 created, 0 updated, 2 unchanged" in report.lines()


def test_pack_with_unknown_vendor_key_or_empty_scope_is_refused_whole_with_paths(app):
    pack = _pack()
    pack["obligations"][1]["vendors"] = {"keys": ["frontier", "ghost"]}
    pack["obligations"][0]["vendors"] = {}
    pack["vendors"][0]["categories"] = ["GPU Hardware"]
    with pytest.raises(PackInvalid) as exc:
        _import(pack)
    assert exc.value.errors == [
        "vendors[0].categories[0]: invalid category 'GPU Hardware' (lower-case letters, digits, '_' and '-', "
        "at most 50 characters, e.g. 'gpu_hardware')",
        "obligations[0].vendors: empty scope: name the vendors: categories and/or markets, or vendor keys",
        "obligations[1].vendors.keys[1]: unknown vendor 'ghost'",
    ]
    assert db.session.scalar(sa.select(sa.func.count(Vendor.id))) == 0


def test_scope_mixing_keys_and_categories_is_refused(app):
    pack = _pack()
    pack["obligations"][1]["vendors"] = {"keys": ["frontier"], "markets": ["US"]}
    with pytest.raises(PackInvalid) as exc:
        _import(pack)
    assert exc.value.errors == ["obligations[1].vendors: use either vendor keys or categories and markets, not both"]
