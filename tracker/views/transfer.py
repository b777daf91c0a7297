"""Import a regulation pack from the browser; download the obligation list as CSV."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.orm import joinedload, selectinload

from tracker.people.auth import admin_required
from tracker.clock import utcnow
from tracker.db import db
from tracker.register.exports import obligations_csv
from tracker.forms.register import ImportForm
from tracker.models import Obligation
from tracker.navigation import add_nav_item
from tracker.packs.importer import import_pack_text
from tracker.packs.validate import PackInvalid
from tracker.register.queries import obligation_filter, team_todays
from tracker.views.common import actor
from tracker.views.obligations import list_filters

bp = Blueprint("transfer", __name__)


@bp.route("/import", methods=["GET", "POST"])
@admin_required
def import_pack():
    form = ImportForm()
    errors: list[str] = []
    code = 200
    if request.method == "POST":
        code = 400
        upload = request.files.get("pack_file")
        text: str | bytes = upload.read() if upload and upload.filename else (form.pack_text.data or "")
        if not form.validate_on_submit():
            errors = ["The form expired; reload the page and try again."] if form.csrf_token.errors else \
                [f"{name}: {'; '.join(problems)}" for name, problems in form.errors.items()]
        elif not text or not (text.strip() if isinstance(text, str) else text.strip()):
            errors = ["Choose a pack file or paste the pack's JSON."]
        else:
            try:
                report = import_pack_text(text, actor())
            except PackInvalid as exc:
                db.session.rollback()
                errors = list(exc.errors)
            else:
                flash("Pack imported. " + "; ".join(report.lines()) + ".", "success")
                return redirect(url_for("transfer.import_pack"))
    return render_template("transfer/import.html", form=form, errors=errors, title="Import a pack"), code


@bp.route("/obligations.csv")
@login_required
def download_csv():
    query = obligation_filter(list_filters(), team_todays()).options(
        joinedload(Obligation.team), joinedload(Obligation.owner), selectinload(Obligation.events))
    text = obligations_csv(db.session.scalars(query), current_app.config["TRACKER_BASE_URL"])
    name = f"obligations-{utcnow().date().isoformat()}.csv"
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Content-Type": "text/csv; charset=utf-8"})


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "Import", "transfer.import_pack", roles=("admin",), order=60)
