"""Two 500s found by hand: the obligation edit form without rule_date, and /outbox?page=<huge>."""

from tests.factories import login, make_obligation, make_team, make_user
from tracker.db import db


def test_editing_an_obligation_without_rule_date_is_a_form_error(client):
    team = make_team()
    obligation = make_obligation(team=team, title="Vendor certificate")
    login(client, make_user(role="editor", teams=[team]))
    response = client.post(f"/obligations/{obligation.id}/edit",
                           data={"key": obligation.key, "title": "Renamed", "team_id": str(team.id), "rule": "fixed"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="rule_date"' in page and "is-invalid" in page
    db.session.expire_all()
    assert obligation.title == "Vendor certificate"


def test_outbox_page_numbers_beyond_any_page_show_the_first_page(client):
    login(client, make_user(role="admin"))
    for page in ("9" * 40, str(2**63), "-5", "0", "²", "x"):
        response = client.get("/outbox", query_string={"page": page})
        assert response.status_code == 200, page
        assert "Outbox" in response.get_data(as_text=True)
