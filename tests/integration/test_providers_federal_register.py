"""Federal Register provider against the local replay: documents, dockets, paging, corrections and delays."""

from __future__ import annotations

from datetime import date

import pytest

from tests.regulator_replay import regulator_replay  # noqa: F401
from tracker.watches.providers import ProviderError, get_provider

DOCKET = "BIS-2026-0001"


def _provider(replay):
    return get_provider("federal_register", replay.config(), sleep=replay.sleep)


def test_a_document_reports_its_publication_comment_close_and_effective_dates(regulator_replay):
    observations = _provider(regulator_replay).fetch("document", "2026-01234")
    assert [(o.stage, o.on) for o in observations] == [("published", date(2026, 1, 22)),
                                                       ("comments_close", date(2026, 2, 23)),
                                                       ("effective", date(2026, 3, 23))]
    published, _, effective = observations
    assert published.text.startswith("Interim final rule; request for comments: Export Administration Regulations")
    assert effective.text.startswith("Effective date: This rule is effective March 23, 2026.")
    assert effective.url == ("https://www.federalregister.gov/documents/2026/01/22/2026-01234/"
                             "export-administration-regulations")
    assert dict(effective.identifiers) == {"document": "2026-01234"}
    (request,) = regulator_replay.requests
    assert request.path.endswith("/documents/2026-01234.json") and "effective_on" in request.query["fields[]"]


def test_an_effective_date_given_only_in_words_is_computed_from_publication(regulator_replay):
    observations = _provider(regulator_replay).fetch("document", "2026-02222")
    assert [(o.stage, o.on) for o in observations] == [("published", date(2026, 2, 2)),
                                                       ("effective", date(2026, 3, 4))]


def test_a_delaying_document_reports_the_date_it_delays_until(regulator_replay):
    effective = [o for o in _provider(regulator_replay).fetch("document", "2026-05678") if o.stage == "effective"]
    assert [(o.on, o.identifiers["document"]) for o in effective] == [(date(2026, 6, 22), "2026-05678")]


def test_a_docket_is_read_page_by_page_oldest_first(regulator_replay):
    regulator_replay.use(f"federal_register/dockets/{DOCKET}", "before-delay")
    observations = _provider(regulator_replay).fetch("docket", DOCKET)
    assert [(o.stage, o.on, o.identifiers["document"]) for o in observations] == [
        ("published", date(2025, 7, 1), "2025-12011"), ("comments_close", date(2025, 8, 29), "2025-12011"),
        ("published", date(2026, 1, 22), "2026-01234"), ("comments_close", date(2026, 2, 23), "2026-01234"),
        ("effective", date(2026, 3, 23), "2026-01234")]
    first, second = regulator_replay.requests
    assert first.query["conditions[docket_id]"] == [DOCKET] and first.query["order"] == ["oldest"]
    assert second.query["page"] == ["2"]
    # The correction (2026-02101) publishes no stage of its own and moves nothing.
    assert all(o.identifiers["document"] != "2026-02101" for o in observations)


def test_a_later_document_delaying_the_effective_date_is_a_later_effective_observation(regulator_replay):
    provider = _provider(regulator_replay)
    regulator_replay.use(f"federal_register/dockets/{DOCKET}", "before-delay")
    before = provider.fetch("docket", DOCKET)
    regulator_replay.use(f"federal_register/dockets/{DOCKET}", "default")
    after = provider.fetch("docket", DOCKET)
    new = [o for o in after if o.fingerprint() not in {b.fingerprint() for b in before}]
    assert len(new) == 1
    (delay,) = new
    assert (delay.stage, delay.on) == ("effective", date(2026, 6, 22))
    assert dict(delay.identifiers) == {"docket": DOCKET, "document": "2026-05678", "supersedes": "2026-01234"}
    assert "is delayed until June 22, 2026" in delay.text
    assert "/2026-05678/" in delay.url
    assert regulator_replay.count() == 4  # two pages per poll


def test_two_polls_of_the_same_docket_give_the_same_fingerprints(regulator_replay):
    provider = _provider(regulator_replay)
    assert [o.fingerprint() for o in provider.fetch("docket", DOCKET)] == \
        [o.fingerprint() for o in provider.fetch("docket", DOCKET)]


def test_a_docket_without_documents_observes_nothing_in_one_request(regulator_replay):
    assert _provider(regulator_replay).fetch("docket", "BIS-2027-0404") == []
    assert regulator_replay.count() == 1


def test_an_unknown_document_is_a_404_failure(regulator_replay):
    with pytest.raises(ProviderError, match="Federal Register: HTTP 404: Record not found"):
        _provider(regulator_replay).fetch("document", "2026-99999")
