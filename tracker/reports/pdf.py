"""A report as a PDF: the HTML of templates/reports/report.html laid out by WeasyPrint.

The page furniture (page numbers, the running header, the table of contents'
page references, table headers repeated on each page) is CSS paged media in the
template. Nothing is fetched while rendering: every resource URL is refused.
The document's dates are the as-of day, never the clock.
"""

from __future__ import annotations

from flask import render_template

from tracker.reports.model import DUE_STATE_DEFINITIONS, Report, status_label
from tracker.reports.xlsx import banner

MATRIX_COLUMNS = 6  # vendors per matrix table: a wider one would not fit a landscape page


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
        matrix_rows=matrix_rows, cells=cells, stamp=stamp)


def render_pdf(report: Report) -> bytes:
    """The PDF's bytes."""
    from weasyprint import HTML  # heavy (Pango, fonts): loaded when a PDF is asked for

    return HTML(string=report_html(report), url_fetcher=_refuse_fetch).write_pdf()
