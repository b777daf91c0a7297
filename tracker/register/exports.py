"""The obligation list as CSV, shared by the web UI download and the API."""

from __future__ import annotations

import csv
import io
from typing import Iterable

from tracker.models import Obligation
from tracker.register.queries import obligation_page_url

COLUMNS = ("key", "title", "team", "owner", "rule", "due_date", "due_precision", "due_state",
           "status", "revision", "source_events", "url")
# A cell starting with one of these is a formula in Excel and LibreOffice.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text  # shown as text, never evaluated (CSV injection)
    return text


def obligations_csv(obligations: Iterable[Obligation], base_url: str) -> str:
    """CSV text (header + one row per obligation); load team, owner and events first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for ob in obligations:
        writer.writerow([_cell(v) for v in (
            ob.key, ob.title, ob.team.name, ob.owner.email if ob.owner else "", ob.rule,
            ob.due_date.isoformat() if ob.due_date else "", ob.due_precision, ob.due_state,
            ob.status, ob.revision, "; ".join(e.title for e in ob.events),
            obligation_page_url(ob.id, base_url),
        )])
    return out.getvalue()
