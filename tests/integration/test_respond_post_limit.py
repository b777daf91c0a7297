"""A response link takes at most 10 posts a minute (security review 2026-12, item 4): the 11th is
refused with 429 and Retry-After, nothing stored, and the link works again once the minute has passed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from tests.integration.test_vendor_responses import _nothing_stored, _post, setup  # noqa: F401 (a fixture)
from tracker.db import db
from tracker.models import VendorAttestation
from tracker.vendors.post_limits import PostLimiter


def test_the_eleventh_post_in_a_minute_is_429_with_retry_after_and_stores_nothing(client, setup, clock):
    token = setup["token"]
    for _ in range(10):  # unconfirmed answers: refused as usual, and counted
        assert _post(client, token, confirm=False).status_code == 400
    refused = _post(client, token)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert "Too many submissions through this link" in refused.get_data(as_text=True)
    assert _nothing_stored() == (0, 0, 0)

    clock.shift(61)
    assert _post(client, token).status_code == 303  # the minute has passed: the answer goes in
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VendorAttestation)) == 1


def test_the_limit_is_counted_per_link_over_a_sliding_minute():
    limiter = PostLimiter(limit=2, window=timedelta(minutes=1))
    start = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
    assert limiter.refusal("link-a", start) is None
    assert limiter.refusal("link-a", start + timedelta(seconds=30)) is None
    assert limiter.refusal("link-a", start + timedelta(seconds=40)) == timedelta(seconds=20)
    assert limiter.refusal("link-b", start + timedelta(seconds=40)) is None  # another link is not held back
    assert limiter.refusal("link-a", start + timedelta(seconds=60)) is None  # the first post has left the window
