"""The navigation's search and the obligation list's text search and Regulation filter."""

from __future__ import annotations

from datetime import date

from tests.factories import login, make_event, make_obligation, make_source, make_team, make_user
from tests.vendor_support import make_vendor


def _register():
    team = make_team(name="Export Compliance")
    act = make_source(key="csa", title="Chip Security Act")
    enacted = make_event(act, status="expected", on=date(2027, 1, 15), title="Chip Security Act enacted")
    other = make_source(key="ca-eo", title="California Executive Order N-5-26")
    signed = make_event(other, status="occurred", on=date(2026, 3, 1), title="Executive order signed")
    screening = make_obligation(team, rule="relative", key="bis-screening", anchor=enacted, rule_offset=30,
                                title="Update export-control screening to the BIS implementing rule")
    linked = make_obligation(team, key="linked-only", title="Quarterly review", rule_date=date(2027, 3, 1),
                             event_ids=[enacted.id])
    california = make_obligation(team, key="ca-cert", title="California vendor self-certification",
                                 rule_date=date(2026, 7, 1), event_ids=[signed.id])
    make_vendor(team, key="chipworks", name="ChipWorks Inc")
    return {"act": act, "screening": screening, "linked": linked, "california": california}


def test_obligation_search_finds_obligations_through_their_sources_and_events(client):
    made = _register()
    login(client, make_user(role="viewer"))
    page = client.get("/obligations?q=chip").get_data(as_text=True)
    assert "Update export-control screening to the BIS implementing rule" in page  # via its anchor event
    assert "Quarterly review" in page  # via a linked source event
    assert "California vendor self-certification" not in page
    page = client.get(f"/obligations?source={made['act'].id}").get_data(as_text=True)
    assert "2 obligations match." in page and "California vendor" not in page
    assert f'<option value="{made["act"].id}" selected>Chip Security Act</option>' in page
    assert client.get("/obligations?source=banana").status_code == 200  # unknown values are ignored


def test_the_navigation_search_groups_obligations_sources_events_and_vendors(client):
    made = _register()
    login(client, make_user(role="viewer"))
    page = client.get("/search?q=chip").get_data(as_text=True)
    sections = {name: page.split(f'id="results-{name}"', 1)[1].split("</section>", 1)[0]
                for name in ("obligations", "sources", "events", "vendors")}
    assert "Update export-control screening" in sections["obligations"] and "Quarterly review" in sections["obligations"]
    assert f"/sources/{made['act'].id}" in sections["sources"]
    assert "Chip Security Act enacted" in sections["events"] and "ChipWorks Inc" in sections["vendors"]
    assert "California" not in page.split('id="results-obligations"', 1)[1]
    empty = client.get("/search?q=zzzz-nothing").get_data(as_text=True)
    assert "Nothing matches “zzzz-nothing”" in empty
    assert client.get("/search?q=" + "%25_" * 300).status_code == 200
