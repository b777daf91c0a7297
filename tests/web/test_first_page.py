"""The first page lists obligations with due date, due state and status."""

from datetime import date

from tests.factories import login, make_event, make_obligation, make_team, make_user


def test_dashboard_needs_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_signed_in_user_sees_obligations_with_due_state(client, clock):
    team = make_team(key="procurement", name="Procurement")
    user = make_user(role="viewer", teams=[team])
    make_obligation(team=team, title="California vendor self-certification",
                    rule_date=date(2026, 7, 1), rule_precision="month")
    event = make_event(status="expected", on=date(2026, 9, 1), precision="month")
    make_obligation(team=team, rule="relative", anchor=event, rule_offset=180, title="Location verification")
    assert login(client, user).status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "California vendor self-certification" in page and "days overdue" in page
    # The projected deadline is months away: counted in its tile, listed on the obligations page.
    assert '1</span>\n        <span class="tile-label">Waiting on an event' in page
    listing = client.get("/obligations").get_data(as_text=True)
    assert "Location verification" in listing and "Projected" in listing and "July 2026" in listing


def test_wrong_password_is_refused_with_a_message(client):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": "nope-nope"})
    assert response.status_code == 200
    assert "Email or password is not right." in response.get_data(as_text=True)
