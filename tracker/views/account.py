"""One's own account: profile, password and sessions (viewers may change these too)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.security import check_password_hash

from tracker.db import db
from tracker.people import login_limits
from tracker.people import operations as people
from tracker.people.auth import end_all_sessions, end_session, start_session
from tracker.errors import Conflict, ValidationFailed
from tracker.forms import ConfirmForm
from tracker.forms.people import PasswordChangeForm, ProfileForm
from tracker.views.auth import client_address
from tracker.views.common import actor, refuse
from tracker.people.permissions import viewer_may_write

bp = Blueprint("account", __name__)


def _duration(span: timedelta) -> str:
    """'8 hours', '7 days', '90 minutes': the largest whole unit."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def _page(profile_form=None, password_form=None, code: int = 200, headers=None):
    if profile_form is None:
        profile_form = ProfileForm(formdata=None, obj=current_user)
    return render_template("account/index.html", profile_form=profile_form,
                           password_form=password_form or PasswordChangeForm(formdata=None),
                           sessions_form=ConfirmForm(formdata=None),
                           session_idle_text=_duration(current_app.config["TRACKER_SESSION_IDLE"]),
                           session_lifetime_text=_duration(current_app.config["TRACKER_SESSION_LIFETIME"]),
                           title="Your account"), code, headers or {}


@bp.route("/account", methods=["GET"])
@login_required
def index():
    return _page()


@bp.route("/account", methods=["POST"])
@login_required
@viewer_may_write
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
@viewer_may_write
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        # The current password is a password guess like any other: same limits as sign-in.
        attempt = login_limits.begin(user.email, client_address())
        if isinstance(attempt, login_limits.Refusal):
            form.current.errors.append(attempt.message())
            return _page(password_form=form, code=429, headers={"Retry-After": str(attempt.retry_after_seconds)})
        if not check_password_hash(user.password_hash or "", form.current.data or ""):
            form.current.errors.append("This is not your current password.")
        else:
            try:
                user.must_change_password = False
                people.set_password(user, form.new.data, actor(), commit=False)
                login_limits.succeeded(attempt, commit=False)
                db.session.commit()  # the new password ends every session of the user (see people.auth)
                start_session(user)  # ... and this browser gets a new one
                flash("Password changed.", "success")
                return redirect(url_for("account.index"))
            except ValidationFailed as exc:
                db.session.rollback()
                refuse(form, exc, {"password": "new"})
    return _page(password_form=form, code=400)


@bp.route("/account/sessions/end", methods=["POST"])
@login_required
@viewer_may_write
def sign_out_everywhere():
    """End every session of this user, this browser's included (CSRF is checked app-wide)."""
    ended = end_all_sessions(current_user._get_current_object())
    end_session()
    flash(f"You are signed out everywhere ({ended} session{'s' if ended != 1 else ''} ended).", "info")
    return redirect(url_for("auth.login"))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
