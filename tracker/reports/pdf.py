"""A report as a PDF: the HTML of templates/reports/report.html laid out by WeasyPrint.

The page furniture (page numbers, the running header, the table of contents'
page references, table headers repeated on each page) is CSS paged media in the
template. Nothing is fetched while rendering: every resource URL is refused.
The document's dates are the as-of day, never the clock.
"""

from __future__ import annotations

from flask import render_template

from tracker.reports.model import DUE_STATE_DEFINITIONS, ObligationRow, Report, RequestRow, status_label
from tracker.reports.xlsx import banner

MATRIX_COLUMNS = 6  # vendors per matrix table: a wider one would not fit a landscape page
# An obligation's history, status changes and evidence are lines of one paragraph, not
# tables: WeasyPrint lays out every table cell as a box of its own, which made a
# 2,000-obligation report take minutes; a paragraph per obligation takes seconds.
STAMP = "%Y-%m-%d %H:%M"


def _due(day, state) -> str:
    if state is None:
        return "—"
    return f"{state} {day.isoformat()}" if day else state


def detail_lines(ob: ObligationRow) -> list[str]:
    """The lines under an obligation's heading: deadline moves, status changes, evidence."""
    lines = [f"Due date · {h.changed_at.strftime(STAMP)} · {_due(h.old_date, h.old_state)} → "
             f"{_due(h.new_date, h.new_state)} · {h.reason}" for h in ob.history]
    lines += [f"Status · {s.at.strftime(STAMP)} · "
              f"{status_label(s.old) + ' → ' if s.old else ''}{status_label(s.new)} · by {s.actor}"
              f"{' · ' + s.note if s.note else ''}" for s in ob.status_changes]
    lines += [f"Evidence · {e.filename} · SHA-256 {e.sha256} · "
              f"{'valid until ' + e.valid_until.isoformat() if e.valid_until else 'no expiry'} · {e.origin} · {e.link}"
              for e in ob.evidence]
    if not ob.history:
        lines.insert(0, "Due date · never moved")
    if not ob.evidence:
        lines.append("Evidence · none")
    return lines


def answer_lines(request: RequestRow) -> list[str]:
    """A vendor request's answers: who signed what, when, with which files."""
    if not request.answers:
        return ["No answer yet."]
    return [f"Answer · {a.signed_at.strftime(STAMP)} · {a.signer}{', ' + a.signer_title if a.signer_title else ''}"
            f" · files: {', '.join(a.files) or 'none'} · “{a.statement}”" for a in request.answers]


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"reports fetch nothing ({url[:60]})")


def report_html(report: Report) -> str:
    """The report as one HTML document (also what the PDF's text is made from)."""
    overdue, bars, later, undated = report.timeline()
    widest = max([overdue, later, undated, *(bar.total for bar in bars)] or [1]) or 1
    vendor_names = [v.name for v in report.vendors]
    cells = {(r.obligation_id, r.vendor_name): r for r in report.requests}
    matrix_rows = [ob for ob in report.obligations if any(r.obligation_id == ob.id for r in report.requests)]
    vendor_groups = [vendor_names[i:i + MATRIX_COLUMNS] for i in range(0, len(vendor_names), MATRIX_COLUMNS)]
    stamp = report.metadata_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    return render_template(
        "reports/report.html", report=report, summary=report.summary(), bars=bars, overdue=overdue, later=later,
        undated=undated, widest=widest, banner=banner(report) if report.historical else "",
        definitions=DUE_STATE_DEFINITIONS, status_label=status_label, vendor_groups=vendor_groups,
        matrix_rows=matrix_rows, cells=cells, stamp=stamp, detail_lines=detail_lines,
        answer_lines=answer_lines)


def render_pdf(report: Report) -> bytes:
    """The PDF's bytes."""
    from weasyprint import HTML  # heavy (Pango, fonts): loaded when a PDF is asked for

    return HTML(string=report_html(report), url_fetcher=_refuse_fetch).write_pdf()
