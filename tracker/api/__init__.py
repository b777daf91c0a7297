"""The JSON API under /api/v1: token-authenticated, described by OpenAPI 3.1."""

from __future__ import annotations

from flask import Flask, Response, json

from tracker.api import problems
from tracker.api.core import bp
from tracker.api.openapi import build_document

# Importing the resource modules registers their operations on the blueprint.
from tracker.api import obligations, sources, teams, token_admin, vendors, watches  # noqa: E402,F401
from tracker.api import comments, evidence, reports, vendor_review, work  # noqa: E402,F401

problems.register_blueprint_handlers(bp)


@bp.route("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 document (public: it holds no data)."""
    return Response(json.dumps(openapi_cached(), indent=1), mimetype="application/json")


_DOCUMENT: dict | None = None


def openapi_cached() -> dict:
    """The document, built once per process (it depends only on the code)."""
    global _DOCUMENT
    if _DOCUMENT is None:
        _DOCUMENT = build_document()
    return _DOCUMENT


def init_app(app: Flask) -> None:
    """Register the API: blueprint, CSRF exemption, problem details, viewer rule."""
    from tracker.extensions import csrf

    app.register_blueprint(bp)
    csrf.exempt(bp)
    problems.init_app(app)
