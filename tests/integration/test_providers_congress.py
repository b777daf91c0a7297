"""Congress.gov provider against the local replay: stages, duplicates, conflicts, paging, keys."""

from __future__ import annotations

from datetime import date

import pytest

from tests.regulator_replay import CONGRESS_KEY, regulator_replay  # noqa: F401
from tracker.watches.providers import ProviderError, ProviderSkipped, get_provider, occurrence

BILL = "119-hr-3447"
PAGE = "https://www.congress.gov/bill/119th-congress/house-bill/3447/all-actions"


def _provider(replay, **config):
    return get_provider("congress", replay.config(**config), sleep=replay.sleep)


def _by_stage(observations):
    return {o.stage: o for o in observations}


def test_an_enactment_appearing_between_two_polls_is_observed_with_its_law_number(regulator_replay):
    provider = _provider(regulator_replay)
    regulator_replay.use("congress/119-hr-3447", "introduced")
    first = provider.fetch("bill", BILL)
    assert [(o.stage, o.on) for o in first] == [("introduced", date(2025, 5, 15)),
                                                ("passed_committee", date(2025, 9, 10))]
    regulator_replay.use("congress/119-hr-3447", "default")
    second = provider.fetch("bill", BILL)
    assert [(o.stage, o.on) for o in second] == [
        ("introduced", date(2025, 5, 15)), ("passed_committee", date(2025, 9, 10)),
        ("passed_house", date(2025, 11, 18)), ("passed_senate", date(2026, 11, 20)),
        ("presented", date(2026, 11, 24)), ("signed", date(2026, 12, 3)), ("enacted", date(2026, 12, 3))]
    enacted = _by_stage(second)["enacted"]
    assert enacted.text == "Became Public Law No: 119-52."
    assert enacted.url == PAGE
    assert dict(enacted.identifiers) == {"bill": BILL, "action_code": "36000", "source_system": "9", "law": "119-52"}
    # What the first poll saw is recognised on the second: same fingerprints.
    assert {o.fingerprint() for o in first} <= {o.fingerprint() for o in second}
    assert regulator_replay.count() == 2  # one page of actions per poll


def test_two_polls_of_the_same_data_give_the_same_fingerprints(regulator_replay):
    provider = _provider(regulator_replay)
    assert [o.fingerprint() for o in provider.fetch("bill", BILL)] == [o.fingerprint() for o in provider.fetch("bill", BILL)]


def test_house_and_library_of_congress_reports_of_one_action_collapse(regulator_replay):
    observations = _provider(regulator_replay).fetch("bill", BILL)
    # 18 actions in the answer, 7 stages: each executive step came twice, the Senate passage twice.
    assert len(observations) == len({o.stage for o in observations}) == 7
    stages = _by_stage(observations)
    assert stages["passed_senate"].identifiers["source_system"] == "9"
    assert stages["passed_senate"].text.startswith("Passed/agreed to in Senate: ")
    assert stages["introduced"].identifiers["action_code"] == "1000"  # not "Intro-H", same day
    assert stages["passed_committee"].identifiers["chamber"] == "house"


def test_two_became_law_entries_with_different_dates_are_both_observed(regulator_replay):
    observations = _provider(regulator_replay).fetch("bill", "119-s-1001")
    enacted = [o for o in observations if o.stage == "enacted"]
    assert [o.on for o in enacted] == [date(2026, 8, 12), date(2026, 8, 17)]
    assert {o.identifiers["law"] for o in enacted} == {"119-41"}
    assert occurrence(enacted[0]) == occurrence(enacted[1]) == "enacted"  # a disagreement, not two events
    # Four "Presented to President." and two "Signed by President." rows are one each.
    assert [o.on for o in observations if o.stage == "presented"] == [date(2026, 8, 8)]
    assert [o.on for o in observations if o.stage == "signed"] == [date(2026, 8, 12)]
    # Two committees reported: the bill passed committee at the first report.
    assert [o.on for o in observations if o.stage == "passed_committee"] == [date(2026, 5, 14)]


def test_every_page_of_actions_is_read_with_the_key_each_time(regulator_replay):
    observations = _provider(regulator_replay).fetch("bill", "118-hr-2670")
    assert [o.stage for o in observations] == ["introduced", "passed_committee", "passed_house", "passed_senate",
                                               "presented", "signed", "enacted"]
    assert [r.query.get("offset") for r in regulator_replay.requests] == [["0"], ["250"], ["500"]]
    assert all(r.headers["X-Api-Key"] == CONGRESS_KEY for r in regulator_replay.requests)


def test_without_a_key_the_provider_is_skipped_and_sends_nothing(regulator_replay):
    provider = _provider(regulator_replay, TRACKER_CONGRESS_API_KEY=None)
    with pytest.raises(ProviderSkipped, match="no API key \\(set TRACKER_CONGRESS_API_KEY\\)"):
        provider.fetch("bill", BILL)
    assert regulator_replay.count() == 0


def test_a_rejected_key_is_a_failure_naming_the_providers_code(regulator_replay):
    with pytest.raises(ProviderError) as caught:
        _provider(regulator_replay, TRACKER_CONGRESS_API_KEY="not-the-key").fetch("bill", BILL)
    assert caught.value.reason.startswith("Congress.gov: HTTP 403: API_KEY_INVALID An invalid api_key")
    assert "not-the-key" not in caught.value.reason


def test_an_unknown_bill_is_a_404_failure(regulator_replay):
    with pytest.raises(ProviderError, match="Congress.gov: HTTP 404: NOT_FOUND"):
        _provider(regulator_replay).fetch("bill", "119-hr-9999")
