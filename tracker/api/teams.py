"""/api/v1/teams (writes: admins) and /api/v1/packs (import a regulation pack)."""

from __future__ import annotations

from sqlalchemy import select

from tracker.api.core import (
    ApiProblem, PACK_BODY_LIMIT, api_user, created, list_page, load_row, locked_row, no_content, operation,
    respond,
)
from tracker.api.representations import ImportResult, TeamOut, TeamPage, team_out
from tracker.api.schemas import TeamCreate, TeamPatch, TeamQuery
from tracker.audit import Actor
from tracker.db import db
from tracker.models import Team
from tracker.packs.importer import import_pack_text
from tracker.packs.validate import PackInvalid
from tracker.people.operations import create_team, delete_team, update_team

TAG = "teams"


def _load(team_id: int) -> Team:
    return load_row(Team, team_id, "team")


def _locked(team_id: int) -> Team:
    return locked_row(Team, team_id, "team", team_out)


def _policy(values: dict) -> dict:
    """API field forms -> the team's columns (lead days are stored as '30,7,1,0')."""
    if "reminder_lead_days" in values:
        values["reminder_lead_days"] = ",".join(str(d) for d in sorted(set(values["reminder_lead_days"]), reverse=True))
    return values


@operation("GET", "/teams", summary="List teams", tag=TAG, query=TeamQuery, response=TeamPage, errors=(422,))
def list_teams(query: TeamQuery):
    return list_page(select(Team), Team, query, TeamPage, team_out)


@operation("POST", "/teams", summary="Create a team", tag=TAG, role="admin", body=TeamCreate,
           response=TeamOut, status=201, errors=(409,))
def create_team_view(body: TeamCreate):
    actor = Actor.of(api_user())
    policy = _policy(body.model_dump(include={"reminder_lead_days", "overdue_every_days",
                                              "remind_projected", "digest_weekday"}))
    team = create_team(body.key, body.name, body.timezone, actor, **policy)
    return created(team_out(_load(team.id)))


@operation("GET", "/teams/<int:team_id>", summary="Read a team", tag=TAG, response=TeamOut, etag=True)
def get_team(team_id: int):
    return respond(team_out(_load(team_id)))


@operation("PATCH", "/teams/<int:team_id>", summary="Edit a team", tag=TAG, role="admin", body=TeamPatch,
           response=TeamOut, etag=True, if_match=True, errors=(409,),
           description="`digest_weekday: null` turns the weekly digest off.")
def update_team_view(team_id: int, body: TeamPatch):
    team = _locked(team_id)
    values = body.model_dump(exclude_none=True)
    if "digest_weekday" in body.model_fields_set:
        values["digest_weekday"] = body.digest_weekday
    update_team(team, Actor.of(api_user()), commit=False, **_policy(values))
    db.session.commit()
    return respond(team_out(_load(team_id)))


@operation("DELETE", "/teams/<int:team_id>", summary="Delete a team", tag=TAG, role="admin", status=204,
           if_match=True, errors=(409,), description="Refused (409) while the team owns obligations.")
def delete_team_view(team_id: int):
    team = _locked(team_id)
    delete_team(team, Actor.of(api_user()))
    return no_content()


PACK_BODY = {
    "type": "object",
    "description": "A regulation pack (see docs/api.md and the pack format in the README): "
                   "`pack`, `teams`, `sources`, `events`, `obligations`.",
}


@operation("POST", "/packs", summary="Import a regulation pack", tag="packs", role="admin", raw_body=PACK_BODY,
           response=ImportResult, errors=(422,), body_limit=PACK_BODY_LIMIT,
           description="The same validation as `flask import-pack`: an invalid pack is refused whole (422, "
                       "one error per problem, by path) and nothing is imported. Re-importing is idempotent.")
def import_pack_view(body: bytes):
    try:
        report = import_pack_text(body, Actor.of(api_user()))
    except PackInvalid as exc:
        errors = []
        for line in exc.errors:
            path, _, message = line.partition(": ")
            errors.append({"path": path if message else "", "message": message or line})
        raise ApiProblem(422, "the pack is invalid; nothing was imported", errors) from None
    return respond(ImportResult(created=dict(report.created), updated=dict(report.updated),
                                unchanged=dict(report.unchanged), moved_deadlines=report.moved_deadlines),
                   etag=False)
