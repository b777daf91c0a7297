"""The account page for API tokens, the admins' page of every user's tokens, and the API reference page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.security import check_password_hash

from tracker.api import openapi_cached
from tracker.people.api_tokens import (
    DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS, MIN_EXPIRY_DAYS, all_tokens_query, check_token_fields, create_token,
    revoke_token, user_tokens,
)
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.errors import ValidationFailed
from tracker.db import db
from tracker.models import ApiToken
from tracker.people import login_limits
from tracker.people.auth import admin_required
from tracker.views.auth import client_address
from tracker.views.common import load_or_404
from tracker.people.permissions import viewer_may_write

bp = Blueprint("api_tokens", __name__)

# The admin page lists at most this many tokens, newest first (the API pages through all).
ADMIN_PAGE_LIMIT = 500


def _check_current_password(user, password: str) -> str | None:
    """None when `password` is the user's own, else the message for the field.

    Wrong guesses count towards the same per-account limit as sign-in, so an
    unattended signed-in browser cannot be used to guess the password.
    """
    if not password:
        return "Enter your current password to create a token."
    attempt = login_limits.begin(user.email, client_address())
    if isinstance(attempt, login_limits.Refusal):
        return attempt.message()
    if not check_password_hash(user.password_hash or "", password):
        return "This is not your current password."
    login_limits.succeeded(attempt)
    return None


def _no_store(response):
    # The page may show a new secret: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
@viewer_may_write
def tokens():
    secret = None
    errors: dict[str, str] = {}
    form = {"name": "", "expires_days": str(DEFAULT_EXPIRY_DAYS), "scope": "full"}
    code = 200
    if request.method == "POST":
        form = {"name": request.form.get("name", ""),
                "expires_days": request.form.get("expires_days", str(DEFAULT_EXPIRY_DAYS)),
                "scope": request.form.get("scope", "full")}
        user = current_user._get_current_object()  # the audit log needs the model, not the proxy
        if form["scope"] not in ("full", "read_only"):
            errors["scope"] = "choose full access or read-only"
        problem = _check_current_password(user, request.form.get("password", ""))
        if problem:
            errors["password"] = problem
        try:
            check_token_fields(form["name"], form["expires_days"])  # every problem shown at once
        except ValidationFailed as exc:
            errors.update(exc.errors)
        if not errors:
            _, secret = create_token(user, form["name"], Actor.of(user), expires_days=form["expires_days"],
                                     read_only=form["scope"] == "read_only")
            form = {"name": "", "expires_days": str(DEFAULT_EXPIRY_DAYS), "scope": "full"}
        if errors:
            db.session.rollback()
            code = 400
    page = render_template("api/tokens.html", tokens=user_tokens(current_user), secret=secret, errors=errors,
                           form=form, now=utcnow(), min_days=MIN_EXPIRY_DAYS, max_days=MAX_EXPIRY_DAYS,
                           title="API tokens")
    return _no_store(make_response(page, code))


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
@viewer_may_write
def revoke(token_id: int):
    token = load_or_404(ApiToken, token_id)
    if token.user_id != current_user.id:
        abort(404)
    revoke_token(token, Actor.of(current_user))
    flash(f"Token '{token.name}' revoked: it no longer works.", "success")
    return redirect(url_for("api_tokens.tokens"))


@bp.route("/admin/tokens")
@admin_required
def admin_tokens():
    rows = list(db.session.scalars(all_tokens_query().order_by(ApiToken.id.desc()).limit(ADMIN_PAGE_LIMIT + 1)))
    return render_template("api/admin_tokens.html", tokens=rows[:ADMIN_PAGE_LIMIT],
                           truncated=len(rows) > ADMIN_PAGE_LIMIT, now=utcnow(), title="API tokens of all users")


@bp.route("/admin/tokens/<int:token_id>/revoke", methods=["POST"])
@admin_required
def admin_revoke(token_id: int):
    token = load_or_404(ApiToken, token_id)
    revoke_token(token, Actor.of(current_user))
    flash(f"Token '{token.name}' of {token.user.email} revoked: it no longer works.", "success")
    return redirect(url_for("api_tokens.admin_tokens"))


def _operations(document: dict) -> dict[str, list[dict]]:
    """Operations grouped by tag, in the document's order."""
    groups: dict[str, list[dict]] = {tag["name"]: [] for tag in document.get("tags", [])}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            groups.setdefault(op["tags"][0], []).append({"path": path, "method": method.upper(), **op})
    return groups


@bp.route("/api/docs")
@login_required
def reference():
    document = openapi_cached()
    return render_template("api/reference.html", document=document, groups=_operations(document),
                           schemas=document["components"]["schemas"], title="API reference")


def register(app) -> None:
    """Register the token pages and the API reference (the API itself is mounted by create_app)."""
    from tracker.navigation import add_account_link, add_nav_item

    app.register_blueprint(bp)

    add_nav_item(app, "API reference", "api_tokens.reference", order=90)
    add_nav_item(app, "API tokens", "api_tokens.admin_tokens", roles=("admin",), order=92)
    add_account_link(app, "API tokens", "api_tokens.tokens",
                     "Create and revoke tokens for scripts and other systems.")
