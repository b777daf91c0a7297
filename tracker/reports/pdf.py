"""A report as a PDF: the HTML of templates/reports/report.html laid out by WeasyPrint.

WeasyPrint keeps every laid-out page in memory until it writes, and a page of a
2,000-obligation report costs about a megabyte; so the report is laid out in
parts (the summary and timeline, the obligations table and the details in slices
of obligations, the vendors and appendix), each written and let go before the
next, then joined with pypdf (tracker.reports.pdf_join). The parts are
independent, so a large report lays them out in parallel, one process a core
(tracker.reports.pdf_layout). No part knows the page it starts on or the page
count: the cover, with the table of contents, is laid out when every part is,
then "Page N of M" for every page; these and the running head are drawn over
each page when the parts are joined.
An obligation's history, status changes and evidence are lines of one paragraph
rather than tables: WeasyPrint lays out each table cell as a box of its own,
which is what made a large report slow.
Nothing is fetched while rendering: every resource URL is refused. The document
dates are the as-of day, never the clock.
"""

from __future__ import annotations

from math import ceil
from typing import Iterator

from flask import render_template
from markupsafe import Markup

from tracker.reports.model import DUE_STATE_DEFINITIONS, ObligationRow, Report, RequestRow, status_label
from tracker.reports.pdf_join import join
from tracker.reports.pdf_layout import LaidOut, Layouts, available_cores
from tracker.reports.xlsx import banner

MATRIX_COLUMNS = 6  # vendors per matrix table: a wider one would not fit a landscape page
CHUNK = 125  # obligations (or table rows) per part: bounds the pages a process holds at once, ~20 MB
# (500 table rows were a 90 MB part), and two workers beside the app must stay under 400 MB
TEMPLATE = "reports/report.html"
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


def _parts(report: Report) -> Iterator[tuple[str, dict]]:
    yield "main", {}
    rows = report.obligations
    for start in range(0, max(len(rows), 1), CHUNK):
        yield "table", {"obligations": rows[start:start + CHUNK], "first_chunk": start == 0}
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


def _cover(layouts: Layouts, context: dict, parts: list[LaidOut]) -> LaidOut:
    """The cover, its contents giving the page each section starts on. The cover is one page;
    were it ever longer, it is laid out again with every section that many pages later."""
    cover_pages = 1
    for _ in range(3):  # the number of contents lines is fixed: a second layout settles it
        starts, page = {}, cover_pages + 1
        for part in parts:
            for anchor, index in part.anchors.items():
                starts.setdefault(anchor, page + index)
            page += part.pages
        contents = [(title, starts[key]) for key, title in SECTIONS.items() if key in starts]
        [cover] = layouts.map([render_template(TEMPLATE, **context, part="cover", contents=contents,
                                               total_pages=page - 1)])
        if cover.pages == cover_pages:
            break
        cover_pages = cover.pages
    return cover


def _page_numbers(context: dict, total: int, documents: int) -> list[str]:
    """The "Page N of M" of pages 1 to `total`, in `documents` documents of consecutive pages."""
    size = ceil(total / documents)
    return [render_template(TEMPLATE, **context, part="page-numbers", first_page=first, total_pages=total,
                            pages=min(size, total - first + 1))
            for first in range(1, total + 1, size)]


def render_pdf(report: Report) -> bytes:
    """The PDF's bytes. More obligations than one slice: the parts are laid out in parallel."""
    context = _context(report)
    workers = available_cores() if len(report.obligations) > CHUNK else 1
    with Layouts(workers) as layouts:  # the workers start while the parts' HTML is made
        parts = [render_template(TEMPLATE, **context, part=part, **values) for part, values in _parts(report)]
        *laid_out, head = layouts.map([*parts, render_template(TEMPLATE, **context, part="running-head")])
        cover = _cover(layouts, context, laid_out)
        total = cover.pages + sum(part.pages for part in laid_out)
        numbers = layouts.map(_page_numbers(context, total, layouts.workers))
    stamp = report.metadata_time.strftime("D:%Y%m%d%H%M%SZ")
    return join([cover.pdf, *(part.pdf for part in laid_out)], [document.pdf for document in numbers], head.pdf,
                {"/Title": report.title, "/Author": report.organization, "/Subject": report.scope.label,
                 "/Creator": "Compliance deadline tracker", "/CreationDate": stamp, "/ModDate": stamp})
