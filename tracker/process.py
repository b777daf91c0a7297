"""What kind of process this is: one that serves requests, or a CLI command (pure of the domains)."""

from __future__ import annotations

import os

import click
from flask import Flask


def serving_process(app: Flask) -> bool:
    """True unless this process runs another CLI command or is the reloader's parent."""
    context = click.get_current_context(silent=True)
    if context is None:
        return True  # gunicorn or another WSGI server imported app.py
    if context.info_name != "run":
        return False
    reload = context.params.get("reload")
    if reload is None:
        reload = app.debug
    return not reload or os.environ.get("WERKZEUG_RUN_MAIN") == "true"
