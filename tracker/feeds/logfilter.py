"""Keep feed tokens, unsubscribe tokens and vendor response links out of logs.

A feed URL is a password: anyone holding it reads the feed; an unsubscribe URL
changes someone's email settings. Access logs print request paths, so a filter
rewrites `/feeds/<token>.ics` to `/feeds/<redacted>.ics` and
`/unsubscribe/<token>` to `/unsubscribe/<redacted>` and `/respond/<token>...` to
`/respond/<redacted>` in every record of the
loggers that print paths: werkzeug's development server, gunicorn's access
log, and the app's own logger (Flask logs "Exception on /path" on errors).

Request lines are logged as sent, and the server decodes percent-escapes
before routing, so `/feeds/<token>%2Eics`, `%2Ffeeds%2F...` or `%66eeds` reach
the same feed. Each word of a log line is therefore percent-decoded (repeatedly,
so `%252E` too) before it is searched, case-insensitively. A word that holds a
secret is written back decoded and redacted, with anything unprintable escaped
again so a decoded `%0A` cannot forge a log line; other words are left alone.
"""

from __future__ import annotations

import logging
import re
import string
from urllib.parse import quote, unquote

from flask import Flask

SECRET_PATH = re.compile(r"/(feeds|unsubscribe|respond)/[^?&#\s]*", re.IGNORECASE)
WORD = re.compile(r"[^\s\"']+")
REDACTED = "/feeds/<redacted>.ics"
LOGGER_NAMES = ("werkzeug", "gunicorn.access", "gunicorn.error")
# Printable ASCII but '%' stays as it is; spaces, controls and non-ASCII are escaped again.
_PRINTABLE = "".join(ch for ch in string.punctuation if ch != "%")
_MAX_DECODES = 5


def _decoded(word: str) -> str:
    for _ in range(_MAX_DECODES):
        plain = unquote(word)
        if plain == word:
            break
        word = plain
    return word


def _marker(match: re.Match) -> str:
    if match.group(1).lower() == "unsubscribe":
        return "/unsubscribe/<redacted>"
    if match.group(1).lower() == "respond":
        return "/respond/<redacted>"
    return REDACTED if match.group(0).lower().endswith(".ics") else "/feeds/<redacted>"


def _redact_word(match: re.Match) -> str:
    word = match.group(0)
    plain = _decoded(word)
    if not SECRET_PATH.search(plain):
        return word
    return quote(SECRET_PATH.sub(_marker, plain), safe=_PRINTABLE)


def redact(text: str) -> str:
    """`text` with every feed and unsubscribe token replaced, however it was percent-encoded."""
    if "/" not in text and "%" not in text:
        return text
    return WORD.sub(_redact_word, text)


def _redact_value(value):
    return redact(value) if isinstance(value, str) else value


class FeedTokenFilter(logging.Filter):
    """Rewrites log records so no feed or unsubscribe token is printed (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and redact(record.msg) != record.msg:
            if record.args:
                # The format string itself holds a secret: format first, so a decoded '%'
                # cannot be taken for a placeholder.
                record.msg, record.args = redact(record.getMessage()), None
                return True
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
