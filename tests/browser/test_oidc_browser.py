"""Signing in through the identity provider's own pages in Chromium, and signing out there too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import served_app
from tests.factories import make_team, make_user
from tests.oidc_support import oidc_config, oidc_provider
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.signin import operations as mappings

pytestmark = pytest.mark.browser


@pytest.fixture
def sso_server(database_template, tmp_path):
    """The tracker served on loopback, signing in with oidc-provider started for its exact callback URL."""
    with served_app(database_template, tmp_path, seed_demo=False, PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
                    TESTING=True) as (base, app), oidc_provider(base) as issuer:
        app.config.update(TRACKER_BASE_URL=base, **oidc_config(issuer))
        with app.app_context():
            make_team(key="grc", name="GRC")
            mappings.save_group_mapping("grc-editors", "editor", ["grc"], SYSTEM)
            make_user("admin@example.com", role="admin")
            db.session.remove()
        yield base, issuer


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
