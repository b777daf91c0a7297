"""The providers' HTTP layer against the local replay server: refusals, retries, redirects, paging, secrets."""

from __future__ import annotations

import logging
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from tests.regulator_replay import CONGRESS_KEY, OPENSTATES_KEY, regulator_replay  # noqa: F401
from tracker.watches.providers import ProviderError, get_provider
from tracker.watches.providers.http import Http, parse_retry_after, user_agent, without_secret_params

BILL = "119-hr-3447"


def _congress(replay, **options):
    options.setdefault("sleep", replay.sleep)
    return get_provider("congress", replay.config(), **options)


def test_requests_carry_a_descriptive_user_agent_and_the_key_only_in_a_header(regulator_replay):
    _congress(regulator_replay).fetch("bill", BILL)
    request = regulator_replay.requests[0]
    assert request.headers["User-Agent"] == "compliance-deadline-tracker/1.0 (+https://tracker.example.test)"
    assert request.headers["X-Api-Key"] == CONGRESS_KEY
    assert CONGRESS_KEY not in str(request.query) and "api_key" not in request.query
    assert request.query["limit"] == ["250"] and request.query["format"] == ["json"]


def test_an_html_page_with_status_200_is_refused_with_a_one_line_reason(regulator_replay):
    regulator_replay.fail("html")
    with pytest.raises(ProviderError) as caught:
        _congress(regulator_replay).fetch("bill", BILL)
    assert caught.value.reason == "Congress.gov: HTML page instead of JSON (HTTP 200)"
    assert regulator_replay.count() == 1


def test_an_html_page_labelled_as_json_is_still_an_html_page(regulator_replay):
    regulator_replay.fail("html", content_type="application/json")
    with pytest.raises(ProviderError, match=r"^Congress.gov: HTML page instead of JSON \(HTTP 200\)$"):
        _congress(regulator_replay).fetch("bill", BILL)


def test_a_request_without_the_key_is_refused_by_the_replay_as_by_congress_gov(regulator_replay):
    http = Http("Congress.gov", regulator_replay.url)
    with http.session(), pytest.raises(ProviderError, match="HTTP 403: API_KEY_MISSING No api_key was supplied"):
        http.get_json(regulator_replay.url + "/congress/v3/bill/119/hr/3447/actions")


def test_a_wrong_content_type_is_refused(regulator_replay):
    regulator_replay.fail("wrong_type")
    with pytest.raises(ProviderError, match=r"unexpected content type text/plain instead of JSON \(HTTP 200\)"):
        _congress(regulator_replay).fetch("bill", BILL)


def test_truncated_json_is_refused_and_says_where_it_stopped(regulator_replay):
    regulator_replay.fail("truncated")
    with pytest.raises(ProviderError) as caught:
        _congress(regulator_replay).fetch("bill", BILL)
    assert caught.value.reason.startswith("Congress.gov: truncated or malformed JSON at byte ")
    assert "\n" not in caught.value.reason


def test_a_500_is_retried_with_growing_jittered_backoff_then_succeeds(regulator_replay):
    regulator_replay.fail("status", times=2, status=500)
    observations = _congress(regulator_replay, rng=random.Random(7)).fetch("bill", BILL)
    assert [o.stage for o in observations][-1] == "enacted"
    assert regulator_replay.count() == 3
    first, second = regulator_replay.waits
    assert 0.5 <= first <= 1.5 and 1.0 <= second <= 3.0


def test_a_500_that_persists_fails_after_four_attempts(regulator_replay):
    regulator_replay.fail("status", times=None, status=503)
    with pytest.raises(ProviderError) as caught:
        _congress(regulator_replay).fetch("bill", BILL)
    assert caught.value.reason == "Congress.gov: HTTP 503 after 4 attempts: INTERNAL Internal Server Error"
    assert regulator_replay.count() == 4 and len(regulator_replay.waits) == 3


def test_429_waits_the_seconds_retry_after_names(regulator_replay):
    regulator_replay.fail("429", retry_after="7")
    _congress(regulator_replay).fetch("bill", BILL)
    assert regulator_replay.waits == [7.0] and regulator_replay.count() == 2


def test_429_honours_retry_after_as_an_http_date(regulator_replay):
    regulator_replay.fail("429", retry_after="date:5")
    _congress(regulator_replay).fetch("bill", BILL)
    (wait,) = regulator_replay.waits
    assert 3.0 <= wait <= 5.0


def test_a_retry_after_longer_than_the_cap_ends_the_fetch_and_passes_the_wait_on(regulator_replay):
    regulator_replay.fail("429", retry_after="3600", times=None)
    with pytest.raises(ProviderError) as caught:
        _congress(regulator_replay).fetch("bill", BILL)
    assert caught.value.retry_after == 3600.0
    assert "rate limited (HTTP 429); asked to wait 3600 s (Retry-After), more than 60 s" in caught.value.reason
    assert regulator_replay.count() == 1 and regulator_replay.waits == []


