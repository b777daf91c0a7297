"""Keep feed tokens out of logs.

A feed URL is a password: anyone holding it reads the feed. Access logs print
request paths, so a filter rewrites `/feeds/<token>.ics` to
`/feeds/<redacted>.ics` in every record of the loggers that print paths:
werkzeug's development server, gunicorn's access log, and the app's own
logger (Flask logs "Exception on /path" on errors).
"""

from __future__ import annotations

import logging
import re

from flask import Flask

FEED_PATH = re.compile(r"/feeds/[^/\s\"'?#]+?\.ics")
REDACTED = "/feeds/<redacted>.ics"
LOGGER_NAMES = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    """`text` with every feed token replaced."""
    return FEED_PATH.sub(REDACTED, text)


def _redact_value(value):
    return redact(value) if isinstance(value, str) else value


class FeedTokenFilter(logging.Filter):
    """Rewrites log records so no feed token is printed (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(value) for value in record.args)
        return True


def install(app: Flask) -> None:
    """Attach the filter (once) to the loggers that print request paths."""
    loggers = [logging.getLogger(name) for name in LOGGER_NAMES] + [app.logger]
    for logger in loggers:
        if not any(isinstance(existing, FeedTokenFilter) for existing in logger.filters):
            logger.addFilter(FeedTokenFilter())
