"""Every provider against every misbehaviour of the replay: a one-line reason, never half a result."""

from __future__ import annotations

import pytest

from tests.regulator_replay import regulator_replay  # noqa: F401
from tracker.watches.providers import ProviderError, get_provider

ITEMS = {"congress": ("bill", "119-hr-3447", "Congress.gov"),
         "federal_register": ("docket", "BIS-2026-0001", "Federal Register"),
         "openstates": ("bill", "ca/20252026/SB 53", "Open States")}
FAILURES = [
    (("html",), {}, "HTML page instead of JSON (HTTP 200)"),
    (("truncated",), {}, "truncated or malformed JSON at byte "),
    (("status",), {"status": 500, "times": None}, "HTTP 500 after 4 attempts"),
    (("slow",), {"delay": 0.8}, "no answer within 0.2 s (timeout)"),
]


@pytest.mark.parametrize("name", sorted(ITEMS))
@pytest.mark.parametrize(("args", "options", "reason"), FAILURES, ids=[f[0][0] for f in FAILURES])
def test_each_failure_is_a_provider_error_with_its_reason(regulator_replay, name, args, options, reason):
    kind, item, label = ITEMS[name]
    provider = get_provider(name, regulator_replay.config(), sleep=regulator_replay.sleep, timeout=0.2)
    regulator_replay.fail(*args, provider=name, **options)
    with pytest.raises(ProviderError) as caught:
        provider.fetch(kind, item)
    assert caught.value.reason.startswith(f"{label}: {reason}")
    assert "\n" not in caught.value.reason


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_a_429_is_waited_out_and_the_fetch_completes(regulator_replay, name):
    kind, item, _ = ITEMS[name]
    provider = get_provider(name, regulator_replay.config(), sleep=regulator_replay.sleep)
    clean = provider.fetch(kind, item)
    regulator_replay.clear()
    regulator_replay.fail("429", provider=name, retry_after="3")
    assert [o.fingerprint() for o in provider.fetch(kind, item)] == [o.fingerprint() for o in clean]
    assert regulator_replay.waits == [3.0]


@pytest.mark.parametrize(("name", "kind", "item", "label"), [
    ("congress", "bill", "118-hr-2670", "Congress.gov"),
    ("federal_register", "docket", "BIS-2026-0001", "Federal Register")])
def test_a_failure_on_a_later_page_returns_nothing_at_all(regulator_replay, name, kind, item, label):
    provider = get_provider(name, regulator_replay.config(), sleep=regulator_replay.sleep)
    regulator_replay.fail("wrong_type", provider=name, after=1)
    with pytest.raises(ProviderError, match=f"^{label}: unexpected content type text/plain"):
        provider.fetch(kind, item)
    assert regulator_replay.count() == 2
