"""The vendor matrix (vendors x vendor-scoped obligations), an obligation's vendor scope form,
and the vendor panels the obligation page and the dashboard include."""

from __future__ import annotations

from flask import (
    Blueprint, Flask, Response, current_app, flash, get_template_attribute, redirect, render_template, request, url_for,
)
from markupsafe import Markup
from flask_login import current_user, login_required

from tracker.clock import local_today
from tracker.errors import ValidationFailed
from tracker.fields import split_list
from tracker.forms.vendors import ScopeForm
from tracker.forms import ConfirmForm
from tracker.models import Obligation
from tracker.navigation import add_nav_item
from tracker.people import permissions
from tracker.people.auth import editor_required
from tracker.register.queries import team_todays
from tracker.vendors.exports import matrix_csv
from tracker.vendors.fanout import scope_of
from tracker.vendors.queries import (
    MATRIX_STATES, REQUEST_STATUS_LABELS, Matrix, build_matrix, dashboard_counts, known_tags, obligation_requests,
    progress_of, team_names, vendor_scoped_obligations,
)
from tracker.vendors.requests import clear_scope, normalized_scope, scope_row, set_scope
from tracker.views.common import actor, choice_arg, int_arg, load_or_404, refuse

bp = Blueprint("vendor_matrix", __name__)
STATE_LABELS = {**REQUEST_STATUS_LABELS, "overdue": "Overdue"}


def _filters() -> dict:
    categories, markets = known_tags()
    obligation_ids = {ob.id for ob in vendor_scoped_obligations()}
    obligation_id = int_arg("obligation")
    return {
        "team_id": int_arg("team"),
        "category": choice_arg("category", categories),
        "market": choice_arg("market", markets),
        "obligation_id": obligation_id if obligation_id in obligation_ids else None,
        "state": choice_arg("state", MATRIX_STATES),
    }, categories, markets


EMPTY_CELL = Markup('<td><span class="text-muted" title="Not in this obligation\'s vendor scope">—</span></td>')


def _row_cells(matrix: Matrix) -> list[Markup]:
    """Each vendor's row of cells as HTML, in matrix.vendors order.

    Thousands of cells share a few dozen looks (an obligation's date, a status,
    days overdue), so the cell macro renders each look once; a 500 x 20 matrix
    would otherwise spend most of its time calling the macro.
    """
    macro = get_template_attribute("vendors/_macros.html", "request_cell")
    rendered: dict[tuple, Markup] = {}
    rows = []
    for vendor in matrix.vendors:
        parts = []
        for ob in matrix.obligations:
            cell = matrix.cells.get((vendor.id, ob.id))
            if cell is None:
                parts.append(EMPTY_CELL)
                continue
            look = (cell.status, cell.due_date, cell.due_state, cell.due_precision, cell.overdue_days)
            html = rendered.get(look)
            if html is None:
                html = rendered[look] = Markup('<td class="table-danger">' if cell.overdue_days else "<td>") \
                    + macro(cell) + Markup("</td>")
            parts.append(html)
        rows.append(Markup("").join(parts))
    return rows


@bp.route("/vendors/matrix")
@login_required
def matrix():
    filters, categories, markets = _filters()
    todays = team_todays()
    built = build_matrix(todays, **filters)
    args = {name: value for name, value in request.args.items() if value}
    return render_template("vendors/matrix.html", matrix=built, rows=zip(built.vendors, _row_cells(built)),
                           filters=filters, teams=team_names(),
                           categories=categories, markets=markets, all_obligations=vendor_scoped_obligations(),
                           states=STATE_LABELS, args=args, title="Vendor matrix")


@bp.route("/vendors/matrix.csv")
@login_required
def matrix_download():
    filters, _, _ = _filters()
    body = matrix_csv(build_matrix(team_todays(), **filters), current_app.config["TRACKER_BASE_URL"])
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="vendor-matrix.csv"'})


@bp.route("/obligations/<int:obligation_id>/vendors", methods=["GET", "POST"])
@editor_required
def scope(obligation_id: int):
    obligation = load_or_404(Obligation, obligation_id)
    _require_obligation_editor(obligation)
    row = scope_row(obligation)
    form = ScopeForm()
    if request.method == "GET" and row is not None:
        current = scope_of(row)
        form.mode.data = "keys" if current.keys else "criteria"
        form.categories.data = ", ".join(current.categories or ())
        form.markets.data = ", ".join(current.markets or ())
        form.keys.data = ", ".join(current.keys or ())
    code = 200
    if request.method == "POST":
        code = 400
        if obligation.deleted_at is not None:
            form.form_errors.append("This obligation was deleted; its vendor scope can no longer change.")
        elif form.validate_on_submit():
            if form.mode.data == "keys":
                wanted = normalized_scope(keys=split_list(form.keys.data))
            else:
                wanted = normalized_scope(split_list(form.categories.data), split_list(form.markets.data))
            try:
                counts = set_scope(obligation, wanted, actor())
                flash(f"Vendor scope saved: {counts['created']} request(s) created, {counts['closed']} no longer "
                      f"applicable, {counts['reopened']} reopened.", "success")
                return redirect(url_for("obligations.detail", obligation_id=obligation.id) + "#vendor-requests")
            except ValidationFailed as exc:
                refuse(form, exc, {"vendors": "categories" if form.mode.data != "keys" else "keys"})
    return render_template("vendors/scope.html", form=form, obligation=obligation, scoped=row is not None,
                           confirm=ConfirmForm(), title=f"Vendor scope of {obligation.title}"), code


@bp.route("/obligations/<int:obligation_id>/vendors/clear", methods=["POST"])
@editor_required
def clear(obligation_id: int):
    obligation = load_or_404(Obligation, obligation_id)
    _require_obligation_editor(obligation)
    if ConfirmForm().validate_on_submit():
        counts = clear_scope(obligation, actor())
        flash(f"No longer collected from vendors; {counts['closed']} request(s) kept as not applicable.", "success")
    return redirect(url_for("obligations.detail", obligation_id=obligation.id))


def _require_obligation_editor(obligation: Obligation) -> None:
    permissions.require(permissions.may_edit_obligation(current_user, obligation),
                        "this obligation belongs to another team: you need the editor role in that team")


def obligation_vendor_panel(obligation: Obligation) -> dict | None:
    """What the obligation page shows of its vendor requests (None: not vendor-scoped and never was)."""
    row = scope_row(obligation)
    requests = obligation_requests(obligation)
    if row is None and not requests:
        return None
    today = local_today(obligation.team.timezone)
    return {"scope": scope_of(row), "requests": requests, "progress": progress_of(requests, today),
            "today": today, "labels": REQUEST_STATUS_LABELS}


def dashboard_vendor_counts(scope: str) -> dict[str, int]:
    """The dashboard's vendor line for 'mine' (the user's teams) or 'all'."""
    team_ids = [team.id for team in current_user.teams] if scope == "mine" else None
    return dashboard_counts(team_ids, team_todays())


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "Vendor matrix", "vendor_matrix.matrix", order=26)
    app.jinja_env.globals["obligation_vendor_panel"] = obligation_vendor_panel
    app.jinja_env.globals["dashboard_vendor_counts"] = dashboard_vendor_counts
    app.jinja_env.globals["may_edit_obligation"] = lambda ob: permissions.may_edit_obligation(current_user, ob)
