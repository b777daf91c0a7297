"""Signing in through the identity provider's own pages in Chromium, and signing out there too."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.factories import make_team, make_user
from tests.oidc_support import oidc_config, oidc_provider
from tracker import create_app
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.signin import operations as mappings

pytestmark = pytest.mark.browser


@pytest.fixture
def sso_server(database_template, tmp_path):
    """The tracker served on loopback, signing in with oidc-provider started for its exact callback URL."""
    if not isinstance(database_template, Path):
        pytest.skip("browser tests run on the SQLite pass only")
    path = tmp_path / "browser.db"
    shutil.copyfile(database_template, path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "browser-test",
                      "TRACKER_SCHEDULER": "off", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    with oidc_provider(base) as issuer:
        app.config.update(TRACKER_BASE_URL=base, **oidc_config(issuer))
        with app.app_context():
            make_team(key="grc", name="GRC")
            mappings.save_group_mapping("grc-editors", "editor", ["grc"], SYSTEM)
            make_user("admin@example.com", role="admin")
            db.session.remove()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield base, issuer
        server.shutdown()
        thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


def test_sign_in_with_the_provider_and_out_again(browser, sso_server):
    base, issuer = sso_server
    context = browser.new_context(base_url=base)
    context.set_default_timeout(15000)
    page = context.new_page()
    try:
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/login"))
        page.get_by_role("link", name="Sign in with Test IdP").click()
        expect(page).to_have_url(re.compile("^" + re.escape(issuer) + "/interaction/"))
        page.locator("input[name=login]").fill("alice")
        page.locator("input[name=password]").fill("anything")
        page.get_by_role("button", name="Sign-in").click()
        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        page.goto("/account")
        expect(page.get_by_text("alice@example.com · role editor · teams: GRC")).to_be_visible()

        page.locator("#menu-user > summary").click()  # Sign out is in the user menu
        page.get_by_role("button", name="Sign out", exact=True).click()
        expect(page).to_have_url(re.compile("^" + re.escape(issuer) + "/session/end"))
        page.get_by_role("button", name="Yes, sign me out").click()
        expect(page).to_have_url(re.compile("^" + re.escape(base) + "/login"))
        page.goto("/account")
        expect(page).to_have_url(re.compile(r"/login"))
    finally:
        context.close()
