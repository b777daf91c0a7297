"""Sign-in plumbing: user loading, server-side sessions, password hashing, role checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from functools import cache, wraps
from typing import Callable

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete, event, inspect, or_, select, update
from sqlalchemy.orm import Session as OrmSession
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.clock import utcnow
from tracker.db import db
from tracker.extensions import login_manager
from tracker.models import User, UserSession
from tracker.people import permissions
from tracker.fields import whole_number

SESSION_TOKEN = "_sid"  # the key in Flask's signed session cookie
TOUCH_EVERY = timedelta(minutes=1)  # how stale last_seen_at may get before it is written again
# Pages a user who must choose a new password can still reach.
PASSWORD_CHANGE_ENDPOINTS = {"account.index", "account.password", "account.sign_out_everywhere",
                             "auth.logout", "static", "bootstrap.static"}


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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _limits(config) -> tuple[timedelta, timedelta]:
    return config["TRACKER_SESSION_IDLE"], config["TRACKER_SESSION_LIFETIME"]


def _expired(row: UserSession, now: datetime) -> bool:
    idle, lifetime = _limits(current_app.config)
    return row.last_seen_at <= now - idle or row.created_at <= now - lifetime


def start_session(user: User) -> None:
    """Sign `user` in on this browser: a fresh Flask session tied to a new row in user_sessions.

    Commits. Expired sessions of everyone are swept out on the way.
    """
    now = utcnow()
    idle, lifetime = _limits(current_app.config)
    db.session.execute(delete(UserSession).where(or_(
        UserSession.last_seen_at <= now - idle, UserSession.created_at <= now - lifetime)))
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(token), created_at=now, last_seen_at=now))
    user.last_login_at = now
    session.clear()  # a fresh session: no fixation, nothing carried over
    login_user(user)
    session[SESSION_TOKEN] = token
    try:
        db.session.commit()
    except Exception:
        session.clear()
        raise


def end_session() -> None:
    """Sign out this browser: its session row goes, so a copy of the cookie is worthless too."""
    token = session.get(SESSION_TOKEN)
    if isinstance(token, str):
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))
        db.session.commit()
    logout_user()
    session.clear()


def end_all_sessions(user: User, commit: bool = True) -> int:
    """Sign `user` out on every browser; returns how many sessions ended."""
    result = db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    if commit:
        db.session.commit()
    return result.rowcount or 0


def _end_sessions_on_password_or_deactivation(orm_session, flush_context, instances) -> None:
    """A new password or deactivation ends every session of the user, whoever made the change."""
    for obj in list(orm_session.dirty):
        if not isinstance(obj, User) or obj.id is None:
            continue
        state = inspect(obj)
        password_changed = state.attrs.password_hash.history.has_changes()
        deactivated = state.attrs.active.history.has_changes() and not obj.active
        if password_changed or deactivated:
            orm_session.execute(delete(UserSession).where(UserSession.user_id == obj.id))


def _live_session(user: User) -> UserSession | None:
    """The session row this request's cookie points to, if it belongs to `user` and is not expired."""
    token = session.get(SESSION_TOKEN)
    if not isinstance(token, str) or not token:
        return None
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    if row is None or row.user_id != user.id:
        return None
    if _expired(row, utcnow()):
        return None
    return row


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
    if not event.contains(OrmSession, "before_flush", _end_sessions_on_password_or_deactivation):
        event.listen(OrmSession, "before_flush", _end_sessions_on_password_or_deactivation)
    app.config.setdefault("TRACKER_SESSION_IDLE", timedelta(hours=8))
    app.config.setdefault("TRACKER_SESSION_LIFETIME", timedelta(days=7))

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        user_id, _, fingerprint = session_id.partition(".")
        number = whole_number(user_id, 2**31 - 1)  # users.id is a 32-bit integer
        if number is None:
            return None
        user = db.session.get(User, number)
        if user is None or not user.active or not hmac.compare_digest(user.get_id(), session_id):
            return None  # unknown, deactivated, or signed in before a password change
        row = _live_session(user)
        if row is None:
            return None  # signed out, signed out everywhere, idle too long or too old
        g.tracker_session = row
        return user

    @app.before_request
    def check_session():
        # Load the user first thing, so an ended session is known before any
        # view runs and the idle clock is moved on outside the view's work.
        if "_user_id" not in session:
            return None
        if not current_user.is_authenticated:
            for key in ("_user_id", "_fresh", "_id", SESSION_TOKEN):
                session.pop(key, None)  # an ended session: forget it (the CSRF token stays)
            return None
        row = g.pop("tracker_session", None)
        now = utcnow()
        if row is not None and row.last_seen_at <= now - TOUCH_EVERY:
            db.session.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
            db.session.commit()
        return None

    @app.before_request
    def ask_for_a_new_password():
        if (current_user.is_authenticated and current_user.must_change_password
                and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS
                and request.blueprint not in ("api", "health")):
            flash("Please choose a new password before you go on.", "warning")
            return redirect(url_for("account.index"), 303)
        return None

    @app.before_request
    def refuse_viewer_writes():
        # A viewer may read everything and change nothing, whatever the URL; the
        # forms marked @viewer_may_write (their own account, preferences, tokens,
        # feeds, saved views) are the exception. The API checks roles per token.
        if request.method in ("GET", "HEAD", "OPTIONS") or request.blueprint == "api":
            return None
        if permissions.viewer_may_post(app.view_functions.get(request.endpoint)):
            return None
        if current_user.is_authenticated and current_user.role == "viewer":
            abort(403)
        return None
