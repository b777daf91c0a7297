"""A live server over a migrated temporary database, and Debian's Chromium driven by Playwright.

Never runs `playwright install`: the system's chromium is used. Without it the
browser tests are skipped with a reason, except under CI, where they fail.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from flask import Flask

from tests.server_support import served
from tracker import create_app
from tracker.db import db

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DEMO_ADMIN = ("admin@example.com", "tracker-demo-2026")


def _chromium() -> str:
    path = shutil.which("chromium")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed, and CI must run the browser tests")
    pytest.skip("chromium is not installed: browser tests skipped (install Debian's chromium package)")


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@contextmanager
def served_app(database_template, directory: Path, seed_demo: bool = True, **config) -> Iterator[tuple[str, Flask]]:
    """The one live server of the browser tests: a copy of the migrated template at
    `directory`/browser.db, the app over it (CSRF on, no scheduler, the demo admin's known password,
    `config` on top), the demo pack seeded unless told not to, served on a free loopback port by a
    thread per request. Yields (base URL, app); the server stops and the engine is closed however
    the block ends. Setup that needs the URL (an identity provider's callback) can follow the start:
    nothing requests a page before the block's body does."""
    if not isinstance(database_template, Path):
        pytest.skip("browser tests run on the SQLite pass only")
    path = directory / "browser.db"
    shutil.copyfile(database_template, path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "browser-test",
                      "TRACKER_SCHEDULER": "off", "TRACKER_BASE_URL": "http://127.0.0.1",
                      "TRACKER_DEMO_PASSWORD": DEMO_ADMIN[1], **config})  # known login, no forced change
    try:
        if seed_demo:
            with app.app_context():
                result = app.test_cli_runner().invoke(args=["seed-demo"])
                assert result.exit_code == 0, result.output
                db.session.remove()
        with served(app, threaded=True) as base:
            yield base, app
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def live_server(database_template, tmp_path):
    """The demo with CSRF on, served on a free loopback port; its database is tmp_path/browser.db."""
    with served_app(database_template, tmp_path) as (base, _):
        yield base


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server)
    context.set_default_timeout(15000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
