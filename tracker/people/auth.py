"""Sign-in plumbing: user loading, password hashing, role checks."""

from __future__ import annotations

import hmac
from functools import cache, wraps
from typing import Callable

from flask import Flask, abort, current_app, request
from flask_login import current_user
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.db import db
from tracker.extensions import login_manager
from tracker.models import User
from tracker.fields import whole_number


def _hash_method() -> str:
    """werkzeug's default (scrypt) everywhere; TESTING may ask for a cheaper one
    (PASSWORD_HASH_METHOD, e.g. "pbkdf2:sha256:1000") so a test suite does not
    spend its time hashing. A production app ignores the setting."""
    if current_app and current_app.config.get("TESTING"):
        return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return "scrypt"


@cache
def _dummy_hash(method: str) -> str:
    """A hash to compare against when the email is unknown, so a wrong email and a
    wrong password take the same time; made on first use, not at import."""
    return generate_password_hash("not a real password", method=method)


def hash_password(password: str) -> str:
    """Hash with werkzeug's default (scrypt), salted."""
    return generate_password_hash(password, method=_hash_method())


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with this email and password, else None."""
    user = db.session.scalar(db.select(User).filter_by(email=email.strip().lower()))
    stored = user.password_hash if user and user.password_hash else _dummy_hash(_hash_method())
    valid = check_password_hash(stored, password)
    if user is None or not user.password_hash or not user.active or not valid:
        return None
    return user


def role_required(*roles: str) -> Callable:
    """Refuse (403) a signed-in user whose role is not in `roles`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


editor_required = role_required("admin", "editor")
admin_required = role_required("admin")


def init_app(app: Flask) -> None:
    """Wire Flask-Login and the global rules every request obeys."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    app.config.setdefault("VIEWER_WRITABLE_ENDPOINTS", {"auth.login", "auth.logout"})

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        user_id, _, fingerprint = session_id.partition(".")
        number = whole_number(user_id, 2**31 - 1)  # users.id is a 32-bit integer
        if number is None:
            return None
        user = db.session.get(User, number)
        if user is None or not user.active or not hmac.compare_digest(user.get_id(), session_id):
            return None  # unknown, deactivated, or signed in before a password change
        return user

    @app.before_request
    def refuse_viewer_writes():
        # A viewer may read everything and change nothing, whatever the URL;
        # their own password and email preferences are the only exception.
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        if request.endpoint in app.config.get("VIEWER_WRITABLE_ENDPOINTS", set()):
            return None
        if current_user.is_authenticated and current_user.role == "viewer":
            abort(403)
        return None
