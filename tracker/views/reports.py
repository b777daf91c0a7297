"""The Reports page: choose a scope, a format and an as-of day; download the file."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, render_template, request
from flask_login import current_user, login_required

from tracker.errors import ValidationFailed
from tracker.fields import without_forbidden
from tracker.navigation import add_nav_item
from tracker.vendors.downloads import content_disposition
from tracker.reports.files import make_report
from tracker.reports.scopes import SCOPE_CHOICES, ReportForbidden, parse_as_of, scope_options
from tracker.views.common import utc_today

bp = Blueprint("reports", __name__)


def _form_values() -> dict[str, str]:
    return {name: without_forbidden(request.args.get(name, ""))[:200].strip()
            for name in ("scope", "format", "as_of")}


def _page(values: dict, errors: dict[str, str], status: int = 200):
    return render_template("reports/index.html", values=values, errors=errors, options=scope_options(),
                           kinds=SCOPE_CHOICES, today=utc_today(), title="Reports"), status


@bp.route("/reports")
@login_required
def index():
    values = _form_values()
    if "download" not in request.args:
        return _page(values, {})
    kind, _, ref = values["scope"].partition(":")
    try:
        made = make_report(kind, ref, values["format"], parse_as_of(values["as_of"]), current_user,
                           current_user.email)
    except ValidationFailed as exc:
        errors = {("scope" if name in ("team", "source", "vendor") else name): reason
                  for name, reason in exc.errors.items()}
        return _page(values, errors, 400)
    except ReportForbidden as exc:
        return _page(values, {"scope": str(exc)}, 403)
    return Response(made.content, mimetype=made.content_type, headers={
        "Content-Disposition": content_disposition(made.filename), "Cache-Control": "private, no-store"})


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "Reports", "reports.index", order=35, group="Work")
