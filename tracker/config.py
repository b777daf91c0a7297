"""Settings read from the TRACKER_* environment variables (see the README)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path, given: str | None = None) -> str:
    """Return the key the app was given, else TRACKER_SECRET_KEY, else a key
    generated once and kept under instance/ (nothing is read or written there
    when a key is configured).

    A key generated per process would sign users out at every restart and break
    unsubscribe links already sent, so it is written to disk on first use.
    """
    configured = given or os.environ.get("TRACKER_SECRET_KEY")
    if configured:
        return configured
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def from_environment(instance_path: Path, secret_key: str | None = None) -> dict:
    """Build the Flask config mapping from the environment (`secret_key`: one given in code)."""
    env = os.environ.get
    database_url = env("TRACKER_DATABASE_URL") or f"sqlite:///{instance_path / 'tracker.db'}"
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": _secret_key(instance_path, secret_key),
        "TRACKER_BASE_URL": (env("TRACKER_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        "TRACKER_SMTP_HOST": env("TRACKER_SMTP_HOST") or None,
        "TRACKER_SMTP_PORT": int(env("TRACKER_SMTP_PORT") or 25),
        "TRACKER_SMTP_USER": env("TRACKER_SMTP_USER") or None,
        "TRACKER_SMTP_PASSWORD": env("TRACKER_SMTP_PASSWORD") or None,
        "TRACKER_SMTP_STARTTLS": env("TRACKER_SMTP_STARTTLS", "0") == "1",
        "TRACKER_MAIL_FROM": env("TRACKER_MAIL_FROM") or "tracker@localhost",
        "TRACKER_SCHEDULER": env("TRACKER_SCHEDULER") or "embedded",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure cookies only make sense when the public URL is https; on the
        # default http://127.0.0.1 a Secure cookie would never be sent back.
        "SESSION_COOKIE_SECURE": (env("TRACKER_BASE_URL") or "").startswith("https://"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    }
