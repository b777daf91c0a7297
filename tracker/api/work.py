"""/api/v1: managing the work — an obligation's owner, bulk changes, saved views."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from flask import url_for
from pydantic import Field
from sqlalchemy import select

from tracker.api.core import ApiProblem, api_user, no_content, operation, respond, service_errors
from tracker.api.obligations import load_obligation, locked_obligation
from tracker.api.representations import ObligationOut, Out, obligation_out
from tracker.api.schemas import Body, Id, ObligationStatusName, PriorityName, TagList, _line, _text
from tracker.audit import Actor
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.models import SavedView
from tracker.people import permissions
from tracker.work.operations import BulkRefused, WorkChange, bulk_change, change_work
from tracker.work.policy import may_edit_obligation
from tracker.register.owners import user_by_email
from tracker.work.saved_views import delete_view, save_view, views_of

TAG = "work"
BULK_MAX = 5000
Email = Annotated[str, Field(max_length=320, description="A user's email; null for nobody")]


class OwnerChange(Body):
    """The new owner (a member of the obligation's team), or null for nobody."""

    owner: Email | None


class BulkRow(Body):
    id: Id
    updated_at: dt.datetime | None = Field(
        default=None, description="As the obligation was read: refused if it changed since")


class BulkChange(Body):
    """One change to many obligations, all or nothing."""

    obligations: Annotated[list[BulkRow], Field(min_length=1, max_length=BULK_MAX)]
    action: Literal["assign", "status", "priority", "add_tags", "remove_tags"]
    owner: Email | None = None
    status: ObligationStatusName | None = None
    note: _text(2000) = ""
    priority: PriorityName | None = None
    tags: TagList = []


class BulkResult(Out):
    changed: int
    obligation_ids: list[int]


class SavedViewIn(Body):
    name: _line(100, required=True)
    query: Annotated[_line(2000), Field(description="The obligations list's query string, e.g. owner=me&window=overdue")] = ""


class SavedViewOut(Out):
    id: int
    name: str
    query: str
    url: str


class SavedViewList(Out):
    items: list[SavedViewOut]


def _owner_id(email: str | None, path: str = "owner") -> int | None:
    if email is None:
        return None
    user = user_by_email(email)
    if user is None:
        raise service_errors({path: f"no user with the email {email!r}"})
    return user.id


def _refusal(refused: BulkRefused) -> ApiProblem:
    return ApiProblem(409, f"nothing changed: {len(refused.rows)} obligation(s) cannot be changed",
                      [{"path": "/obligations", "message": f"obligation {row.obligation_id} ({row.title}): {row.reason}"}
                       for row in refused.rows])


@operation("PUT", "/obligations/<int:obligation_id>/owner", summary="Assign an obligation", tag=TAG,
           role="editor", body=OwnerChange, response=ObligationOut, etag=True, if_match=True,
           description="The owner must be a member of the obligation's team; they are told by email "
                       "(with their other notices of the next pass) and the team's channels get `obligation.assigned`.")
def assign_owner(obligation_id: int, body: OwnerChange):
    ob = locked_obligation(obligation_id)
    user = api_user()
    permissions.require(may_edit_obligation(user, ob), "assigning needs the editor role in the obligation's team")
    try:
        change_work(ob, WorkChange(owner_id=_owner_id(body.owner)), user, Actor.of(user))
    except ValidationFailed as exc:
        raise service_errors(exc.errors, {"obligation": "owner"}) from None
    return respond(obligation_out(load_obligation(obligation_id)))


def _change(body: BulkChange) -> WorkChange:
    if body.action == "assign":
        return WorkChange(owner_id=_owner_id(body.owner))
    if body.action == "status":
        if body.status is None:
            raise service_errors({"status": "give the new status"})
        return WorkChange(status=body.status, note=body.note)
    if body.action == "priority":
        if body.priority is None:
            raise service_errors({"priority": "give the new priority"})
        return WorkChange(priority=body.priority)
    if not body.tags:
        raise service_errors({"tags": "give at least one tag"})
    return WorkChange(**{body.action: list(body.tags)})


@operation("POST", "/obligations/bulk", summary="Change many obligations at once", tag=TAG, role="editor",
           body=BulkChange, response=BulkResult, errors=(409,),
           description="All or nothing: if one obligation may not be changed, is missing, or changed since "
                       "`updated_at`, nothing changes and the 409 lists each such obligation and why. "
                       "One audit entry per obligation changed.")
def bulk(body: BulkChange):
    user = api_user()
    selection = {row.id: row.updated_at for row in body.obligations}
    try:
        changed = bulk_change(selection, _change(body), user, Actor.of(user))
    except ValidationFailed as exc:
        raise service_errors(exc.errors, {"add_tags": "tags", "remove_tags": "tags"}) from None
    except BulkRefused as refused:
        raise _refusal(refused) from None
    return respond(BulkResult(changed=changed, obligation_ids=sorted(selection)), etag=False)


def _view_out(view: SavedView) -> SavedViewOut:
    return SavedViewOut(id=view.id, name=view.name, query=view.query,
                        url=url_for("work.open_view", view_id=view.id, _external=True))


@operation("GET", "/views", summary="Your saved views", tag=TAG, response=SavedViewList)
def list_views():
    return respond(SavedViewList(items=[_view_out(v) for v in views_of(api_user())]), etag=False)


@operation("POST", "/views", summary="Save a view", tag=TAG, body=SavedViewIn, response=SavedViewOut, status=201,
           description="A named filter of the obligations list, kept for you; a view of the same name is replaced. "
                       "Its `url` can be shared with the team.")
def create_view(body: SavedViewIn):
    try:
        view = save_view(api_user(), body.name, body.query)
    except ValidationFailed as exc:
        raise service_errors(exc.errors) from None
    return respond(_view_out(view), 201, etag=False)


@operation("DELETE", "/views/<int:view_id>", summary="Delete a saved view", tag=TAG, status=204)
def remove_view(view_id: int):
    view = db.session.scalar(select(SavedView).where(SavedView.id == view_id))
    user = api_user()
    if view is None or (view.user_id != user.id and not user.is_admin()):
        raise ApiProblem(404, f"no saved view {view_id}")
    delete_view(view, user, Actor.of(user))
    return no_content()

