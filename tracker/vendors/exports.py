"""The vendor list and the vendor matrix as CSV."""

from __future__ import annotations

import csv
import io
from typing import Iterable

from tracker.models import Vendor
from tracker.register.exports import _cell as csv_cell  # the one CSV-injection guard
from tracker.vendors.queries import Matrix

VENDOR_COLUMNS = ("key", "name", "status", "team", "owner", "country", "categories", "markets", "website",
                  "primary_contact", "url")
MATRIX_COLUMNS = ("vendor_key", "vendor", "obligation_key", "obligation", "status", "due_date", "due_state",
                  "overdue_days", "url")


def _writer():
    out = io.StringIO()
    return out, csv.writer(out, lineterminator="\r\n")


def vendors_csv(vendors: Iterable[Vendor], base_url: str) -> str:
    """CSV text (header + one row per vendor); team, owner and contacts are read."""
    out, writer = _writer()
    writer.writerow(VENDOR_COLUMNS)
    base = base_url.rstrip("/")
    for v in vendors:
        primary = next((c for c in v.contacts if c.role == "primary"), None)
        writer.writerow([csv_cell(value) for value in (
            v.key, v.name, v.status, v.team.name, v.owner.email if v.owner else "", v.country,
            " ".join(v.categories or []), " ".join(v.markets or []), v.website,
            primary.email if primary else "", f"{base}/vendors/{v.id}")])
    return out.getvalue()


def matrix_csv(matrix: Matrix, base_url: str) -> str:
    """One row per cell that has a request (vendor x obligation)."""
    out, writer = _writer()
    writer.writerow(MATRIX_COLUMNS)
    base = base_url.rstrip("/")
    for vendor in matrix.vendors:
        for ob in matrix.obligations:
            cell = matrix.cell(vendor.id, ob.id)
            if cell is None:
                continue
            writer.writerow([csv_cell(value) for value in (
                vendor.key, vendor.name, ob.key, ob.title, cell.status,
                cell.due_date.isoformat() if cell.due_date else "", cell.due_state, cell.overdue_days,
                f"{base}/vendors/{vendor.id}")])
    return out.getvalue()
