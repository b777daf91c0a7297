"""Security headers: a strict Content-Security-Policy on pages, nosniff everywhere, HSTS on https,
and no-store on the pages that show secrets."""

from __future__ import annotations

import re

import pytest

from tests.factories import login, make_obligation, make_team, make_user
from tracker import create_app
from tracker.audit import SYSTEM
from tracker.db import db
from tracker.feeds import tokens

REQUIRED_DIRECTIVES = {
    "default-src": "'self'",
    "frame-ancestors": "'none'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
}


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request.path} has no Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value.strip()
    return directives


def _feed_path(team) -> str:
    return "/" + tokens.feed_url(tokens.ensure_token(team, SYSTEM)).split("/", 3)[3]


@pytest.fixture
def admin(client):
    user = make_user(role="admin")
    login(client, user)
    return user


@pytest.mark.parametrize("path", ["/", "/obligations", "/sources", "/events", "/teams", "/timeline",
                                  "/calendar", "/account", "/account/tokens", "/users", "/outbox",
                                  "/import", "/obligations/new", "/no-such-page"])
def test_every_page_carries_the_strict_policy(client, admin, path):
    response = client.get(path)
    assert response.mimetype == "text/html"
    policy = _policy(response)
    for name, value in REQUIRED_DIRECTIVES.items():
        assert policy.get(name) == value, (path, name, policy)
    # Nothing inline may run, and no other origin is trusted for anything.
    joined = " ".join(policy.values())
    assert "unsafe-inline" not in policy.get("script-src", "") and "unsafe-eval" not in joined
    assert "http" not in joined and "*" not in joined
    assert "unsafe-inline" not in policy.get("style-src", ""), "pages keep their styles in files"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_sign_in_page_and_a_server_error_page_carry_it_too(app, client):
    @app.route("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert _policy(client.get("/login"))["frame-ancestors"] == "'none'"
    response = client.get("/boom-for-test")
    assert response.status_code == 500
    assert _policy(response)["default-src"] == "'self'"


def test_pages_contain_no_inline_script_handler_or_style(client, admin):
    team = make_team()
    obligation = make_obligation(team=team)
    db.session.commit()
    paths = ["/", "/obligations", f"/obligations/{obligation.id}", "/obligations/new",
             f"/obligations/{obligation.id}/edit", "/timeline", "/calendar", f"/teams/{team.id}",
             "/sources", "/events", "/account", "/account/tokens", "/users", "/outbox", "/import", "/login"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), f"inline <script> on {path}"
        assert not re.search(r"\son[a-z]+\s*=", page), f"inline event handler on {path}"
        assert "<style" not in page and not re.search(r'\sstyle="', page), f"inline style on {path}"
        for src in re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', page):
            assert src.startswith("https://tracker.example.test") or "calendar.google.com" in src, \
                f"{path} loads {src} from another origin"
        for asset in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page):
            assert asset.startswith("/"), f"{path} loads {asset} from another origin"


def test_nosniff_on_feeds_api_json_and_static_files(client, admin):
    team = make_team()
    make_obligation(team=team)
    db.session.commit()
    feed = client.get(_feed_path(team))
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert feed.headers["X-Content-Type-Options"] == "nosniff"
    # The feed keeps its own stricter referrer rule.
    assert feed.headers["Referrer-Policy"] == "no-referrer"
    api = client.get("/api/v1/openapi.json")
    assert api.status_code == 200 and api.headers["X-Content-Type-Options"] == "nosniff"
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.headers["X-Content-Type-Options"] == "nosniff"
    static = client.get("/bootstrap/static/css/bootstrap.min.css")
    assert static.status_code == 200 and static.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_only_when_the_base_url_is_https(client, tmp_path, database_url):
    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "TRACKER_SCHEDULER": "off",
                        "TRACKER_BASE_URL": "http://127.0.0.1:5000", "SECRET_KEY": "test-secret"})
    with plain.app_context():
        response = plain.test_client().get("/login")
        assert "Strict-Transport-Security" not in response.headers
        assert _policy(response)["default-src"] == "'self'"
        db.session.remove()


def test_pages_with_secrets_are_not_stored_and_others_may_be(client, admin):
    team = make_team()
    db.session.commit()
    created = client.post("/account/tokens", data={"name": "contract system", "password": "password-123"})
    assert "new-token" in created.get_data(as_text=True)
    assert created.headers["Cache-Control"] == "no-store"
    for path in ["/account/tokens", "/calendar", f"/teams/{team.id}", "/account"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers.get("Cache-Control") == "no-store", path
    assert "no-store" not in client.get("/obligations").headers.get("Cache-Control", "")


def test_only_the_outbox_preview_allows_inline_styles_and_no_page_allows_inline_script():
    from tracker.security_headers import policy_for

    preview = dict(part.split(" ", 1) for part in policy_for("outbox.show").split("; "))
    assert preview["style-src"] == "'self' 'unsafe-inline'" and preview["script-src"] == "'self'"
    assert "unsafe-inline" not in policy_for("outbox.index") and "unsafe-inline" not in policy_for(None)
