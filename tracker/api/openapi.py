"""The OpenAPI 3.1 document, built from the operation registry and the pydantic models.

Nothing here is written beside the code: paths, parameters, bodies and
responses all come from the @operation declarations and the same models
that validate requests and build responses.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from tracker.api.core import MAX_ID, OPERATIONS, Operation
from tracker.api.problems import PROBLEM_JSON
from tracker.api.representations import RESPONSE_MODELS

REF = "#/components/schemas/{model}"
ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "No valid API token: missing, unknown, revoked or expired (`detail` says which; see WWW-Authenticate)",
    403: "The token's user lacks the role this needs (for a team's objects: editor in that team, named in `detail`), "
         "or the token is read-only and this is not a GET",
    404: "No such resource",
    405: "Method not allowed on this path",
    409: "Conflicts with the register's state (duplicate key, still in use)",
    412: "If-Match names an older version (the current ETag is returned)",
    413: "The body is too large",
    415: "The body is not application/json",
    422: "Some values were refused; `errors` lists each with its path",
    503: "The database was busy (a lock or statement timeout, a deadlock): nothing was changed; "
         "try again after Retry-After seconds",
}
TAGS = [
    {"name": "obligations", "description": "What teams must do, with computed deadlines"},
    {"name": "events", "description": "Dated milestones of sources; recording one moves deadlines"},
    {"name": "sources", "description": "Bills, orders, rules, cases, programs"},
    {"name": "teams", "description": "Teams and their reminder policies (writes: admins)"},
    {"name": "packs", "description": "Regulation pack import"},
    {"name": "watches", "description": "Sources watched at a regulator API (Congress.gov, the Federal Register, "
                                       "Open States)"},
    {"name": "proposals", "description": "What the watches observed, proposed as changes of events; accept or reject"},
    {"name": "vendors", "description": "Suppliers, the vendor requests vendor-scoped obligations fan out into, "
                                       "and each obligation's vendor scope"},
    {"name": "reports", "description": "Audit reports of a team, a source or a vendor (PDF, Excel), today or as "
                                       "of a past day"},
    {"name": "work", "description": "Managing the work: assigning owners, bulk changes (all or nothing), "
                                    "saved views of the obligations list"},
    {"name": "comments", "description": "Comments on obligations and vendor requests (Markdown subset, mentions)"},
    {"name": "evidence", "description": "Evidence that our own obligations were done: files and links"},
    {"name": "tokens", "description": "Every user's API tokens, listed and revoked by admins "
                                      "(everyone manages their own on /account/tokens)"},
]


def _models() -> list[type[BaseModel]]:
    models: list[type[BaseModel]] = list(RESPONSE_MODELS)
    for op in OPERATIONS:
        for model in (op.body, op.response):
            if model is not None and model not in models:
                models.append(model)
    return models


def _schema_ref(model: type[BaseModel], mode: str, names: dict) -> dict:
    return names[(model, mode)]


def _query_parameters(model: type[BaseModel], defs: dict) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF)
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        if "anyOf" in prop:  # optional: the parameter is simply left out, never null
            prop = next(p for p in prop["anyOf"] if p.get("type") != "null") | (
                {"default": prop["default"]} if prop.get("default") is not None else {})
            prop.pop("title", None)
            description = description or prop.pop("description", None)
        param = {"name": name, "in": "query", "required": False, "schema": prop}
        if description:
            param["description"] = description
        params.append(param)
    return params


def _error_statuses(op: Operation) -> list[int]:
    codes = {401, 503} | set(op.errors)
    if op.role != "viewer" or op.method != "GET":  # a read-only token may only GET
        codes.add(403)
    if op.path_params:
        codes.add(404)
    if op.if_match:
        codes.add(412)
    if op.body is not None or op.raw_body is not None:
        codes |= {400, 413, 415, 422}
    return sorted(codes)


def _operation(op: Operation, names: dict) -> dict:
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}} for name in op.path_params]
    if op.query is not None:
        parameters += _query_parameters(op.query, names)
    if op.if_match:
        parameters.append({"name": "If-Match", "in": "header", "required": False,
                           "description": "The ETag you read; 412 if the resource changed since",
                           "schema": {"type": "string"}})
    doc: dict[str, Any] = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag],
                           "parameters": parameters, "security": [{"bearer": []}],
                           "x-role": op.role}
    if op.description:
        doc["description"] = op.description
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _schema_ref(op.body, "validation", names)}}}
    elif op.raw_body is not None:
        doc["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.raw_body}}}
    success: dict[str, Any] = {"description": HTTPStatus(op.status).phrase}
    if op.response is not None:
        success["content"] = {op.media_type: {"schema": _schema_ref(op.response, "serialization", names)}}
    elif op.media_type != "application/json":
        success["content"] = {op.media_type: {"schema": {"type": "string"}}}
    if op.etag:
        success["headers"] = {"ETag": {"description": "The version of this resource, for If-Match",
                                       "schema": {"type": "string"}}}
    responses = {str(op.status): success}
    for code in _error_statuses(op):
        responses[str(code)] = {"$ref": f"#/components/responses/Problem{code}"}
    doc["responses"] = responses
    return doc


def _openapi_path(rule: str) -> str:
    parts = []
    for part in rule.split("/"):
        if part.startswith("<"):
            part = "{" + part[part.index(":") + 1:-1] + "}"
        parts.append(part)
    return "/api/v1" + "/".join(parts)


def build_document() -> dict:
    """The whole OpenAPI 3.1 document."""
    wanted = []
    for model in _models():
        wanted += [(model, "validation"), (model, "serialization")]
    names, schema = models_json_schema(wanted, ref_template=REF)
    components = schema.get("$defs", {})
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(_openapi_path(op.rule), {})[op.method.lower()] = _operation(op, names)
    problem_ref = names[(RESPONSE_MODELS[-1], "serialization")]
    responses = {
        f"Problem{code}": {"description": text, "content": {PROBLEM_JSON: {"schema": problem_ref}}}
        for code, text in ERROR_DESCRIPTIONS.items()
    }
    responses["Problem401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    responses["Problem503"]["headers"] = {"Retry-After": {"description": "Seconds to wait before retrying",
                                                          "schema": {"type": "integer", "minimum": 0}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Compliance Deadline Tracker API",
            "version": "1.0.0",
            "description": "Sources, events, obligations and teams of the deadline register. "
                           "Authenticate with `Authorization: Bearer <token>` (create tokens on your "
                           "account page). A token expires (90 days unless chosen otherwise, at most "
                           "365) and may be read-only (GET only); it is revoked when its user's "
                           "password changes or the user is deactivated. Errors are RFC 9457 "
                           "problem details.",
        },
        "tags": TAGS,
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": responses,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An API token from /account/tokens (or `flask create-token`)"}},
        },
    }
