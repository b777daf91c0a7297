"""Log lines that carry the request id, as text or (TRACKER_LOG_FORMAT=json) one JSON object per line.

The formatter is set on the app's handlers, and in JSON mode on werkzeug's and
gunicorn's as well (in text mode their lines keep their own format); the secrets
filters keep working, since they rewrite the record before any formatter sees it. gunicorn's access log is written after the request has
ended: put `%({x-request-id}o)s` in its access_log_format to print the id there.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from flask import Flask
from flask.logging import default_handler

from tracker.operations.requests import current_id

FORMATS = ("text", "json")
TEXT = "[%(asctime)s] %(levelname)s in %(module)s [request %(request_id)s]: %(message)s"
LOGGER_NAMES = ("werkzeug", "gunicorn.error", "gunicorn.access", "apscheduler")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record a handler writes ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None,
        }
        request_id = getattr(record, "request_id", "-")
        if request_id != "-":
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT)


def configure_handler(handler: logging.Handler, log_format: str) -> None:
    """Give `handler` the request id and the chosen format (once; safe to call again)."""
    if not any(isinstance(existing, RequestIdFilter) for existing in handler.filters):
        handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter_for(log_format))


def init_app(app: Flask) -> None:
    """Format the app's log lines (and the servers') as TRACKER_LOG_FORMAT says."""
    log_format = app.config.get("TRACKER_LOG_FORMAT", "text")
    if log_format not in FORMATS:
        raise ValueError(f"TRACKER_LOG_FORMAT must be text or json, not {log_format!r}")
    configure_handler(default_handler, log_format)
    for handler in app.logger.handlers:
        configure_handler(handler, log_format)
    if log_format == "json":  # the servers' own text lines (access log) stay as they are in text mode
        for logger in (logging.getLogger(name) for name in LOGGER_NAMES):
            for handler in logger.handlers:
                configure_handler(handler, log_format)
