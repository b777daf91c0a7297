"""Open States provider against the local replay: classifications, duplicates, keys."""

from __future__ import annotations

from datetime import date

import pytest

from tests.regulator_replay import OPENSTATES_KEY, regulator_replay  # noqa: F401
from tracker.watches.providers import ProviderError, ProviderSkipped, get_provider, occurrence

BILL = "ca/20252026/SB 53"


def _provider(replay, **config):
    return get_provider("openstates", replay.config(**config), sleep=replay.sleep)


def test_a_signature_and_chaptering_appearing_between_polls_are_observed(regulator_replay):
    provider = _provider(regulator_replay)
    regulator_replay.use("openstates/ca/20252026/SB53", "before-signature")
    before = provider.fetch("bill", BILL)
    assert [(o.stage, o.on, o.identifiers.get("chamber")) for o in before] == [
        ("introduced", date(2025, 1, 7), None),
        ("passed_committee", date(2025, 3, 26), "upper"),
        ("passed_chamber", date(2025, 5, 28), "upper"),
        ("passed_committee", date(2025, 7, 17), "lower"),
        ("passed_chamber", date(2025, 9, 12), "lower")]
    regulator_replay.use("openstates/ca/20252026/SB53", "default")
    after = provider.fetch("bill", BILL)
    new = [o for o in after if o.fingerprint() not in {b.fingerprint() for b in before}]
    assert [(o.stage, o.on) for o in new] == [("signed", date(2025, 9, 29)), ("enacted", date(2025, 9, 29))]
    enacted = new[1]
    assert enacted.text == "Chaptered by Secretary of State. Chapter 138, Statutes of 2025."
    assert enacted.url == "https://openstates.org/ca/bills/20252026/SB53/"
    assert enacted.identifiers["classification"] == "became-law" and enacted.identifiers["bill"] == BILL
    assert regulator_replay.count() == 2
    request = regulator_replay.requests[0]
    assert request.path == "/openstates/bills/ca/20252026/SB 53" and request.query["include"] == ["actions"]
    assert request.headers["X-Api-Key"] == OPENSTATES_KEY and "apikey" not in request.query


def test_a_chaptering_reported_twice_is_one_observation(regulator_replay):
    observations = _provider(regulator_replay).fetch("bill", BILL)
    assert [o.on for o in observations if o.stage == "enacted"] == [date(2025, 9, 29)]


def test_passage_in_each_chamber_is_a_separate_occurrence(regulator_replay):
    passed = [o for o in _provider(regulator_replay).fetch("bill", BILL) if o.stage == "passed_chamber"]
    assert {occurrence(o) for o in passed} == {"passed_chamber|upper", "passed_chamber|lower"}


def test_a_veto_is_observed(regulator_replay):
    observations = _provider(regulator_replay).fetch("bill", "ca/20232024/SB1047")
    assert [(o.stage, o.on, o.text) for o in observations][-1] == ("vetoed", date(2024, 9, 29), "Vetoed by Governor.")


def test_two_polls_of_the_same_data_give_the_same_fingerprints(regulator_replay):
    provider = _provider(regulator_replay)
    assert [o.fingerprint() for o in provider.fetch("bill", BILL)] == [o.fingerprint() for o in provider.fetch("bill", BILL)]


def test_without_a_key_the_provider_is_skipped_and_sends_nothing(regulator_replay):
    with pytest.raises(ProviderSkipped, match="TRACKER_OPENSTATES_API_KEY"):
        _provider(regulator_replay, TRACKER_OPENSTATES_API_KEY=None).fetch("bill", BILL)
    assert regulator_replay.count() == 0


def test_a_rejected_key_is_a_failure_with_the_providers_words(regulator_replay):
    with pytest.raises(ProviderError) as caught:
        _provider(regulator_replay, TRACKER_OPENSTATES_API_KEY="wrong-key-1").fetch("bill", BILL)
    assert caught.value.reason.startswith("Open States: HTTP 401: Invalid API Key.")
    assert "wrong-key-1" not in caught.value.reason


def test_an_unknown_bill_is_a_404_failure(regulator_replay):
    with pytest.raises(ProviderError, match="Open States: HTTP 404: No such Bill"):
        _provider(regulator_replay).fetch("bill", "ca/20252026/AB 9999")
