"""The providers' pure parts: item references, stage mapping, collapsing, Federal Register date texts."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.watches.providers import ItemError, Observation, UnknownProvider, get_provider, occurrence
from tracker.watches.providers import congress, federal_register, openstates

LOC, HOUSE, SENATE = {"code": 9}, {"code": 2}, {"code": 0}


@pytest.mark.parametrize(("action", "expected"), [
    ({"actionCode": "1000", "type": "IntroReferral", "text": "Introduced in House"}, ("introduced", "house")),
    ({"actionCode": "Intro-S", "type": "IntroReferral", "text": "Introduced in Senate"}, ("introduced", "senate")),
    ({"actionCode": "14000", "type": "Committee", "text": "Reported by Senator X."}, ("passed_committee", "senate")),
    ({"actionCode": "8000", "type": "Floor", "text": "Passed/agreed to in House: ..."}, ("passed_house", None)),
    ({"type": "Floor", "text": "Passed Senate without amendment by Voice Vote."}, ("passed_senate", None)),
    ({"actionCode": "E20000", "type": "Floor", "text": "Presented to President."}, ("presented", None)),
    ({"actionCode": "E30000", "type": "President", "text": "Signed by President."}, ("signed", None)),
    ({"actionCode": "31000", "type": "Veto", "text": "Vetoed by President."}, ("vetoed", None)),
    ({"type": "Veto", "text": "Pocket Vetoed by President."}, ("vetoed", None)),
    ({"type": "Veto", "text": "Veto message received in House."}, (None, None)),
    ({"type": "BecameLaw", "text": "Became Private Law No: 119-2."}, ("enacted", None)),
    ({"actionCode": "H37100", "type": "Floor", "text": "On passage Failed by recorded vote."}, (None, None)),
    ({"actionCode": "H11100", "type": "IntroReferral", "text": "Referred to the House Committee."}, (None, None)),
])
def test_congress_actions_map_to_stages_by_code_then_type_and_text(action, expected):
    assert congress.stage_of(action) == expected


def _act(day, code, source, text="Became Public Law No: 119-1.", kind="BecameLaw"):
    return {"actionDate": day, "actionCode": code, "sourceSystem": source, "text": text, "type": kind}


def test_congress_collapse_prefers_the_library_of_congress_whatever_the_order():
    actions = [_act("2026-01-05", "E40000", HOUSE, kind="President"), _act("2026-01-05", "36000", LOC),
               _act("2026-01-09", "36000", LOC), {"actionDate": None, "actionCode": "36000", "type": "BecameLaw"},
               {"actionDate": "2026-01-01", "type": "Calendars", "text": "Placed on the Union Calendar."}]
    forward = congress.observations("119-hr-1", actions, "https://x.test")
    backward = congress.observations("119-hr-1", list(reversed(actions)), "https://x.test")
    assert forward == backward
    assert [(o.on, o.identifiers["action_code"]) for o in forward] == [(date(2026, 1, 5), "36000"),
                                                                      (date(2026, 1, 9), "36000")]


@pytest.mark.parametrize(("given", "normalised"), [
    ("119-hr-3447", "119-hr-3447"), (" 119-HR-03447 ", "119-hr-3447"), ("118-sjres-12", "118-sjres-12")])
def test_congress_bill_references_are_normalised(given, normalised):
    assert congress.CongressProvider().check_item("bill", given) == normalised


@pytest.mark.parametrize("given", ["hr-3447", "119-xx-1", "119-hr-0", "0-hr-1", "119/hr/3447", ""])
def test_congress_rejects_malformed_bill_references_with_an_example(given):
    with pytest.raises(ItemError, match="e.g. 119-hr-3447"):
        congress.CongressProvider().check_item("bill", given)


def test_congress_public_pages_use_ordinal_congresses():
    provider = congress.CongressProvider()
    assert provider.item_url("bill", "121-s-5") == "https://www.congress.gov/bill/121st-congress/senate-bill/5/all-actions"
    assert provider.item_url("bill", "112-hjres-2").startswith("https://www.congress.gov/bill/112th-congress/house-joint")


@pytest.mark.parametrize(("text", "expected"), [
    ("As of March 16, 2026, the effective date of the rule is delayed until June 22, 2026.", (True, date(2026, 6, 22))),
    ("The effective date of the final rule published at 82 FR 1052 is delayed to March 21, 2017.",
     (True, date(2017, 3, 21))),
    ("The effective date of the rule is delayed indefinitely.", (True, None)),
    ("This rule is effective March 23, 2026.", (False, None)),
])
def test_federal_register_delays_are_read_from_the_dates_text(text, expected):
    assert federal_register.delayed_until(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("This rule is effective 30 days after publication in the Federal Register.", date(2026, 3, 4)),
    ("Effective date: This rule is effective on April 1, 2026.", date(2026, 4, 1)),
    ("Comments must be received by February 23, 2026.", None),
])
def test_federal_register_effective_dates_in_words(text, expected):
    assert federal_register.effective_from_text(text, date(2026, 2, 2)) == expected


def test_an_indefinite_delay_is_an_effective_observation_without_a_date():
    document = {"document_number": "2026-07000", "action": "Final rule; delay of effective date.", "title": "T",
                "publication_date": "2026-04-01", "effective_on": "2026-04-01",
                "dates": "The effective date of the rule published January 22, 2026, is delayed indefinitely."}
    assert federal_register.document_stages(document, with_published=False) == [("effective", None, document["dates"])]


def test_a_correction_moves_the_effective_date_only_with_a_later_effective_on():
    correction = {"document_number": "2026-03000", "action": "Final rule; correction.", "title": "T",
                  "publication_date": "2026-02-10", "correction_of": "2026-01234",
                  "dates": "This correction is effective February 10, 2026."}
    assert federal_register.document_stages(correction, with_published=False) == []
    moved = {**correction, "effective_on": "2026-04-01"}
    assert federal_register.document_stages(moved, with_published=False)[0][:2] == ("effective", date(2026, 4, 1))


@pytest.mark.parametrize(("kind", "given", "normalised"), [
    ("document", "2026-01234", "2026-01234"), ("document", " e6-12345 ", "E6-12345"),
    ("docket", "BIS-2026-0001", "BIS-2026-0001"), ("docket", "EPA-HQ-OAR-2021-0317", "EPA-HQ-OAR-2021-0317")])
def test_federal_register_references(kind, given, normalised):
    assert federal_register.FederalRegisterProvider().check_item(kind, given) == normalised


@pytest.mark.parametrize(("kind", "given"), [("document", "2026 01234"), ("docket", "-"), ("bill", "2026-01234")])
def test_federal_register_rejects_bad_references(kind, given):
    with pytest.raises(ItemError):
        federal_register.FederalRegisterProvider().check_item(kind, given)


@pytest.mark.parametrize(("given", "normalised"), [
    ("ca/20252026/SB 53", "ca/20252026/SB 53"), ("CA/20252026/sb53", "ca/20252026/SB 53"),
    ("ny/2025/A 00123", "ny/2025/A 123"), ("tx/89R/HB 2", "tx/89R/HB 2")])
def test_open_states_bill_references_are_normalised(given, normalised):
    assert openstates.OpenStatesProvider().check_item("bill", given) == normalised


@pytest.mark.parametrize("given", ["ca/SB 53", "california/20252026/SB 53", "ca/20252026/53", ""])
def test_open_states_rejects_malformed_references(given):
    with pytest.raises(ItemError, match="e.g. ca/20252026/SB 53"):
        openstates.OpenStatesProvider().check_item("bill", given)


def test_open_states_actions_with_several_classifications_give_several_stages():
    bill = {"id": "ocd-bill/1", "actions": [
        {"organization": {"classification": "executive"}, "description": "Signed; became law.", "date": "2026-03-01",
         "classification": ["executive-signature", "became-law"], "order": 9},
        {"organization": {"classification": "upper"}, "description": "Withdrawn.", "date": "2026-02-01",
         "classification": ["withdrawal"], "order": 8}]}
    observations = openstates.observations("xx/2026/SB 1", bill, "https://x.test")
    assert [(o.stage, o.on) for o in observations] == [("signed", date(2026, 3, 1)), ("enacted", date(2026, 3, 1))]


def test_occurrence_separates_chambers_but_not_sources():
    upper = Observation("passed_chamber", date(2026, 1, 1), "", "", {"chamber": "upper"})
    lower = Observation("passed_chamber", date(2026, 2, 1), "", "", {"chamber": "lower"})
    assert occurrence(upper) != occurrence(lower)
    assert occurrence(Observation("enacted", None, "", "", {"source_system": "2"})) == "enacted"


def test_the_registry_builds_each_provider_and_refuses_unknown_names():
    config = {"TRACKER_CONGRESS_API_URL": "https://congress.example.test/v3/", "TRACKER_CONGRESS_API_KEY": " k "}
    provider = get_provider("congress", config)
    assert provider.base_url == "https://congress.example.test/v3" and provider.api_key == "k"
    assert get_provider("federal_register", {}).base_url == "https://www.federalregister.gov/api/v1"
    assert get_provider("openstates", {}).base_url == "https://v3.openstates.org"
    with pytest.raises(UnknownProvider, match="expected one of congress, federal_register, openstates"):
        get_provider("regulations_gov", {})