def test_429_after_every_retry_fails_with_the_last_retry_after(regulator_replay):
    regulator_replay.fail("429", retry_after="2", times=None)
    with pytest.raises(ProviderError) as caught:
        _congress(regulator_replay).fetch("bill", BILL)
    assert caught.value.reason.startswith("Congress.gov: rate limited (HTTP 429) after 4 attempts")
    assert caught.value.retry_after == 2.0 and regulator_replay.waits == [2.0, 2.0, 2.0]


def test_a_slow_answer_times_out_with_a_reason(regulator_replay):
    regulator_replay.fail("slow", delay=1.0)
    with pytest.raises(ProviderError) as caught:
        _congress(regulator_replay, timeout=0.25).fetch("bill", BILL)
    assert caught.value.reason == "Congress.gov: no answer within 0.25 s (timeout)"
    assert regulator_replay.count() == 1


def test_a_redirect_to_another_host_is_not_followed(regulator_replay):
    regulator_replay.fail("redirect", location="https://login.example.net/sso?next=/v3")
    with pytest.raises(ProviderError) as caught:
        _congress(regulator_replay).fetch("bill", BILL)
    assert caught.value.reason == "Congress.gov: HTTP 302 redirect to another host (login.example.net); not followed"
    assert regulator_replay.count() == 1


def test_a_redirect_to_another_scheme_on_the_same_host_is_not_followed(regulator_replay):
    elsewhere = regulator_replay.url.replace("http://", "https://") + "/congress/v3/bill/119/hr/3447/actions"
    regulator_replay.fail("redirect", location=elsewhere)
    with pytest.raises(ProviderError, match=r"HTTP 302 redirect to another scheme or port \(https://127\.0\.0\.1:"):
        _congress(regulator_replay).fetch("bill", BILL)


def test_a_redirect_on_the_same_host_is_followed(regulator_replay):
    regulator_replay.fail("redirect", location="/congress/v3/bill/119/hr/3447/actions?offset=0&format=json")
    assert _congress(regulator_replay).fetch("bill", BILL)
    assert regulator_replay.count() == 2


def test_a_paging_link_to_another_host_is_refused(regulator_replay):
    regulator_replay.use("congress/118-hr-2670", "foreign-next")
    with pytest.raises(ProviderError, match=r"a paging link points to another host \(congress.example.net\)"):
        _congress(regulator_replay).fetch("bill", "118-hr-2670")
    assert regulator_replay.count() == 1


def test_paging_links_that_go_round_in_a_circle_are_a_failure(regulator_replay):
    regulator_replay.use("congress/118-hr-2670", "loop")
    with pytest.raises(ProviderError, match="the paging links go round in a circle; stopped"):
        _congress(regulator_replay).fetch("bill", "118-hr-2670")
    assert regulator_replay.count() == 2


def test_more_pages_than_the_cap_fail_instead_of_returning_half(regulator_replay):
    with pytest.raises(ProviderError, match="more than 2 pages; stopped"):
        _congress(regulator_replay, max_pages=2).fetch("bill", "118-hr-2670")
    assert regulator_replay.count() == 2


def test_one_provider_serves_fetches_in_several_threads_at_once(regulator_replay):
    provider = _congress(regulator_replay)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: provider.fetch("bill", "118-hr-2670"), range(8)))
    assert all(result == results[0] for result in results) and len(results[0]) == 7
    assert regulator_replay.count() == 24


def test_open_states_lists_are_paged_by_page_and_max_page(regulator_replay):
    http = Http("Open States", regulator_replay.url + "/openstates", headers={"X-API-KEY": OPENSTATES_KEY})
    with http.session():
        pages = http.numbered(regulator_replay.url + "/openstates/bills", {"jurisdiction": "ca"})
    assert [r["identifier"] for page in pages for r in page["results"]] == ["SB 53", "SB 1047"]
    assert [r.query["page"] for r in regulator_replay.requests] == [["1"], ["2"]]


def test_keys_never_appear_in_reasons_or_logs(regulator_replay, caplog):
    caplog.set_level(logging.DEBUG, logger="tracker.watches.providers")
    config = regulator_replay.config(TRACKER_CONGRESS_API_KEY="s3cret-key-value")
    provider = get_provider("congress", config, sleep=regulator_replay.sleep)
    with pytest.raises(ProviderError) as caught:
        provider.fetch("bill", BILL)
    assert "API_KEY_INVALID" in caught.value.reason and caught.value.reason.startswith("Congress.gov: HTTP 403")
    assert "s3cret-key-value" not in caught.value.reason and "s3cret-key-value" not in caplog.text
    http = Http("X", "https://api.example.test", secrets=("abc123",))
    assert http.redact("GET /v3?api_key=zzz&format=json abc123") == "GET /v3?api_key=<redacted>&format=json <redacted>"
    assert without_secret_params("https://a.test/x?offset=250&api_key=zzz&apikey=y") == "https://a.test/x?offset=250"


def test_retry_after_parses_seconds_and_http_dates():
    now = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Wed, 02 Dec 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 02 Dec 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


def test_the_user_agent_names_the_tracker_and_where_it_runs():
    assert user_agent("https://tracker.example.org/") == "compliance-deadline-tracker/1.0 (+https://tracker.example.org)"
    assert user_agent(None) == "compliance-deadline-tracker/1.0"
