"""Sign-in and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_required, login_user, logout_user

from tracker.people import login_limits
from tracker.people.auth import authenticate
from tracker.clock import utcnow
from tracker.db import db
from tracker.forms import LoginForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site (no open redirect)."""
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("dashboard.index")
    if any(ch in target for ch in "\\\r\n\t"):
        return url_for("dashboard.index")
    return target


def _client_address() -> str:
    # Behind a reverse proxy, wrap the app in werkzeug's ProxyFix so that
    # remote_addr is the client's address (see docs/ui.md).
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email, address = form.email.data or "", _client_address()
        refusal = login_limits.check_allowed(email, address)
        if refusal is not None:
            form.password.errors.append(refusal.message())
            response = render_template("auth/login.html", form=form, title="Sign in")
            return response, 429, {"Retry-After": str(int(refusal.retry_after.total_seconds()) + 1)}
        user = authenticate(email, form.password.data or "")
        if user is not None:
            login_limits.clear_account(email)
            session.clear()  # a fresh session: no fixation, nothing carried over
            login_user(user)
            user.last_login_at = utcnow()
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        login_limits.record_failure(email, address)
        form.password.errors.append("Email or password is not right.")
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, title="Sign in"), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
