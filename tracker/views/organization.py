"""The organization settings page (admins): the name and reply-to address vendors see."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for

from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.forms import ConfirmForm
from tracker.organization import organization, save_organization
from tracker.people.auth import admin_required
from tracker.views.common import actor

bp = Blueprint("organization", __name__)


@bp.route("/admin/organization", methods=["GET", "POST"])
@admin_required
def settings():
    current = organization()
    values = {"name": current.name, "reply_to": current.reply_to}
    errors: dict[str, str] = {}
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        values = {"name": request.form.get("name", ""), "reply_to": request.form.get("reply_to", "")}
        try:
            save_organization(values["name"], values["reply_to"], actor())
            flash("Saved. Vendor pages and new vendor emails use these details.", "success")
            return redirect(url_for("organization.settings"))
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
    html = render_template("organization/settings.html", values=values, errors=errors, current=current,
                           confirm=ConfirmForm(), title="Organization")
    return html, 400 if errors else 200


def register(app: Flask) -> None:
    from tracker.navigation import add_nav_item

    app.register_blueprint(bp)
    app.jinja_env.globals["organization"] = organization
    add_nav_item(app, "Organization", "organization.settings", roles=("admin",), order=55, group="Settings")
