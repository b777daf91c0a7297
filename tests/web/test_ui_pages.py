"""Dashboard, timeline and error pages."""

from __future__ import annotations

from tracker.db import db

import re
from datetime import date

from tests.factories import login, make_event, make_obligation, make_source, make_team, make_user
from tracker.audit import SYSTEM
from tracker.register.events import EventDate, record_event_change


def _section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"')[1].split("</section>")[0]


def _tiles(page: str) -> dict[str, int]:
    tiles = page.split('class="tiles"', 1)[1].split("</ul>", 1)[0]
    pairs = re.findall(r'tile-count">(\d+)</span>\s*<span class="tile-label">([^<]+)</span>', tiles)
    return {label: int(count) for count, label in pairs}


def _rows(page: str) -> list[str]:
    """The "Needs action" rows, in order, as their text."""
    listed = page.split('id="needs-action"', 1)[1].split("</section>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in listed.split('<li class="action ')[1:]]


def test_dashboard_states_priorities_in_tiles_and_one_ranked_list(client, clock):
    team = make_team(name="Procurement")
    make_obligation(team=team, title="Overdue filing", rule_date=date(2026, 11, 1))
    make_obligation(team=team, title="Soon", rule_date=date(2026, 12, 15))
    make_obligation(team=team, title="Next quarter", rule_date=date(2027, 2, 10))
    stale = make_event(source=make_source(title="Chip Security Act"), status="expected", on=date(2026, 9, 1),
                       precision="month", title="Chip Security Act enacted")
    projected = make_obligation(team=team, rule="relative", anchor=stale, rule_offset=60, title="Location verification")
    moving = make_event(status="expected", on=date(2027, 5, 1), title="Rule published")
    make_obligation(team=team, rule="relative", anchor=moving, rule_offset=30, title="Adopt the rule")
    record_event_change(moving, EventDate("expected", date(2027, 6, 1)), SYSTEM)
    login(client, make_user(role="editor", teams=[team]))
    page = client.get("/").get_data(as_text=True)
    tiles = _tiles(page)
    assert tiles["Overdue"] == 2 and tiles["Due in 30 days"] == 1 and tiles["Estimates out of date"] == 1
    assert tiles["Waiting on an event"] == 2
    rows = _rows(page)
    # Most urgent first: the missed deadline, then the stale estimate (which stands for the projected
    # deadline already past its estimated date: no row twice), then what is due soon.
    assert [row.split(" ", 1)[0] for row in rows] == ['action-overdue">', 'action-stale">', 'action-due_soon">']
    assert "Overdue filing" in rows[0] and "28 days overdue" in rows[0] and "Update status" in rows[0]
    assert "Chip Security Act enacted: expected September 2026" in rows[1] and "Record what happened" in rows[1]
    assert "1 already past an estimated date" in rows[1] and "Location verification" not in " ".join(rows)
    assert "Soon" in rows[2] and "due in 16 days" in rows[2] and "Next quarter" not in " ".join(rows)
    assert f'/events/{stale.id}#record' in page and f"/obligations/{projected.id}" not in page.split('id="changes"')[0]
    changes = page.split('id="changes"', 1)[1]
    assert "Adopt the rule" in changes and "moved to 2027-06-01" in changes


def test_dashboard_scope_assigned_to_me_lists_only_my_items(client, clock):
    team = make_team(name="Procurement")
    me = make_user(role="editor", teams=[team], email="me@example.com")
    make_obligation(team=team, title="Mine and late", rule_date=date(2026, 11, 1), owner_id=me.id)
    make_obligation(team=team, title="Someone else's", rule_date=date(2026, 11, 2))
    login(client, me)
    everything = " ".join(_rows(client.get("/").get_data(as_text=True)))
    assert "Mine and late" in everything and "Someone else's" in everything.replace("&#39;", "'")
    page = client.get("/?scope=me").get_data(as_text=True)
    mine = " ".join(_rows(page))
    assert "Mine and late" in mine and "Someone else" not in mine and _tiles(page)["Overdue"] == 1
    assert 'aria-current="page">Assigned to me' in page


def test_dashboard_opens_on_your_teams_and_can_switch_to_all(client, clock):
    mine, other = make_team(name="Mine"), make_team(name="Other")
    make_obligation(team=mine, title="My deadline", rule_date=date(2026, 12, 5))
    make_obligation(team=other, title="Their deadline", rule_date=date(2026, 12, 6))
    login(client, make_user(role="viewer", teams=[mine]))
    page = client.get("/").get_data(as_text=True)
    assert "My deadline" in page and "Their deadline" not in page and "Showing your teams" in page
    page = client.get("/?scope=all").get_data(as_text=True)
    assert "My deadline" in page and "Their deadline" in page
    client.post("/logout")
    login(client, make_user(role="viewer"))  # no teams: everything
    page = client.get("/").get_data(as_text=True)
    assert "Their deadline" in page and "Showing all teams" in page


def test_empty_dashboard_says_what_to_do(client):
    login(client, make_user(role="admin"))
    page = client.get("/").get_data(as_text=True)
    assert "Import a regulation pack" in page


def test_timeline_draws_windows_and_marks_projected_ones_in_words(client, clock):
    team, other = make_team(name="Procurement"), make_team(name="Other")
    enacted = make_event(status="expected", on=date(2026, 9, 1), precision="month", title="Chip Security Act enacted")
    make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=180, title="Location <verification>")
    make_obligation(team=other, title="Other team's deadline", rule_date=date(2027, 1, 10))
    login(client, make_user(role="viewer"))
    page = client.get("/timeline").get_data(as_text=True)
    assert 'role="group"' in page and "<title id=\"tl-title\">" in page and "<desc" in page
    assert "Location &lt;verification&gt; (projected)" in page and "Today 2026-11-29" in page
    # Nothing overdue: the default range opens on this month, so the September estimate is before it.
    assert 'value="2026-11"' in page and "Chip Security Act enacted (expected)" not in page
    page = client.get("/timeline?start=2026-07").get_data(as_text=True)
    assert "tl-window tl-projected" in page and "Chip Security Act enacted (expected)" in page
    assert "from 2026-09-01" in page or "2026-09-01" in page
    filtered = client.get(f"/timeline?team={team.id}").get_data(as_text=True)
    assert "Other team&#39;s deadline" not in filtered and "Other team's deadline" not in filtered
    assert client.get("/timeline?start=garbage&months=-5&team=x").status_code == 200


