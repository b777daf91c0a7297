"""Forms offer only what the user's roles per team allow: the teams an obligation may be put in,
and recording an event only to who may move every deadline it drives (issue 23, roles per team)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import login, make_event, make_obligation, make_team, make_user


@pytest.fixture
def teams(app, clock):
    clock.move_to("2026-12-05T12:00:00Z")
    return make_team(key="buyers", name="Buyers"), make_team(key="exports", name="Exports")


def test_the_new_obligation_form_lists_only_the_teams_the_user_edits(client, teams):
    buyers, exports = teams
    editor = make_user(role="editor", teams=[buyers], email="buyer@example.com")
    login(client, editor)
    page = client.get("/obligations/new").get_data(as_text=True)
    assert ">Buyers</option>" in page and ">Exports</option>" not in page
    # Forcing the other team is refused with the reason, not saved.
    forced = client.post("/obligations/new", data={"key": "forced", "title": "Forced", "team_id": exports.id,
                                                   "rule": "fixed", "rule_date": "2027-05-01"})
    assert forced.status_code == 403 and "Exports" in forced.get_data(as_text=True)


def test_an_admin_is_offered_every_team(client, teams):
    login(client, make_user(role="admin", email="admin@example.com"))
    page = client.get("/obligations/new").get_data(as_text=True)
    assert ">Buyers</option>" in page and ">Exports</option>" in page


def test_recording_an_event_is_offered_only_to_editors_of_every_team_it_moves(client, teams):
    buyers, exports = teams
    event = make_event(on=date(2027, 3, 1))
    make_obligation(team=exports, rule="relative", anchor=event, rule_offset=30)
    outsider = make_user(role="editor", teams=[buyers], email="buyer@example.com")
    login(client, outsider)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'id="record-refused"' in page and 'id="record"' not in page
    login(client, make_user(role="editor", teams=[exports], email="exporter@example.com"))
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'id="record"' in page and 'id="record-refused"' not in page
