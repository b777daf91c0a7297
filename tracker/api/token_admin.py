"""/api/v1/tokens: admins list every user's API tokens and revoke any of them.

Everyone else manages their own tokens on /account/tokens; here they get 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field
from sqlalchemy import select

from tracker.api.core import ApiProblem, api_user, id_page, next_link, no_content, operation, respond
from tracker.api.representations import Out, UserRef
from tracker.api.schemas import Cursor, Query
from tracker.people.api_tokens import all_tokens_query, revoke_token, where_status
from tracker.audit import Actor
from tracker.db import db
from tracker.models import ApiToken, User
from tracker.people.operations import normalize_email
from tracker.errors import ValidationFailed

TAG = "tokens"
TokenStatus = Literal["active", "expired", "revoked"]


class TokenOut(Out):
    """A token as admins see it: never the secret, nor its hash."""

    id: int
    name: str
    prefix: str = Field(description="The first characters of the secret, to tell tokens apart")
    owner: UserRef
    scope: Literal["full", "read_only"] = Field(description="`read_only` tokens may only GET")
    status: TokenStatus
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_reason: str | None = Field(description="Why: revoked, revoked by an admin, password changed, "
                                                   "user deactivated")


class TokenPage(Out):
    items: list[TokenOut]
    next: str | None


class TokenQuery(Query):
    status: TokenStatus | None = None
    user: Annotated[str | None, Field(max_length=320, description="Only the tokens of the user with this email")] = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Cursor | None = None


def token_out(token: ApiToken) -> TokenOut:
    owner = token.user
    return TokenOut(
        id=token.id, name=token.name, prefix=token.prefix,
        owner=UserRef(id=owner.id, email=owner.email, name=owner.name),
        scope=token.scope, status=token.status, created_at=token.created_at, last_used_at=token.last_used_at,
        expires_at=token.expires_at, revoked_at=token.revoked_at, revoked_reason=token.revoked_reason,
    )


@operation("GET", "/tokens", summary="List every user's API tokens", tag=TAG, role="admin", query=TokenQuery,
           response=TokenPage, errors=(422,),
           description="Admins only. Newest last (by id); revoked and expired tokens included unless "
                       "`status` narrows the list.")
def list_tokens(query: TokenQuery):
    stmt = all_tokens_query()
    if query.status:
        stmt = where_status(stmt, query.status)
    if query.user:
        try:
            email = normalize_email(query.user)
        except ValidationFailed as exc:
            raise ApiProblem(422, "some query parameters were refused",
                             [{"path": "/query/user", "message": exc.errors["email"]}]) from None
        stmt = stmt.where(ApiToken.user_id.in_(select(User.id).where(User.email == email)))
    rows, cursor = id_page(stmt, ApiToken, query.limit, query.cursor)
    return respond(TokenPage(items=[token_out(t) for t in rows], next=next_link(cursor)), etag=False)


@operation("DELETE", "/tokens/<int:token_id>", summary="Revoke any user's API token", tag=TAG, role="admin",
           status=204, description="Admins only. The token stops working at once and stays listed as "
                                   "revoked; revoking a revoked token changes nothing.")
def revoke_token_view(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise ApiProblem(404, f"no token {token_id}")
    revoke_token(token, Actor.of(api_user()))
    return no_content()
