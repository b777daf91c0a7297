"""The compliance deadline tracker: a Flask application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from tracker import config as config_module
from tracker.db import db
from tracker.extensions import bootstrap, csrf, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults from the environment, then `config` on top."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_mapping(config_module.from_environment(
        Path(app.instance_path), secret_key=(config or {}).get("SECRET_KEY")))
    if config:
        app.config.update(config)
    app.config["BOOTSTRAP_SERVE_LOCAL"] = True
    config_module.warn_about_risky_settings(app.config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)

    from tracker import navigation, security_headers, templating
    from tracker.jobs import scheduler
    from tracker.mail import replan as reminder_replan
    from tracker.people import auth
    from tracker.commands import register_commands
    from tracker.feeds import warmup as feed_warmup
    from tracker.operations import logs, requests as request_ids
    from tracker.views import register_blueprints
    from tracker import api
    from tracker.work import notices as work_notices

    request_ids.init_app(app)  # first: every later hook and log line has the request id
    logs.init_app(app)
    auth.init_app(app)
    templating.init_app(app)
    navigation.init_app(app)
    security_headers.init_app(app)
    register_blueprints(app)
    api.init_app(app)  # the JSON API under /api/v1, with its own errors and token checks
    register_commands(app)
    reminder_replan.install()  # next_reminder_at reset when a timing input changes
    work_notices.install()  # a new owner is told, whichever service assigned them
    scheduler.start_embedded(app)
    feed_warmup.warm_up_if_serving(app)
    return app
