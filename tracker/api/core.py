"""The plumbing every API view shares: the operation registry, token auth, role
checks, body and query parsing, ETag/If-Match, row locking and cursors.

Each view is declared once with @operation: the same declaration routes the
request, validates it and describes it in the OpenAPI document.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, Response, g, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import update

from tracker.api.problems import ApiProblem, field_errors, pydantic_errors
from tracker.api.representations import etag_of
from tracker.people.api_tokens import TokenRefused, authenticate_token
from tracker.db import db
from tracker.models import ApiToken, User
from tracker.register.queries import text_match

bp = Blueprint("api", __name__, url_prefix="/api/v1")

ROLE_RANK = {"viewer": 0, "editor": 1, "admin": 2}
JSON_BODY_LIMIT = 1024 * 1024
PACK_BODY_LIMIT = 10 * 1024 * 1024
MAX_ID = 2**31 - 1  # ids are 32-bit integers on every backend


@dataclass
class Operation:
    """One method on one path, as routed and as documented."""

    method: str
    rule: str
    endpoint: str
    summary: str
    tag: str
    role: str = "viewer"
    body: type[BaseModel] | None = None
    raw_body: dict | None = None  # a body validated by a service, documented by hand
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    media_type: str = "application/json"
    errors: tuple[int, ...] = ()
    etag: bool = False
    if_match: bool = False
    body_limit: int = JSON_BODY_LIMIT
    description: str = ""
    path_params: list[str] = field(default_factory=list)


OPERATIONS: list[Operation] = []


def api_user() -> User:
    """The user whose token authenticated this request."""
    return g.api_user


def api_token() -> ApiToken:
    """The token that authenticated this request."""
    return g.api_token


def _authenticate() -> ApiToken:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    detail = "send a valid API token: 'Authorization: Bearer <token>'"
    if scheme.lower() == "bearer" and secret.strip():
        try:
            return authenticate_token(secret.strip())
        except TokenRefused as exc:
            detail = exc.detail  # unknown, revoked, expired, or its user deactivated
    raise ApiProblem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="tracker"'})


def _parse_body(op: Operation) -> Any:
    request.max_content_length = op.body_limit
    if request.mimetype != "application/json":
        raise ApiProblem(415, "send the body as application/json")
    raw = request.get_data(cache=True)
    if op.raw_body is not None:
        return raw
    try:
        return op.body.model_validate_json(raw)
    except ValidationError as exc:
        if any(error["type"] == "json_invalid" for error in exc.errors()):
            raise ApiProblem(400, "the body is not valid JSON") from None
        if any(error["type"] == "model_type" and error["loc"] == () for error in exc.errors()):
            raise ApiProblem(422, "the body must be a JSON object") from None
        raise


def _parse_query(op: Operation) -> BaseModel | None:
    if op.query is None:
        return None
    values = {}
    for name in request.args:
        items = request.args.getlist(name)
        values[name] = items[0] if len(items) == 1 else items
    try:
        return op.query.model_validate(values)
    except ValidationError as exc:
        raise ApiProblem(422, "some query parameters were refused",
                         [{"path": "/query" + item["path"], "message": item["message"]}
                          for item in pydantic_errors(exc)]) from None


def operation(method: str, rule: str, **options) -> Callable:
    """Route, validate and document one API operation."""

    def decorator(view: Callable) -> Callable:
        params = [part[part.index(":") + 1:-1] for part in rule.split("/") if part.startswith("<")]
        op = Operation(method=method, rule=rule, endpoint=view.__name__, path_params=params, **options)
        OPERATIONS.append(op)

        @wraps(view)
        def wrapped(**kwargs):
            if any(not 1 <= kwargs[name] <= MAX_ID for name in op.path_params):
                raise ApiProblem(404, f"nothing at {request.path}")
            token = _authenticate()
            user = token.user
            if token.read_only and op.method != "GET":
                raise ApiProblem(403, f"this token is read-only: it may only read (GET), not {op.method}, "
                                      "whatever its user's role; use a token with full access to make changes")
            if ROLE_RANK[user.role] < ROLE_RANK[op.role]:
                raise ApiProblem(403, f"this needs the {op.role} role; the token's user is a {user.role}")
            g.api_user = user
            g.api_token = token
            if op.body is not None or op.raw_body is not None:
                kwargs["body"] = _parse_body(op)
            if op.query is not None:
                kwargs["query"] = _parse_query(op)
            return view(**kwargs)

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapped, methods=[method])
        return wrapped

    return decorator


def respond(model: BaseModel, status: int = 200, etag: bool = True, headers: dict | None = None) -> Response:
    """A JSON response of a response model (with its ETag for a single resource)."""
    response = Response(model.model_dump_json(), status=status, mimetype="application/json")
    if etag:
        response.headers["ETag"] = etag_of(model)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def created(out) -> Response:
    """201 with the new resource's representation, and its URL in Location."""
    return respond(out, 201, headers={"Location": out.links.self})


