"""Blueprints, one module per area."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint to the app."""
    from tracker.views import api_tokens, auth, dashboard, feeds

    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboard.bp)
    feeds.init_app(app)
    api_tokens.init_app(app)  # the account token page, the API reference and the API itself
