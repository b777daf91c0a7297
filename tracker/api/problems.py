"""RFC 9457 problem details: the one shape of every error under /api/v1."""

from __future__ import annotations

from http import HTTPStatus
from typing import Iterable

from flask import Flask, Response, current_app, json, request
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.operations import metrics, requests as request_ids

API_PREFIX = "/api/v1"
PROBLEM_TYPE_BASE = "/api/docs#problem-"
PROBLEM_JSON = "application/problem+json"
# PostgreSQL's answers to a request that waited too long or lost a lock race: lock_timeout
# (55P03), statement_timeout (57014), deadlock (40P01), serialization failure (40001).
BUSY_SQLSTATES = ("55P03", "57014", "40P01", "40001")


class ApiProblem(Exception):
    """An error a view raises to answer with a problem document."""

    def __init__(self, status: int, detail: str, errors: list[dict] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


def problem(status: int, detail: str = "", errors: Iterable[dict] = (),
            headers: dict[str, str] | None = None) -> Response:
    """A problem+json response: type, title, status, detail and field errors.

    Whatever the request had started is rolled back first: nothing half-written,
    and no row lock held after an error.
    """
    db.session.rollback()
    title = HTTPStatus(status).phrase
    body = {
        "type": PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail or title,
        "errors": list(errors),
        "request_id": request_ids.current_id(),  # the X-Request-ID header, and in every log line
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_errors(errors: dict[str, str], prefix: str = "") -> list[dict]:
    """Service errors ({field: reason}) as problem items with a JSON Pointer path."""
    return [{"path": f"{prefix}/{name}", "message": reason} for name, reason in errors.items()]


def pydantic_errors(exc: ValidationError) -> list[dict]:
    """Pydantic's errors as problem items (path as a JSON Pointer into the body)."""
    items = []
    for error in exc.errors(include_url=False, include_input=False, include_context=True):
        path = "".join(f"/{part}" for part in error["loc"])
        message = error["msg"]
        if error["type"] == "value_error":  # our own checks: their message, without pydantic's prefix
            message = str(error.get("ctx", {}).get("error", message))
        items.append({"path": path, "message": message})
    return items


def is_api_request() -> bool:
    """True for every URL under /api/v1, routed or not."""
    path = request.path
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _http_problem(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {}
    if status == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="tracker"'
    detail = exc.description if status != 404 else f"nothing at {request.path}"
    return problem(status, detail, headers=headers)


def init_app(app: Flask) -> None:
    """Answer every error under /api/v1 with problem details; leave other URLs alone.

    The app's own error handlers (HTML pages) may be registered before or
    after this, for HTTPException or for single codes; so instead of
    competing with them, the API's paths are answered one step earlier, where
    Flask dispatches HTTP errors and unhandled exceptions. The service errors
    are handled by the API blueprint itself (register_blueprint_handlers).
    """
    handle_http_exception = app.handle_http_exception
    handle_exception = app.handle_exception

    def api_http_exception(exc: HTTPException):
        if not is_api_request() or exc.code is None or exc.code < 400:
            return handle_http_exception(exc)
        # CSRF protection runs before routing; for a URL or method the API
        # does not have, the routing error is the true answer (404/405).
        if isinstance(request.routing_exception, HTTPException):
            exc = request.routing_exception
        return _http_problem(exc)

    def api_exception(exc: Exception):
        if not is_api_request() or app.config.get("PROPAGATE_EXCEPTIONS") or app.testing:
            return handle_exception(exc)  # re-raised in tests and debug mode, as Flask does
        app.logger.error("unhandled error in the API", exc_info=exc)
        return problem(500, "the server failed to answer; the error was logged")

    app.handle_http_exception = api_http_exception
    app.handle_exception = api_exception


def register_blueprint_handlers(bp) -> None:
    """Service and validation errors raised by the API's views (once, at import)."""
    bp.register_error_handler(ApiProblem, lambda exc: problem(exc.status, exc.detail, exc.errors, exc.headers))
    bp.register_error_handler(ValidationFailed, lambda exc: problem(
        422, "some values were refused", field_errors(exc.errors)))
    bp.register_error_handler(Conflict, lambda exc: problem(
        409, str(exc), [{"path": f"/{exc.field}", "message": str(exc)}] if exc.field else []))
    bp.register_error_handler(ValidationError, lambda exc: problem(
        422, "some values were refused", pydantic_errors(exc)))

    def database_error(exc: DBAPIError):
        if busy_database(exc):
            metrics.database_busy()
            return problem(503, "the database was busy and nothing was changed; try again",
                           headers={"Retry-After": "1"})
        return unexpected(exc)

    bp.register_error_handler(DBAPIError, database_error)

    def unexpected(exc: Exception):
        # Ahead of any app-wide handler (an HTML page): an API client gets JSON.
        if current_app.testing or current_app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc
        current_app.logger.error("unhandled error in the API", exc_info=exc)
        return problem(500, "the server failed to answer; the error was logged")

    bp.register_error_handler(Exception, unexpected)


def busy_database(exc: DBAPIError) -> bool:
    """A lock or statement timeout, a deadlock or a serialization failure (PostgreSQL),
    "database is locked" (SQLite): the request was rolled back and may simply be retried."""
    original = getattr(exc, "orig", None)
    if getattr(original, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    return "database is locked" in str(original or "")