def no_content() -> Response:
    return Response(status=204)


def lock_row(model: type, row_id: int) -> bool:
    """Take the write lock on one row before reading it for a conditional write.

    A no-op UPDATE is the first statement of the transaction: PostgreSQL locks
    the row, SQLite takes the database write lock, so a second writer waits
    here and then reads what the first one committed. That makes the If-Match
    comparison and the write one atomic step. False when there is no such row.
    """
    result = db.session.execute(
        update(model).where(model.id == row_id).values(updated_at=model.updated_at)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def load_row(model: type, row_id: int, what: str, gone: str | None = None):
    """The row, freshly read (after a lock: what the last writer committed), or a 404 naming `what`;
    also a 404 when the column `gone` (`deleted_at`, `removed_at`) says the row was removed."""
    row = db.session.get(model, row_id, populate_existing=True)
    if row is None or (gone is not None and getattr(row, gone) is not None):
        raise ApiProblem(404, f"no {what} {row_id}")
    return row


def locked_row(model: type, row_id: int, what: str, represent: Callable, load: Callable | None = None):
    """Lock, read (`load(row_id)`, by default `load_row`), and check If-Match: the start of every
    conditional write; a 404 naming `what` when there is no such row."""
    if not lock_row(model, row_id):
        raise ApiProblem(404, f"no {what} {row_id}")
    row = load(row_id) if load is not None else load_row(model, row_id, what)
    check_if_match(represent(row))
    return row


_STRONG_TAG = re.compile(r'"[\x21\x23-\x7e\x80-\xff]*"')  # RFC 9110 entity-tag without W/


def check_if_match(current: BaseModel) -> None:
    """412 when the client's If-Match names another version than the current one."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    wanted = {tag.strip() for tag in header.split(",")}
    if "*" in wanted or etag_of(current) in wanted:
        return
    malformed = sorted(tag for tag in wanted if not _STRONG_TAG.fullmatch(tag))
    if malformed:
        detail = (f"If-Match names no version of this resource: {', '.join(repr(t) for t in malformed)} "
                  'is not a strong ETag ("…", as given in the ETag header) or *')
    else:
        detail = "the resource changed since you read it; GET it again and retry"
    raise ApiProblem(412, detail, headers={"ETag": etag_of(current)})


def encode_cursor(values: list) -> str:
    """An opaque cursor for the row after which the next page starts."""
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, shape: tuple[type, ...]) -> list:
    """The values inside a cursor, checked against their expected types; 422 otherwise."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        values = None
    if (not isinstance(values, list) or len(values) != len(shape)
            or not all(isinstance(v, t) and not (t is int and isinstance(v, bool)) for v, t in zip(values, shape))):
        raise ApiProblem(422, "the cursor is not one this API gave out",
                         [{"path": "/query/cursor", "message": "invalid cursor"}])
    return values


def next_link(cursor: str | None) -> str | None:
    """The URL of the next page: the same filters and limit, the new cursor."""
    if cursor is None:
        return None
    args = request.args.to_dict(flat=False)
    args["cursor"] = [cursor]
    from urllib.parse import urlencode

    return f"{request.path}?{urlencode(args, doseq=True)}"


def service_errors(errors: dict[str, str], mapping: dict[str, str] | None = None) -> ApiProblem:
    """A 422 for service errors, renaming service fields to body paths."""
    mapping = mapping or {}
    renamed = {mapping.get(name, name): reason for name, reason in errors.items()}
    return ApiProblem(422, "some values were refused", field_errors(renamed))


def list_page(stmt, model: type, query, page: type, represent: Callable, equal: dict | None = None,
              *text_columns) -> Response:
    """A list operation's answer: `stmt` narrowed to the query's filters (`equal`: column -> value,
    None for no filter; `query.q` matched in `text_columns`), one page of it by id, and the link to the next."""
    for column, value in (equal or {}).items():
        if value is not None:
            stmt = stmt.where(column == value)
    if text_columns and query.q:
        stmt = stmt.where(text_match(query.q, *text_columns))
    rows, cursor = id_page(stmt, model, query.limit, query.cursor)
    return respond(page(items=[represent(row) for row in rows], next=next_link(cursor)), etag=False)


def id_page(stmt, model: type, limit: int, cursor: str | None):
    """One page of rows ordered by id, and the cursor of the next page (or None)."""
    if cursor:
        (last_id,) = decode_cursor(cursor, (int,))
        stmt = stmt.where(model.id > last_id)
    rows = list(db.session.scalars(stmt.order_by(model.id).limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor([rows[-1].id])
    return rows, None