def test_timeline_opens_on_the_earliest_open_overdue_deadline(client, clock):
    team = make_team(name="Procurement")
    make_obligation(team=team, title="Late since May", rule_date=date(2026, 5, 20))
    done = make_obligation(team=team, title="Done in March", rule_date=date(2026, 3, 2))
    done.status = "done"
    db.session.commit()
    make_obligation(team=team, title="Next summer", rule_date=date(2027, 8, 1))
    login(client, make_user(role="viewer"))
    page = client.get("/timeline").get_data(as_text=True)
    assert 'value="2026-05"' in page and "Late since May (overdue)" in page and "Next summer" in page
    assert "Done in March" not in page


def test_error_pages_are_friendly_and_leak_nothing(client, app):
    @app.route("/boom-for-test")
    def boom():
        raise RuntimeError("secret-internal-detail SELECT * FROM users")

    assert "Not found" in client.get("/no/such/page").get_data(as_text=True)
    response = client.put("/login")
    assert response.status_code == 405 and "Not allowed" in response.get_data(as_text=True)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom-for-test")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page and "secret-internal-detail" not in page and "Traceback" not in page


def test_pages_have_titles_breadcrumbs_labels_and_a_skip_link(client):
    team = make_team()
    ob = make_obligation(team=team)
    login(client, make_user(role="admin"))
    for url in ("/obligations", f"/obligations/{ob.id}", "/obligations/new", "/sources/new", "/teams/new",
                "/users/new", "/timeline", "/account", "/import"):
        page = client.get(url).get_data(as_text=True)
        assert '<html lang="en">' in page and 'href="#main"' in page, url
        assert "<title>" in page and "· Compliance Deadline Tracker</title>" in page, url
        assert 'aria-label="Breadcrumb"' in page, url
        for input_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page):
            tag = page.split(f'id="{input_id}"')[0].rsplit("<", 1)[1] + page.split(f'id="{input_id}"')[1].split(">")[0]
            if 'type="hidden"' in tag or 'type="submit"' in tag:
                continue
            assert f'for="{input_id}"' in page, (url, input_id)


