"""Settings read from the TRACKER_* environment variables (see the README)."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from tracker.watches.providers.registry import settings_defaults as provider_settings_defaults

log = logging.getLogger(__name__)


def write_once(path: Path, make_value) -> str:
    """The content of `path`; when it does not exist yet, `make_value()` written there first.

    Safe when several processes start at once (gunicorn workers): each writes
    its value to a temporary file of its own, then hard-links it into place.
    The link fails for all but the first, and those read the winner's file,
    which is complete by then, so every process ends up with the same value.
    The file is readable by its owner only.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(make_value())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first; use its value
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text().strip()


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
    return write_once(instance_path / "secret_key", lambda: secrets.token_hex(32))


def _positive(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= 100_000:
        raise ValueError(f"{name} must be a whole number above 0, not {raw!r}")
    return int(raw)


def warn_about_risky_settings(config) -> None:
    """Log a warning for settings that work but leak (called once at start-up)."""
    if (config.get("TRACKER_SMTP_HOST") and (config.get("TRACKER_SMTP_USER") or config.get("TRACKER_SMTP_PASSWORD"))
            and not config.get("TRACKER_SMTP_STARTTLS")):
        log.warning("SMTP credentials are set but TRACKER_SMTP_STARTTLS is not 1: the SMTP password would "
                    "cross the network in clear text. Set TRACKER_SMTP_STARTTLS=1.")


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
        # Who is asking, on vendor pages and mail, until an admin sets it on /admin/organization.
        "TRACKER_ORGANIZATION_NAME": (env("TRACKER_ORGANIZATION_NAME") or "").strip() or "our organization",
        "TRACKER_ORGANIZATION_REPLY_TO": (env("TRACKER_ORGANIZATION_REPLY_TO") or "").strip(),
        "TRACKER_SCHEDULER": env("TRACKER_SCHEDULER") or "embedded",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure cookies only make sense when the public URL is https; on the
        # default http://127.0.0.1 a Secure cookie would never be sent back.
        "SESSION_COOKIE_SECURE": (env("TRACKER_BASE_URL") or "").startswith("https://"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        # A signed-in browser is signed out after this long without a request,
        # and after the lifetime whatever it does (see tracker/people/auth.py).
        "TRACKER_SESSION_IDLE": timedelta(hours=_positive("TRACKER_SESSION_IDLE_HOURS", 8)),
        "TRACKER_SESSION_LIFETIME": timedelta(days=_positive("TRACKER_SESSION_DAYS", 7)),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=_positive("TRACKER_SESSION_DAYS", 7)),
        # seed-demo: the demo admin's password; unset, a random one is made
        # and kept in instance/demo_password.
        "TRACKER_DEMO_PASSWORD": env("TRACKER_DEMO_PASSWORD") or None,
        # Regulator watches (docs/watches.md): each provider's API URL (its public API by
        # default) and key (none skips the provider), as the providers declare them.
        **{name: env(name) or default for name, default in provider_settings_defaults().items()},
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        # Sign-in with an identity provider (OpenID Connect, docs/security.md): on when the
        # issuer and client id are set. The redirect URI is <TRACKER_BASE_URL>/login/oidc/callback.
        "TRACKER_OIDC_ISSUER": (env("TRACKER_OIDC_ISSUER") or "").strip().rstrip("/") or None,
        "TRACKER_OIDC_CLIENT_ID": env("TRACKER_OIDC_CLIENT_ID") or None,
        "TRACKER_OIDC_CLIENT_SECRET": env("TRACKER_OIDC_CLIENT_SECRET") or None,
        "TRACKER_OIDC_PROVIDER_NAME": env("TRACKER_OIDC_PROVIDER_NAME") or "your identity provider",
        "TRACKER_OIDC_GROUPS_CLAIM": env("TRACKER_OIDC_GROUPS_CLAIM") or "groups",
        "TRACKER_OIDC_SCOPES": env("TRACKER_OIDC_SCOPES") or "openid email profile",
        # TRACKER_PASSWORD_SIGNIN=0: passwords only for the break-glass admins listed.
        "TRACKER_PASSWORD_SIGNIN": env("TRACKER_PASSWORD_SIGNIN", "1") != "0",
        "TRACKER_BREAK_GLASS_ADMINS": sorted({part.strip().lower() for part in
                                              (env("TRACKER_BREAK_GLASS_ADMINS") or "").split(",")
                                              if part.strip()}),
        # Operations (docs/deployment.md): /metrics off unless 1; the token, or else the
        # addresses (loopback by default), decide who may scrape it; text or json log lines.
        "TRACKER_METRICS": env("TRACKER_METRICS", "0") == "1",
        "TRACKER_METRICS_TOKEN": env("TRACKER_METRICS_TOKEN") or None,
        "TRACKER_METRICS_ALLOW": env("TRACKER_METRICS_ALLOW") or None,
        "TRACKER_LOG_FORMAT": (env("TRACKER_LOG_FORMAT") or "text").strip().lower(),
        # Finished mail (sent, cancelled, failed) keeps its body this long, then only its record.
        "TRACKER_OUTBOX_RETENTION_DAYS": _positive("TRACKER_OUTBOX_RETENTION_DAYS", 30),
    }
