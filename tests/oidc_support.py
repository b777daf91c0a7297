"""A real OpenID Connect provider on loopback: the `oidc-provider` npm package run by node.

Installed with `npm ci --prefix tests/oidc` (tests/oidc/package-lock.json pins it).
Without node or that install the sign-in tests are skipped with a reason, except
under CI, where they fail.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "tracker-test"
CLIENT_SECRET = "test-client-secret-0123456789abcdef"  # a test value, not a secret anywhere
USERS = {
    "alice": {"email": "alice@example.com", "email_verified": True, "name": "Alice Compliance",
              "groups": ["grc-editors", "everyone"]},
    "bob": {"email": "bob@example.com", "email_verified": True, "name": "Bob Buyer",
            "groups": ["procurement-viewers", "everyone"]},
    "carol": {"email": "carol@example.com", "email_verified": False, "name": "Carol Unverified",
              "groups": ["grc-editors"]},
    "dave": {"email": "dave@example.com", "email_verified": True, "name": "Dave Elsewhere",
             "groups": ["sales"]},
}


def _node() -> str:
    node = shutil.which("node")
    if node and (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        return node
    if os.environ.get("CI"):
        pytest.fail("node and tests/oidc/node_modules are needed (npm ci --prefix tests/oidc), and CI must run "
                    "the sign-in tests")
    pytest.skip("the test OpenID provider is not installed: run `npm ci --prefix tests/oidc` "
                "(needs node 20.19 or later)")


@contextmanager
def oidc_provider(base_url: str, users: dict | None = None) -> Iterator[str]:
    """Run the provider for a tracker at `base_url` until the block ends; yields its issuer URL."""
    config = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
              "redirect_uris": [base_url.rstrip("/") + "/login/oidc/callback"],
              "post_logout_redirect_uris": [base_url.rstrip("/") + "/login"], "users": users or USERS}
    process = subprocess.Popen([_node(), str(OIDC_DIR / "provider.mjs"), json.dumps(config)], cwd=OIDC_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(20)
        if not ready or not ready[0].startswith("listening "):
            raise RuntimeError(f"the test OpenID provider did not start: {ready!r}")
        yield ready[0].split()[1]
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def oidc_config(issuer: str, **extra) -> dict:
    """The app settings for signing in with the provider at `issuer`."""
    return {"TRACKER_OIDC_ISSUER": issuer, "TRACKER_OIDC_CLIENT_ID": CLIENT_ID,
            "TRACKER_OIDC_CLIENT_SECRET": CLIENT_SECRET, "TRACKER_OIDC_PROVIDER_NAME": "Test IdP", **extra}


def sign_in_at_provider(authorize_url: str, login: str, tracker_base: str,
                        browser: httpx.Client | None = None) -> str:
    """Play the person at the provider: follow its redirects and fill its login form as `login`.

    Returns the callback URL the provider sends the browser back to (not followed).
    """
    browser = browser or httpx.Client(timeout=10)
    url, method, data = authorize_url, "GET", None
    for _ in range(20):
        response = browser.request(method, url, data=data, follow_redirects=False)
        if response.is_redirect:
            url, method, data = urljoin(url, response.headers["Location"]), "GET", None
            if url.startswith(tracker_base):
                return url
            continue
        assert response.status_code == 200, (response.status_code, response.text[:500])
        assert 'name="prompt" value="login"' in response.text, response.text[:500]
        action = response.text.split('action="', 1)[1].split('"', 1)[0]
        url, method, data = urljoin(url, action), "POST", {"prompt": "login", "login": login, "password": "any"}
    raise AssertionError("the provider never sent the browser back")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


@contextmanager
def signin_log() -> Iterator[io.StringIO]:
    """Capture what the sign-in logger writes during the block (re-enabled: Alembic's
    fileConfig, run by the migrations fixture, disables loggers that existed before it)."""
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    logger = logging.getLogger("tracker.signin")
    was_disabled, logger.disabled = logger.disabled, False
    logger.addHandler(handler)
    try:
        yield captured
    finally:
        logger.removeHandler(handler)
        logger.disabled = was_disabled