def test_every_post_form_carries_a_csrf_token(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    team = make_team()
    event = make_event()
    ob = make_obligation(team=team, rule="relative", anchor=event, rule_offset=5)
    admin = make_user(role="admin", teams=[team])
    make_user(role="viewer")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": admin.email, "password": "password-123", "csrf_token": token.group(1)})
    for url in ("/", f"/obligations/{ob.id}", f"/obligations/{ob.id}/edit", "/obligations/new", f"/events/{event.id}",
                f"/sources/{event.source_id}", f"/teams/{team.id}", f"/users/{admin.id}", "/users/new", "/account",
                "/import", "/teams/new", "/sources/new", "/events/new"):
        page = client.get(url).get_data(as_text=True)
        forms = re.findall(r'<form method="post".*?</form>', page, re.S)
        assert forms, url
        for form in forms:
            assert 'name="csrf_token"' in form, (url, form[:120])


def test_a_viewer_gets_a_friendly_403_page(client):
    login(client, make_user(role="viewer"))
    response = client.post("/obligations/new", data={})
    assert response.status_code == 403 and "You may not do that" in response.get_data(as_text=True)
    assert client.get("/users").status_code == 403


def test_account_page_links_to_personal_settings(client):
    from tests.factories import login, make_user

    user = make_user(role="viewer")
    login(client, user)
    page = client.get("/account").get_data(as_text=True)
    assert "/account/tokens" in page and "API tokens" in page
    assert "/calendar" in page


def test_team_page_states_the_reminder_policy_and_links_admins_to_it(client):
    from tests.factories import login, make_team, make_user

    team = make_team(timezone="Europe/Berlin")
    admin = make_user(role="admin")
    login(client, admin)
    page = client.get(f"/teams/{team.id}").get_data(as_text=True)
    assert "30, 7, 1, 0 days before the due date" in page and "09:00 Europe/Berlin" in page
    assert "weekly digest on Monday" in page
    assert f"/teams/{team.id}/reminder-policy" in page
    assert "Email preferences" in client.get("/account").get_data(as_text=True)


def test_admin_pages_sit_under_administration_in_the_settings_menu_only_admins_see(client):
    from tests.factories import login, make_user

    login(client, make_user(role="admin"))
    page = client.get("/").get_data(as_text=True)
    menu = page.split('id="menu-settings"', 1)[1].split("</details>", 1)[0]
    admin_part = menu.split("Administration", 1)[1]
    assert all(label in admin_part for label in ("Users", "Import", "Outbox"))
    client.post("/logout")
    login(client, make_user(role="editor"))
    page = client.get("/").get_data(as_text=True)
    assert "Administration" not in page and "/outbox" not in page


def test_navigation_groups_pages_into_menus_and_a_user_menu(client):
    from tests.factories import login, make_user

    login(client, make_user(role="viewer", name="Vera Viewer"))
    page = client.get("/").get_data(as_text=True)
    menus = {name: page.split(f'id="menu-{name}"', 1)[1].split("</details>", 1)[0]
             for name in ("work", "regulation", "vendors", "settings", "user")}
    assert all(label in menus["work"] for label in ("Dashboard", "Obligations", "Timeline"))
    assert menus["work"].count('href="/reports"') == 1 and page.count('href="/reports"') == 1
    assert all(label in menus["regulation"] for label in ("Sources", "Events", "Watches and proposals"))
    assert "Vendor matrix" in menus["vendors"] and "Teams" in menus["settings"]
    assert "Vera Viewer" in menus["user"] and "Sign out" in menus["user"] and "/account" in menus["user"]
    assert 'role="search"' in page and 'action="/search"' in page
