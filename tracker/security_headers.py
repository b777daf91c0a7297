"""Security headers on every response, set in one place (an after-request hook).

* HTML pages get a Content-Security-Policy that allows scripts, styles, images,
  fonts and connections from this origin only, and nothing inline: the templates
  keep their JavaScript in static/tracker.js and their CSS in static/*.css.
* Every response (pages, feeds, the API, static files) gets `nosniff`.
* `Referrer-Policy: same-origin` unless a view chose a stricter one (the feed
  route sends `no-referrer`).
* HSTS only when TRACKER_BASE_URL is https: a plain-http install must not tell
  browsers to refuse it.
* `Cache-Control: no-store` on the pages that show secrets (a new API token, feed
  URLs, account pages, unsubscribe links), so no disk cache or shared proxy keeps them.
"""

from __future__ import annotations

from flask import Flask, Response, request

POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# The outbox preview shows a stored email in a sandboxed srcdoc iframe, which inherits the
# page's policy. Emails carry their styles inline (mail clients drop <link>), so that one page
# allows inline styles; scripts stay forbidden (and the sandbox blocks them anyway).
RELAXED: dict[str, dict[str, str]] = {
    "outbox.show": {"style-src": "'self' 'unsafe-inline'"},
}

NO_STORE_ENDPOINTS = frozenset({
    "api_tokens.tokens",          # shows a new API token once
    "feeds.subscribe",            # the calendar page lists secret feed URLs
    "feeds.regenerate_team",
    "feeds.regenerate_personal",
    "teams.detail",               # may show the team's feed URL
    "notifications.unsubscribe",  # the URL carries the unsubscribe token
    "notifications.unsubscribe_post",
    "vendor_requests.link_action",  # shows a new response link once
})
NO_STORE_BLUEPRINTS = frozenset({"account", "users", "respond"})
# Pages whose URL is a secret (response links, contacts' unsubscribe and feeds): no Referer at all,
# so a link followed from them never carries the token to another site.
NO_REFERRER_BLUEPRINTS = frozenset({"respond"})

HSTS = "max-age=31536000"


def policy_for(endpoint: str | None) -> str:
    directives = dict(POLICY)
    directives.update(RELAXED.get(endpoint or "", {}))
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _shows_secrets(endpoint: str | None) -> bool:
    if not endpoint:
        return False
    return endpoint in NO_STORE_ENDPOINTS or endpoint.split(".", 1)[0] in NO_STORE_BLUEPRINTS


def apply_headers(response: Response, app: Flask) -> Response:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    if (request.blueprint or "") in NO_REFERRER_BLUEPRINTS:
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cache-Control"] = "no-store"
    headers.setdefault("Referrer-Policy", "same-origin")
    if app.config.get("TRACKER_BASE_URL", "").startswith("https://"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    if response.mimetype == "text/html":
        headers["Content-Security-Policy"] = policy_for(request.endpoint)
        if _shows_secrets(request.endpoint):
            headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(lambda response: apply_headers(response, app))
