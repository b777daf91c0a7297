"""GET /reports/pdf and /reports/xlsx: a team's, a source's or a vendor's report as a file."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from flask import Response
from pydantic import Field

from tracker.api.core import api_user, operation
from tracker.api.problems import ApiProblem, field_errors
from tracker.api.schemas import Query
from tracker.errors import ValidationFailed
from tracker.reports.files import CONTENT_TYPES, make_report
from tracker.reports.scopes import ReportForbidden
from tracker.vendors.downloads import content_disposition

Ref = Annotated[str, Field(min_length=1, max_length=300)]


class ReportQuery(Query):
    """Exactly one of team, source or vendor; as_of optional."""

    team: Annotated[Ref, Field(description="A team's key or name")] | None = None
    source: Annotated[Ref, Field(description="A source's key: the source and every obligation linked to its "
                                             "events")] | None = None
    vendor: Annotated[Ref, Field(description="A vendor's key")] | None = None
    as_of: Annotated[dt.date, Field(description="The register as it stood at the end of this day (UTC), "
                                                "YYYY-MM-DD; not in the future nor before the register's "
                                                "first record. Default: now")] | None = None


DESCRIPTION = ("Name exactly one of `team`, `source` or `vendor`. The same report as the Reports page and "
               "`flask report`; with `as_of`, due dates, statuses, owners and evidence as they stood at the "
               "end of that day, reconstructed from the deadline history and the audit log. An unknown "
               "scope or an impossible day is a 422 naming the parameter.")


def _report(fmt: str, query: ReportQuery) -> Response:
    chosen = [(kind, value) for kind, value in (("team", query.team), ("source", query.source),
                                                 ("vendor", query.vendor)) if value is not None]
    if len(chosen) != 1:
        raise ApiProblem(422, "name exactly one of team, source or vendor",
                         field_errors({"team": "give exactly one of team, source or vendor"}, "/query"))
    user = api_user()
    try:
        made = make_report(chosen[0][0], chosen[0][1], fmt, query.as_of, user, user.email)
    except ValidationFailed as exc:
        raise ApiProblem(422, "the report could not be made", field_errors(exc.errors, "/query")) from None
    except ReportForbidden as exc:
        raise ApiProblem(403, str(exc)) from None
    return Response(made.content, mimetype=made.content_type, headers={
        "Content-Disposition": content_disposition(made.filename), "Cache-Control": "private, no-store"})


@operation("GET", "/reports/pdf", summary="A report as PDF", tag="reports", query=ReportQuery,
           media_type=CONTENT_TYPES["pdf"], errors=(403, 422), description=DESCRIPTION)
def report_pdf(query: ReportQuery):
    return _report("pdf", query)


@operation("GET", "/reports/xlsx", summary="A report as an Excel workbook", tag="reports", query=ReportQuery,
           media_type=CONTENT_TYPES["xlsx"], errors=(403, 422), description=DESCRIPTION)
def report_xlsx(query: ReportQuery):
    return _report("xlsx", query)
