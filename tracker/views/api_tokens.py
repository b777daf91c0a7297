"""The account page for API tokens, and the API reference page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.api import openapi_cached
from tracker.api.tokens import create_token, revoke_token, user_tokens
from tracker.audit import Actor
from tracker.errors import ValidationFailed
from tracker.models import ApiToken
from tracker.views.common import load_or_404

bp = Blueprint("api_tokens", __name__)

# Every signed-in user manages their own tokens, viewers included.
VIEWER_ENDPOINTS = {"api_tokens.tokens", "api_tokens.revoke"}


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    secret = None
    error = None
    if request.method == "POST":
        try:
            user = current_user._get_current_object()  # the audit log needs the model, not the proxy
            _, secret = create_token(user, request.form.get("name", ""), Actor.of(user))
        except ValidationFailed as exc:
            error = exc.errors["name"]
    return render_template("api/tokens.html", tokens=user_tokens(current_user), secret=secret,
                           error=error, title="API tokens")


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    token = load_or_404(ApiToken, token_id)
    if token.user_id != current_user.id:
        abort(404)
    revoke_token(token, Actor.of(current_user))
    flash(f"Token '{token.name}' revoked: it no longer works.", "success")
    return redirect(url_for("api_tokens.tokens"))


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


def init_app(app) -> None:
    """Register the token page, the reference page and the JSON API itself."""
    from tracker import api
    from tracker.navigation import add_account_link, add_nav_item

    app.register_blueprint(bp)
    api.init_app(app)

    app.config.setdefault("VIEWER_WRITABLE_ENDPOINTS", set()).update(VIEWER_ENDPOINTS)
    add_nav_item(app, "API", "api_tokens.reference", order=90)
    add_account_link(app, "API tokens", "api_tokens.tokens",
                     "Create and revoke tokens for scripts and other systems.")
