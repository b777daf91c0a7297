"""Blueprints, one module per area."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint to the app."""
    from tracker.views import (
        account,
        api_tokens,
        audit_words,
        channels,
        auth,
        dashboard,
        deadline_form,
        errors,
        events,
        feeds,
        health,
        metrics,
        notifications,
        obligations,
        organization,
        outbox,
        reports,
        sources,
        teams,
        timeline,
        transfer,
        users,
        watches,
        respond,
        signin,
        search,
        vendor_matrix,
        vendor_requests,
        vendors,
        work,
        comments,
        evidence,
    )

    app.register_blueprint(auth.bp)
    dashboard.register(app)
    search.register(app)
    audit_words.register(app)
    organization.register(app)
    app.register_blueprint(health.bp)
    health.init_app(app)
    metrics.init_app(app)
    for module in (obligations, deadline_form, sources, events, timeline, teams, users, transfer, account):
        module.register(app)
    errors.init_app(app)
    feeds.init_app(app)
    outbox.register(app)
    notifications.register(app)
    channels.register(app)
    watches.register(app)
    vendors.register(app)
    vendor_matrix.register(app)
    respond.register(app)
    signin.register(app)
    vendor_requests.register(app)
    reports.register(app)
    work.register(app)
    comments.register(app)
    evidence.register(app)
    api_tokens.init_app(app)  # the account token page, the API reference and the API itself
