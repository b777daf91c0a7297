"""/api/v1/sources/<id>/watches, /api/v1/watches and /api/v1/proposals."""

from __future__ import annotations

from sqlalchemy import select

from tracker.people import permissions
from tracker.api.core import ApiProblem, api_user, created, id_page, load_row, next_link, no_content, operation, respond
from tracker.api.watch_schemas import (
    ITEM_FIELDS, ProposalOut, ProposalPage, ProposalQuery, WatchIn, WatchList, WatchOut, WatchPatch, proposal_out,
    watch_out,
)
from tracker.audit import Actor
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.models import Event, Proposal, Source, Watch
from tracker.watches.operations import create_watch, delete_watch, update_watch
from tracker.watches.proposals import accept_proposal, moves_json, preview, reject_proposal
from tracker.watches.queries import proposals_query, watches_of


def _event_keys(source_id: int) -> dict[int, str]:
    return dict(db.session.execute(select(Event.id, Event.key).where(Event.source_id == source_id)).all())


def _watch_out(watch: Watch) -> WatchOut:
    return watch_out(watch, _event_keys(watch.source_id))


def _proposal_out(proposal: Proposal) -> ProposalOut:
    if proposal.status != "open":
        return proposal_out(proposal)
    try:
        moves, _ = preview(proposal)
    except ValidationFailed:
        return proposal_out(proposal, [])
    return proposal_out(proposal, moves_json(moves))


def _require_watch_editor(source_id: int) -> None:
    permissions.require(permissions.may_edit_watch(api_user(), source_id),
                        "a watch moves the deadlines of every team its source drives: this needs the editor "
                        "role in each of them")


@operation("GET", "/sources/<int:source_id>/watches", summary="List a source's watches", tag="watches",
           response=WatchList)
def list_watches(source_id: int):
    source = load_row(Source, source_id, "source")
    return respond(WatchList(items=[_watch_out(w) for w in watches_of(source)]), etag=False)


@operation("POST", "/sources/<int:source_id>/watches", summary="Watch a source at a regulator", tag="watches",
           role="editor", body=WatchIn, response=WatchOut, status=201, errors=(409,),
           description="`stages` maps the provider's stage names to keys of the source's events; the "
                       "watch is polled at the next pass (every 6 hours after that).")
def create_watch_view(source_id: int, body: WatchIn):
    source = load_row(Source, source_id, "source")
    _require_watch_editor(source.id)
    kind, item = body.item()
    watch = create_watch(source, Actor.of(api_user()), provider=body.provider, item_kind=kind, item=item,
                         stages=body.stages, auto_apply=body.auto_apply)
    return created(_watch_out(watch))


@operation("GET", "/watches/<int:watch_id>", summary="Read a watch", tag="watches", response=WatchOut, etag=True)
def get_watch(watch_id: int):
    return respond(_watch_out(load_row(Watch, watch_id, "watch")))


@operation("PATCH", "/watches/<int:watch_id>", summary="Edit a watch", tag="watches", role="editor",
           body=WatchPatch, response=WatchOut, errors=(409,))
def update_watch_view(watch_id: int, body: WatchPatch):
    watch = load_row(Watch, watch_id, "watch")
    _require_watch_editor(watch.source_id)
    values = {"stages": body.stages, "auto_apply": body.auto_apply}
    items = [(name, getattr(body, name)) for name in ITEM_FIELDS if getattr(body, name) is not None]
    if len(items) > 1:
        raise ApiProblem(422, "some values were refused",
                         [{"path": "/bill", "message": "give at most one of bill, document, docket"}])
    if items:
        values.update(item_kind=items[0][0], item=items[0][1])
    update_watch(watch, Actor.of(api_user()), **values)
    return respond(_watch_out(load_row(Watch, watch_id, "watch")))


@operation("DELETE", "/watches/<int:watch_id>", summary="Stop watching", tag="watches", role="editor", status=204)
def delete_watch_view(watch_id: int):
    watch = load_row(Watch, watch_id, "watch")
    _require_watch_editor(watch.source_id)
    delete_watch(watch, Actor.of(api_user()))
    return no_content()


@operation("GET", "/proposals", summary="List proposals from regulator watches", tag="proposals",
           query=ProposalQuery, response=ProposalPage, errors=(422,),
           description="Each with the source, the event (key), the change, what the provider reported and the "
                       "deadlines that would move (a dry run, as `POST /events/{id}/occurred?dry_run=1`).")
def list_proposals(query: ProposalQuery):
    stmt = proposals_query(query.status)
    rows, cursor = id_page(stmt, Proposal, query.limit, query.cursor)
    return respond(ProposalPage(items=[_proposal_out(p) for p in rows], next=next_link(cursor)), etag=False)


@operation("GET", "/proposals/<int:proposal_id>", summary="Read a proposal", tag="proposals",
           response=ProposalOut)
def get_proposal(proposal_id: int):
    return respond(_proposal_out(load_row(Proposal, proposal_id, "proposal")), etag=False)


def _decided(call, proposal_id: int):
    proposal = load_row(Proposal, proposal_id, "proposal")
    _require_watch_editor(proposal.source_id)  # accepting records the event: it moves those teams' deadlines
    try:
        return call()
    except LookupError:
        raise ApiProblem(404, f"no proposal {proposal_id}") from None


@operation("POST", "/proposals/<int:proposal_id>/accept", summary="Accept a proposal", tag="proposals",
           role="editor", response=ProposalOut, errors=(409,),
           description="Records the change through the same service as the event page (revisions, history "
                       "naming the provider and what it reported, feeds, change notices). `moves` lists the "
                       "deadlines that moved. 409 when the proposal was decided already.")
def accept_proposal_view(proposal_id: int):
    proposal, moves = _decided(lambda: accept_proposal(proposal_id, Actor.of(api_user())), proposal_id)
    return respond(proposal_out(proposal, moves_json(moves)), etag=False)


@operation("POST", "/proposals/<int:proposal_id>/reject", summary="Reject a proposal", tag="proposals",
           role="editor", response=ProposalOut, errors=(409,),
           description="Kept as rejected: the same report is never proposed again.")
def reject_proposal_view(proposal_id: int):
    proposal = _decided(lambda: reject_proposal(proposal_id, Actor.of(api_user())), proposal_id)
    return respond(proposal_out(proposal), etag=False)
