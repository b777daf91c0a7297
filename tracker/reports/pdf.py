"""A report as a PDF: the HTML of templates/reports/report.html laid out by WeasyPrint.

WeasyPrint keeps every laid-out page in memory until it writes, and a page of a
2,000-obligation report costs about a megabyte; so the report is laid out in
parts (the summary and timeline, the obligations table and the details in slices
of CHUNK obligations, the vendors and appendix), each written and let go before
the next, then joined with pypdf. Each part starts its page count where the last
ended; the cover, with the table of contents, is laid out last, when every
section's page is known. An obligation's history, status changes and evidence
are lines of one paragraph rather than tables: WeasyPrint lays out each table
cell as a box of its own, which is what made a large report slow.
Nothing is fetched while rendering: every resource URL is refused. The document
dates are the as-of day, never the clock.
"""

from __future__ import annotations

import io
from typing import Iterator

from flask import render_template
from markupsafe import Markup

from tracker.reports.model import DUE_STATE_DEFINITIONS, ObligationRow, Report, RequestRow, status_label
from tracker.reports.xlsx import banner

MATRIX_COLUMNS = 6  # vendors per matrix table: a wider one would not fit a landscape page
CHUNK = 250  # obligations per part: bounds the pages held in memory at once
STAMP = "%Y-%m-%d %H:%M"
SECTIONS = {"summary": "Summary", "timeline": "Timeline", "obligations": "Obligations",
            "details": "Deadline history, status changes and evidence", "vendors": "Vendors",
            "appendix": "Appendix: due states"}


def _due(day, state) -> str:
    if state is None:
        return "—"
    return f"{state} {day.isoformat()}" if day else state


def detail_lines(ob: ObligationRow) -> list[str]:
    """The lines under an obligation's heading: deadline moves, status changes, evidence."""
    lines = [f"Due date · {h.changed_at.strftime(STAMP)} · {_due(h.old_date, h.old_state)} → "
             f"{_due(h.new_date, h.new_state)} · {h.reason}" for h in ob.history] or ["Due date · never moved"]
    lines += [f"Status · {s.at.strftime(STAMP)} · "
              f"{status_label(s.old) + ' → ' if s.old else ''}{status_label(s.new)} · by {s.actor}"
              f"{' · ' + s.note if s.note else ''}" for s in ob.status_changes]
    lines += [f"Evidence · {e.filename} · SHA-256 {e.sha256} · "
              f"{'valid until ' + e.valid_until.isoformat() if e.valid_until else 'no expiry'} · {e.origin} · {e.link}"
              for e in ob.evidence] or ["Evidence · none"]
    return lines


def answer_lines(request: RequestRow) -> list[str]:
    """A vendor request's answers: who signed what, when, with which files."""
    if not request.answers:
        return ["No answer yet."]
    return [f"Answer · {a.signed_at.strftime(STAMP)} · {a.signer}{', ' + a.signer_title if a.signer_title else ''}"
            f" · files: {', '.join(a.files) or 'none'} · “{a.statement}”" for a in request.answers]


def css_string(text: str) -> Markup:
    """`text` as a quoted CSS string: every character but plain letters, digits and spaces escaped."""
    escaped = "".join(ch if ch.isascii() and (ch.isalnum() or ch in " .,:()-_") else f"\\{ord(ch):x} "
                      for ch in text)
    return Markup(f'"{escaped}"')


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"reports fetch nothing ({url[:60]})")


def _parts(report: Report) -> Iterator[tuple[str, dict]]:
    yield "main", {}
    rows = report.obligations
    for start in range(0, max(len(rows), 1), CHUNK * 2):  # table rows are short: twice as many a part
        yield "table", {"obligations": rows[start:start + CHUNK * 2], "first_chunk": start == 0}
    for start in range(0, max(len(rows), 1), CHUNK):
        yield "details", {"obligations": rows[start:start + CHUNK], "first_chunk": start == 0}
    yield "end", {}


def _context(report: Report) -> dict:
    overdue, bars, later, undated = report.timeline()
    widest = max([overdue, later, undated, *(bar.total for bar in bars)]) or 1
    vendor_names = [v.name for v in report.vendors]
    matrix_ids = {r.obligation_id for r in report.requests}
    return dict(
        report=report, summary=report.summary(), bars=bars, overdue=overdue, later=later, undated=undated,
        widest=widest, banner=banner(report) if report.historical else "", definitions=DUE_STATE_DEFINITIONS,
        status_label=status_label, detail_lines=detail_lines, answer_lines=answer_lines,
        vendor_groups=[vendor_names[i:i + MATRIX_COLUMNS] for i in range(0, len(vendor_names), MATRIX_COLUMNS)],
        matrix_rows=[ob for ob in report.obligations if ob.id in matrix_ids],
        cells={(r.obligation_id, r.vendor_name): r for r in report.requests},
        stamp=report.metadata_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        running_head=css_string(f"{report.organization} — {report.scope.label}"))


def _lay_out(context: dict, part: str, first_page: int, **values):
    from weasyprint import HTML  # heavy (Pango, fonts): loaded when a PDF is asked for

    html = render_template("reports/report.html", **context, part=part, first_page=first_page, **values)
    return HTML(string=html, url_fetcher=_refuse_fetch).render()


def render_pdf(report: Report) -> bytes:
    """The PDF's bytes."""
    from pypdf import PdfWriter

    context = _context(report)
    written, starts, page = [], {}, 2  # page 1 is the cover
    for part, values in _parts(report):
        document = _lay_out(context, part, page, **values)
        for number, laid_out in enumerate(document.pages):
            for anchor in laid_out.anchors:
                starts.setdefault(anchor, page + number)
        written.append(document.write_pdf())
        page += len(document.pages)
        del document  # let the laid-out pages go before the next part
    contents = [(title, starts[key]) for key, title in SECTIONS.items() if key in starts]
    cover = _lay_out(context, "cover", 1, contents=contents, total_pages=page - 1)
    writer = PdfWriter()
    for content in [cover.write_pdf(), *written]:
        writer.append(io.BytesIO(content))
    stamp = report.metadata_time.strftime("D:%Y%m%d%H%M%SZ")
    writer.add_metadata({"/Title": report.title, "/Author": report.organization, "/Subject": report.scope.label,
                         "/Creator": "Compliance deadline tracker", "/CreationDate": stamp, "/ModDate": stamp})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
