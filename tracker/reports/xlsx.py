"""A report as an Excel workbook (XlsxWriter): real dates, a filter on every sheet, no formulas.

Text is always written with write_string and never converted (no formulas, URLs
or numbers made from text); text that a spreadsheet could read as a formula
(starting with =, +, - or @) also carries the quote prefix, the mark a leading
apostrophe leaves, so no spreadsheet evaluates it even after an edit.
The document dates are the as-of day and the zip members carry XlsxWriter's
fixed timestamps, so the same register and as-of day give the same bytes.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import xlsxwriter

from tracker.reports.model import DUE_STATE_DEFINITIONS, Report, status_label

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"


class _Sheet:
    """One worksheet: a bold header row, typed cells, a filter and sensible widths."""

    def __init__(self, book: xlsxwriter.Workbook, formats: dict, name: str, headers: list[tuple[str, int]]):
        self.sheet = book.add_worksheet(name)
        self.formats = formats
        self.columns = len(headers)
        self.row = 0
        for col, (title, width) in enumerate(headers):
            self.sheet.write_string(0, col, title, formats["header"])
            self.sheet.set_column(col, col, width)
        self.sheet.freeze_panes(1, 0)

    def add(self, values: list[Any]) -> None:
        self.row += 1
        for col, value in enumerate(values):
            self._cell(col, value)

    def _cell(self, col: int, value: Any) -> None:
        if value is None or value == "":
            self.sheet.write_blank(self.row, col, None)
        elif isinstance(value, datetime):
            # Excel has no time zones: the UTC wall time, as the header says.
            self.sheet.write_datetime(self.row, col, value.replace(tzinfo=None), self.formats["time"])
        elif isinstance(value, date):
            self.sheet.write_datetime(self.row, col, datetime(value.year, value.month, value.day),
                                      self.formats["date"])
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self.sheet.write_number(self.row, col, value)
        else:
            text = str(value)
            quoted = text.startswith(FORMULA_STARTS)
            self.sheet.write_string(self.row, col, text, self.formats["quoted"] if quoted else None)

    def finish(self) -> None:
        self.sheet.autofilter(0, 0, max(self.row, 1), self.columns - 1)


def _formats(book: xlsxwriter.Workbook) -> dict:
    return {"header": book.add_format({"bold": True, "bg_color": "#DDE4EE", "bottom": 1}),
            "date": book.add_format({"num_format": DATE_FORMAT}),
            "time": book.add_format({"num_format": TIME_FORMAT}),
            "quoted": book.add_format({"quote_prefix": True})}


def _obligations(book, formats, report: Report) -> None:
    sheet = _Sheet(book, formats, "Obligations", [
        ("Title", 40), ("Key", 22), ("Team", 18), ("Owner", 26), ("Priority", 10), ("Due date", 12),
        ("Due state", 11), ("Status", 14), ("Overdue", 9), ("Why this date", 60)])
    for row in report.obligations:
        sheet.add([row.title, row.key, row.team, row.owner, row.priority, row.due_date, row.due_state,
                   status_label(row.status), "yes" if row.overdue(report.as_of) else "no", row.why])
    sheet.finish()


def _history(book, formats, report: Report) -> None:
    sheet = _Sheet(book, formats, "History", [
        ("Obligation", 40), ("Key", 22), ("When (UTC)", 17), ("Change", 10), ("From", 22), ("To", 22),
        ("Reason or note", 60), ("By", 26)])
    entries = []
    for ob in report.obligations:
        for h in ob.history:
            entries.append((h.changed_at, 0, [h.obligation_title, h.obligation_key, h.changed_at, "Due date",
                                              _due_text(h.old_date, h.old_state), _due_text(h.new_date, h.new_state),
                                              h.reason, ""]))
        for s in ob.status_changes:
            entries.append((s.at, 1, [s.obligation_title, s.obligation_key, s.at, "Status",
                                      status_label(s.old) if s.old else "", status_label(s.new), s.note, s.actor]))
    for _, _, values in sorted(entries, key=lambda e: (e[0], e[1], e[2][1])):
        sheet.add(values)
    sheet.finish()


def _due_text(day: date | None, state: str | None) -> str:
    if state is None:
        return ""
    return f"{state} {day.isoformat()}" if day else state


def _evidence(book, formats, report: Report) -> None:
    sheet = _Sheet(book, formats, "Evidence", [
        ("Obligation", 40), ("Key", 22), ("From", 24), ("File name", 30), ("SHA-256", 66), ("Size (bytes)", 12),
        ("Added (UTC)", 17), ("Valid until", 12), ("Link", 50)])
    for ob in report.obligations:
        for e in ob.evidence:
            sheet.add([e.obligation_title, e.obligation_key, e.origin, e.filename, e.sha256, e.size, e.added_at,
                       e.valid_until, e.link])
    sheet.finish()


def _vendors(book, formats, report: Report) -> None:
    sheet = _Sheet(book, formats, "Vendors", [
        ("Vendor", 28), ("Key", 20), ("Status", 12), ("Country", 9), ("Categories", 28), ("Markets", 16),
        ("Team", 18), ("Owner", 26)])
    for v in report.vendors:
        sheet.add([v.name, v.key, v.status, v.country, ", ".join(v.categories), ", ".join(v.markets), v.team, v.owner])
    sheet.finish()
    sheet = _Sheet(book, formats, "Requests", [
        ("Vendor", 28), ("Vendor key", 20), ("Obligation", 40), ("Key", 22), ("Due date", 12), ("Due state", 11),
        ("Status", 14), ("Reason", 40), ("Answers", 9), ("Last signed (UTC)", 17), ("Signer", 24), ("Files", 40)])
    for r in report.requests:
        last = r.answers[-1] if r.answers else None
        sheet.add([r.vendor_name, r.vendor_key, r.obligation_title, r.obligation_key, r.due_date, r.due_state,
                   status_label(r.status), r.status_reason, len(r.answers), last.signed_at if last else None,
                   last.signer if last else "", ", ".join(last.files) if last else ""])
    sheet.finish()


def _about(book, formats, report: Report) -> None:
    sheet = _Sheet(book, formats, "About", [("Item", 22), ("Value", 100)])
    sheet.add(["Organization", report.organization])
    sheet.add(["Scope", report.scope.label])
    sheet.add(["As of", report.as_of])
    if report.historical:
        sheet.add(["Note", banner(report)])
    for state, words in DUE_STATE_DEFINITIONS.items():
        sheet.add([f"Due state: {state}", words])
    sheet.finish()


def banner(report: Report) -> str:
    """The as-of warning both formats carry."""
    return (f"As of the end of {report.as_of.isoformat()} (UTC): due dates, statuses, owners and evidence as they "
            f"stood then, reconstructed from the deadline history and the audit log. Items added later are absent.")


def render_xlsx(report: Report) -> bytes:
    """The workbook's bytes."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    book.set_properties({"title": report.title, "subject": report.scope.label, "author": report.organization,
                         "company": report.organization, "created": report.metadata_time})
    formats = _formats(book)
    _obligations(book, formats, report)
    _history(book, formats, report)
    _evidence(book, formats, report)
    if report.has_vendor_part:
        _vendors(book, formats, report)
    _about(book, formats, report)
    book.close()
    return out.getvalue()
