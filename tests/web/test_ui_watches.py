"""The source page's watches and the proposal pages, through the real forms."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tracker.db import db
from tracker.models import DeadlineHistory, Event, Proposal, Watch
from tests.factories import login, make_user
from tests.watch_support import GivenProvider, committee, enacted, poll, watched_bill


def test_editor_adds_a_watch_with_its_stage_map_on_the_source_page(client, app):
    watch, enacted_event, committee_event, team, _ = watched_bill()
    source = watch.source
    db.session.delete(watch)
    db.session.commit()
    editor = make_user(role="editor", teams=[team])
    login(client, editor)
    page = client.get(f"/sources/{source.id}/watches/new?what=congress:bill")
    assert page.status_code == 200 and "passed committee" in page.text and "119-hr-3447" in page.text
    bad = client.post(f"/sources/{source.id}/watches/new",
                      data={"what": "congress:bill", "item": "HR 3447", f"stage-enacted": str(enacted_event.id)})
    assert bad.status_code == 400 and "is not a bill reference" in bad.text and 'value="HR 3447"' in bad.text
    saved = client.post(f"/sources/{source.id}/watches/new",
                        data={"what": "congress:bill", "item": "119-HR-3447", "stage-enacted": str(enacted_event.id),
                              "stage-passed_committee": str(committee_event.id)})
    assert saved.status_code == 302
    db.session.expire_all()
    (watch,) = db.session.scalars(select(Watch)).all()
    assert watch.item == "119-hr-3447"
    assert watch.stages == {"enacted": enacted_event.id, "passed_committee": committee_event.id}
    page = client.get(f"/sources/{source.id}")
    assert "Congress.gov bill" in page.text and "not polled yet" in page.text and "Next try" in page.text


def test_failed_poll_shows_on_the_source_page_and_unmapped_stage_becomes_an_event(client, app):
    watch, _, _, team, _ = watched_bill()
    provider = GivenProvider()
    from tracker.watches.providers import Observation, ProviderError

    provider.error = ProviderError("Congress.gov: HTTP 500: internal error")
    poll(provider)
    login(client, make_user(role="editor", teams=[team]))
    page = client.get(f"/sources/{watch.source_id}")
    assert "failing" in page.text and "Congress.gov: HTTP 500: internal error" in page.text
    provider.error = None
    provider.observations = [Observation(stage="presented", on=date(2026, 11, 20), text="Presented to President.",
                                         url="https://www.congress.gov/x", identifiers={"action_code": "28000"})]
    from datetime import timedelta

    from tests.watch_support import NOW
    poll(provider, NOW + timedelta(hours=7))
    page = client.get(f"/sources/{watch.source_id}")
    assert "Observed but not mapped" in page.text and "Presented to President." in page.text
    made = client.post(f"/watches/{watch.id}/stages/presented/event")
    assert made.status_code == 302
    db.session.expire_all()
    event = db.session.scalar(select(Event).where(Event.key == "chip-security-act-presented"))
    assert (event.status, event.occurred_on) == ("occurred", date(2026, 11, 20))
    assert db.session.get(Watch, watch.id).stages["presented"] == event.id
    shown = client.get(f"/events/{event.id}")
    assert "Recorded from Congress.gov: “Presented to President.”" in shown.text


def test_proposal_page_previews_and_accepting_records_the_event(client, app):
    watch, enacted_event, _, team, _ = watched_bill()
    provider = GivenProvider()
    provider.observations = [enacted(date(2026, 12, 3))]
    poll(provider)
    (proposal,) = db.session.scalars(select(Proposal)).all()
    viewer = make_user(role="viewer")
    login(client, viewer)
    page = client.get(f"/proposals/{proposal.id}")
    assert "3 deadlines will move" in page.text and 'id="accept"' not in page.text
    client.post(f"/proposals/{proposal.id}/accept")
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == "open"  # a viewer cannot accept
    client.get("/logout")
    login(client, make_user(role="editor", teams=[team]))
    dashboard = client.get("/")
    row = dashboard.text.split('class="action action-proposal"', 1)[1].split("</li>", 1)[0]
    assert "Record “Chip Security Act enacted” as occurred on 2026-12-03" in row
    assert f"/proposals/{proposal.id}" in row and "Decide" in row
    page = client.get(f"/proposals/{proposal.id}")
    token = page.text.split('name="preview" value="', 1)[1].split('"', 1)[0]
    done = client.post(f"/proposals/{proposal.id}/accept", data={"preview": token})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, enacted_event.id).status == "occurred"
    assert db.session.get(Proposal, proposal.id).status == "accepted"
    assert len(db.session.scalars(select(DeadlineHistory)).all()) == 3
    again = client.post(f"/proposals/{proposal.id}/accept", data={"preview": token})
    assert again.status_code == 409 and "already accepted" in again.text


def test_a_stale_preview_is_shown_again_instead_of_accepted(client, app):
    watch, enacted_event, _, team, _ = watched_bill()
    provider = GivenProvider()
    provider.observations = [enacted(date(2026, 12, 3))]
    poll(provider)
    (proposal,) = db.session.scalars(select(Proposal)).all()
    login(client, make_user(role="editor", teams=[team]))
    page = client.get(f"/proposals/{proposal.id}")
    token = page.text.split('name="preview" value="', 1)[1].split('"', 1)[0]
    from tests.factories import make_obligation

    make_obligation(team, rule="relative", anchor=db.session.get(Event, enacted_event.id), rule_offset=30)
    stale = client.post(f"/proposals/{proposal.id}/accept", data={"preview": token})
    assert stale.status_code == 409 and "4 deadlines will move" in stale.text
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == "open"


def test_rejecting_keeps_the_proposal(client, app):
    _, _, _, team, _ = watched_bill()
    provider = GivenProvider()
    provider.observations = [committee(date(2026, 9, 10))]
    poll(provider)
    (proposal,) = db.session.scalars(select(Proposal)).all()
    login(client, make_user(role="editor", teams=[team]))
    assert client.post(f"/proposals/{proposal.id}/reject").status_code == 302
    listed = client.get("/proposals?status=rejected")
    assert "Chip Security Act passed committee" in listed.text


def test_removing_a_watch_keeps_what_was_recorded_from_it(client, app):
    from tracker.models import EventProvenance, WatchObservation

    watch, enacted_event, _, team, _ = watched_bill(auto_apply=True)
    provider = GivenProvider()
    provider.observations = [enacted(date(2026, 12, 3))]
    poll(provider)
    login(client, make_user(role="editor", teams=[team]))
    assert client.post(f"/watches/{watch.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Watch)).all() == []
    assert db.session.scalars(select(WatchObservation)).all() == []
    assert db.session.scalars(select(Proposal)).all() == []
    event = db.session.get(Event, enacted_event.id)
    assert event.status == "occurred" and len(db.session.scalars(select(DeadlineHistory)).all()) == 3
    assert db.session.get(EventProvenance, event.id).provider == "congress"


def test_the_watches_page_lists_every_watch_with_its_health_and_says_when_a_key_is_missing(client, app):
    watch, _, _, _, _ = watched_bill()
    provider = GivenProvider()
    provider.observations = [enacted(date(2026, 12, 3))]
    app.config["TRACKER_CONGRESS_API_KEY"] = None
    login(client, make_user(role="viewer"))
    page = client.get("/proposals").text
    row = page.split('class="watch-row"', 1)[1].split("</tr>", 1)[0]
    assert "Congress.gov bill" in row and "119-hr-3447" in row and "Chip Security Act" in row
    assert "Cannot run:" in row and "TRACKER_CONGRESS_API_KEY" in row and "not until a key is set" in row
    assert 'id="menu-regulation"' in page and "Watches and proposals</a>" in page
    app.config["TRACKER_CONGRESS_API_KEY"] = "a-key"
    poll(provider)
    page = client.get("/proposals").text
    row = page.split('class="watch-row"', 1)[1].split("</tr>", 1)[0]
    assert "OK" in row and "Cannot run" not in row
    assert row.rstrip().endswith('<td data-label="Open proposals">1</td>')
