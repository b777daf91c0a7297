"""One's own account: profile and password (viewers may change these too)."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, login_user
from werkzeug.security import check_password_hash

from tracker.people import operations as people
from tracker.errors import Conflict, ValidationFailed
from tracker.forms.people import PasswordChangeForm, ProfileForm
from tracker.views.common import actor, refuse

bp = Blueprint("account", __name__)


def _page(profile_form=None, password_form=None, code: int = 200):
    if profile_form is None:
        profile_form = ProfileForm(formdata=None, obj=current_user)
    return render_template("account/index.html", profile_form=profile_form,
                           password_form=password_form or PasswordChangeForm(formdata=None),
                           title="Your account"), code


@bp.route("/account", methods=["GET"])
@login_required
def index():
    return _page()


@bp.route("/account", methods=["POST"])
@login_required
def profile():
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            people.update_user(current_user._get_current_object(), actor(), name=(form.name.data or "").strip())
            flash("Profile saved.", "success")
            return redirect(url_for("account.index"))
        except (ValidationFailed, Conflict) as exc:
            refuse(form, exc)
    return _page(profile_form=form, code=400)


@bp.route("/account/password", methods=["POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash or "", form.current.data or ""):
            form.current.errors.append("This is not your current password.")
        else:
            try:
                user = current_user._get_current_object()
                people.set_password(user, form.new.data, actor())
                session.clear()  # a new session after a password change
                login_user(user)
                flash("Password changed.", "success")
                return redirect(url_for("account.index"))
            except ValidationFailed as exc:
                refuse(form, exc, {"password": "new"})
    return _page(password_form=form, code=400)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.config.setdefault("VIEWER_WRITABLE_ENDPOINTS", set()).update({"account.profile", "account.password"})
