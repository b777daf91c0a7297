"""The sign-in settings, read from the app's config (pure: no Flask, no database)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlsplit

CALLBACK_PATH = "/login/oidc/callback"
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
SIGNED_IN_HERE = "oidc_signed_in"  # the session key marking a browser signed in through the provider


@dataclass(frozen=True)
class OidcSettings:
    """What the tracker knows about its identity provider before asking it anything."""

    issuer: str
    client_id: str
    client_secret: str | None
    provider_name: str
    groups_claim: str
    scopes: str
    redirect_uri: str

    def issuer_problem(self) -> str | None:
        """Why the issuer URL cannot be used, or None.

        Plain http would let anyone on the path swap the provider's keys, so it is
        accepted only on loopback (a provider on the same machine, as in tests).
        """
        parts = urlsplit(self.issuer)
        if parts.scheme == "https" and parts.hostname:
            return None
        if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
            return None
        return "the issuer URL must start with https://"


def oidc_settings(config: Mapping) -> OidcSettings | None:
    """The identity provider's settings, or None when sign-in with one is not configured."""
    issuer, client_id = config.get("TRACKER_OIDC_ISSUER"), config.get("TRACKER_OIDC_CLIENT_ID")
    if not issuer or not client_id:
        return None
    scopes = " ".join(dict.fromkeys(["openid", *str(config.get("TRACKER_OIDC_SCOPES") or "").split()]))
    return OidcSettings(
        issuer=str(issuer).rstrip("/"),
        client_id=str(client_id),
        client_secret=config.get("TRACKER_OIDC_CLIENT_SECRET") or None,
        provider_name=str(config.get("TRACKER_OIDC_PROVIDER_NAME") or "your identity provider"),
        groups_claim=str(config.get("TRACKER_OIDC_GROUPS_CLAIM") or "groups"),
        scopes=scopes,
        redirect_uri=str(config.get("TRACKER_BASE_URL") or "").rstrip("/") + CALLBACK_PATH,
    )


def password_signin_allowed(config: Mapping, email: str) -> bool:
    """Whether `email` may sign in with a password: everyone, unless TRACKER_PASSWORD_SIGNIN=0,
    then only the break-glass admins named in TRACKER_BREAK_GLASS_ADMINS."""
    if config.get("TRACKER_PASSWORD_SIGNIN", True):
        return True
    allowed = {address.strip().lower() for address in config.get("TRACKER_BREAK_GLASS_ADMINS") or ()}
    return email.strip().lower() in allowed
