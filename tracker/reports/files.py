"""Making a report file: check the request, assemble, render; write it whole or not at all."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app

from tracker.clock import utcnow
from tracker.models import User
from tracker.reports.assemble import build_report
from tracker.reports.model import Report
from tracker.reports.pdf import render_pdf
from tracker.reports.scopes import ReportRequest, check_request
from tracker.reports.xlsx import render_xlsx

CONTENT_TYPES = {"pdf": "application/pdf",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
DEFAULT_ORGANIZATION = "our organization"


@dataclass(frozen=True)
class ReportFile:
    request: ReportRequest
    report: Report
    content: bytes

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.request.fmt]

    @property
    def filename(self) -> str:
        scope = self.request.scope
        return f"report-{scope.kind}-{scope.key}-{self.request.as_of.isoformat()}.{self.request.fmt}"


def organization_name() -> str:
    """Who the report is for: TRACKER_ORGANIZATION_NAME, else "our organization"."""
    return (current_app.config.get("TRACKER_ORGANIZATION_NAME") or os.environ.get("TRACKER_ORGANIZATION_NAME")
            or DEFAULT_ORGANIZATION).strip() or DEFAULT_ORGANIZATION


def make_report(kind: str, ref: str, fmt: str, as_of: date | None, user: User | None,
                generated_by: str) -> ReportFile:
    """Check the request (ValidationFailed, ReportForbidden), read the register and render the file."""
    now = utcnow()
    request = check_request(kind, ref, fmt, as_of, user, now=now)
    report = build_report(request, generated_by, organization_name(), now)
    content = render_pdf(report) if request.fmt == "pdf" else render_xlsx(report)
    return ReportFile(request, report, content)


def write_atomically(path: str | Path, content: bytes) -> None:
    """Write `content` to `path` through a temporary file in the same folder, then rename:
    a reader (or a crash) never sees half a file, and a failure leaves no file behind."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent or ".")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
