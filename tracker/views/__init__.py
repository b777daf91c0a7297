"""Pages, one module per area; each attaches itself with `register(app)`."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every page module to the app, in one way: `module.register(app)`.

    The order matters only where the navigation is built (each module adds its
    own items with an explicit `order`) and for the error pages (registered
    after the blueprints they answer for).
    """
    from tracker.views import (
        account, api_tokens, audit_words, auth, channels, comments, dashboard, deadline_form, errors, events,
        evidence, feeds, health, metrics, notifications, obligations, organization, outbox, reports, respond,
        search, signin, sources, teams, timeline, transfer, users, vendor_matrix, vendor_requests, vendors,
        watches, work,
    )

    for module in (auth, dashboard, search, audit_words, organization, health, metrics, obligations,
                   deadline_form, sources, events, timeline, teams, users, transfer, account, errors, feeds,
                   outbox, notifications, channels, watches, vendors, vendor_matrix, respond, signin,
                   vendor_requests, reports, work, comments, evidence, api_tokens):
        module.register(app)
