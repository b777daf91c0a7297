"""Every request gets an id (kept from a sane incoming X-Request-ID), and is counted and timed.

The id goes back in the X-Request-ID header, into every log line written while the
request runs (tracker/operations/logs.py) and into every problem document
(tracker/api/problems.py), so a user's report, the proxy's log and the app's log meet.
"""

from __future__ import annotations

import re
import time
import uuid

from flask import Flask, Response, g, has_request_context, request

from tracker.operations import metrics

HEADER = "X-Request-ID"
SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def current_id() -> str | None:
    """The id of the request being answered (None outside a request)."""
    if not has_request_context():
        return None
    return g.get("request_id")


def _assign() -> None:
    incoming = request.headers.get(HEADER, "")
    g.request_id = incoming if SANE.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    if "request_id" not in g:  # a response made before our first hook ran (another hook answered)
        _assign()
    response.headers[HEADER] = g.request_id
    if request.environ.get("tracker.warm_up"):
        return response  # the start-up warm-up's request is nobody's
    metrics.http_request(request.endpoint or "unmatched", request.method, response.status_code,
                         time.perf_counter() - g.request_started)
    return response


def init_app(app: Flask) -> None:
    """Run first on every request, and last on every response."""
    app.before_request_funcs.setdefault(None, []).insert(0, _assign)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)  # after_request runs in reverse order
