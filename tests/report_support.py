"""Reading reports back with independent readers (poppler's pdftotext, pypdf, openpyxl) and a small register."""

from __future__ import annotations

import io
import subprocess
from datetime import date

import openpyxl
import pypdf
from sqlalchemy import select

from tests.factories import make_event, make_obligation, make_source, make_team, make_user
from tests.vendor_files import pdf_bytes
from tests.vendor_support import make_vendor, scope
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import VendorRequest
from tracker.vendors.submissions import submit
from tracker.vendors.uploads import Upload


def pdf_text(content: bytes) -> str:
    """The PDF's text by pdftotext, whitespace made single (table cells wrap)."""
    text = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()
    return " ".join(text.split())


def pdf_reader(content: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(content))


def workbook(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def sheet_rows(book: openpyxl.Workbook, name: str) -> list[dict]:
    """A sheet's rows as dicts keyed by the header row."""
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def small_register() -> dict:
    """A team with an owner, a bill with an expected enactment, three obligations, a vendor that answered."""
    team = make_team(key="procurement", name="Procurement")
    owner = make_user(email="owner@example.com", teams=[team], password=None)
    source = make_source(key="chip-act", title="Chip Act")
    enacted = make_event(source=source, key="chip-enacted", title="Chip Act enacted", on=date(2027, 3, 1))
    relative = make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=30, key="verify",
                               title="Verify chip locations", owner_id=owner.id)
    fixed = make_obligation(team=team, key="cert", title="File the certificate", rule_date=date(2027, 1, 15))
    vendor_ob = make_obligation(team=team, key="attest", title="Collect attestations", rule_date=date(2027, 2, 1))
    vendor = make_vendor(team, key="acme", name="Acme Chips")
    scope(vendor_ob, keys=["acme"])
    request = db.session.scalar(select(VendorRequest).where(VendorRequest.obligation_id == vendor_ob.id))
    content = pdf_bytes()
    submit(request, "Ana Lee", "CEO", True, [Upload("acme-cert.pdf", io.BytesIO(content), len(content))])
    return {"team": team, "owner": owner, "source": source, "event": enacted, "relative": relative,
            "fixed": fixed, "vendor_ob": vendor_ob, "vendor": vendor, "request": request, "file": content,
            "system": SYSTEM}
