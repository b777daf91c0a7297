"""Friendly error pages that say what to do and leak nothing (no tracebacks, no SQL)."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from tracker.db import db
from tracker.people.permissions import NotAllowed

MESSAGES = {
    400: ("The request could not be understood", "Something in the request was not right. Go back and try again."),
    403: ("You may not do that", "Your role does not allow this. Ask an admin if you need it."),
    404: ("Not found", "There is nothing at this address. It may have been deleted, or the link is wrong."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "What you sent is larger than this tracker accepts (16 MB)."),
    429: ("Slow down", "Too many requests. Wait a little and try again."),
    500: ("Something went wrong", "The tracker could not finish this request. Nothing was half-saved; "
                                  "try again, and tell an admin if it keeps happening."),
}


def _page(code: int, detail: str | None = None):
    heading, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    return render_template("errors/error.html", code=code, heading=heading, message=detail or message,
                           title=heading), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _page(400, "The form expired or did not come from this site. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        response = error.get_response()
        # A role refusal says what it would take ("... needs the editor role in team Procurement").
        why = error.description if isinstance(error, NotAllowed) else ""
        body, code = _page(error.code, f"{why[:1].upper()}{why[1:]}." if why else None)
        response.set_data(body)
        response.content_type = "text/html; charset=utf-8"
        return response, code

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return _page(500)
