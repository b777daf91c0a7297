"""Sign-in and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_required

from tracker.people import login_limits
from tracker.people.auth import authenticate, end_session, start_session
from tracker.forms import LoginForm
from tracker.signin.settings import SIGNED_IN_HERE, password_signin_allowed
from tracker.people.permissions import viewer_may_write

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


def client_address() -> str:
    # Behind a reverse proxy, wrap the app in werkzeug's ProxyFix so that
    # remote_addr is the client's address (see docs/ui.md).
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
@viewer_may_write
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data or ""
        attempt = login_limits.begin(email, client_address())  # counted before the password is checked
        if isinstance(attempt, login_limits.Refusal):
            form.password.errors.append(attempt.message())
            response = render_template("auth/login.html", form=form, title="Sign in")
            return response, 429, {"Retry-After": str(attempt.retry_after_seconds)}
        user = authenticate(email, form.password.data or "")
        if user is not None and not password_signin_allowed(current_app.config, email):
            user = None  # passwords are off for all but the break-glass admins (the page says so)
        if user is not None:
            must_change = user.must_change_password
            login_limits.succeeded(attempt)
            start_session(user)
            if must_change:  # the account page says why
                return redirect(url_for("account.index"))
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("Email or password is not right.")
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, title="Sign in"), status


@bp.route("/logout", methods=["POST"])
@login_required
@viewer_may_write
def logout():
    through_provider = bool(session.get(SIGNED_IN_HERE))
    end_session()
    # views/signin.py registers the page that sends the browser on to the provider's sign-out.
    provider_sign_out = current_app.extensions.get("tracker_provider_sign_out")
    page = provider_sign_out() if through_provider and provider_sign_out else None
    if page is not None:
        return page  # on to the identity provider's sign-out
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def register(app) -> None:
    app.register_blueprint(bp)
