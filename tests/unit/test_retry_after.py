"""The one Retry-After reader used by channel deliveries and regulator providers."""

from datetime import datetime, timedelta, timezone

import pytest

from tracker.channels.delivery import parse_retry_after as channel_wait
from tracker.retry_after import retry_after
from tracker.watches.providers.http import parse_retry_after as provider_wait

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


@pytest.mark.parametrize(("header", "expected"), [
    ("120", timedelta(seconds=120)),
    (" 0 ", timedelta(0)),
    ("Wed, 02 Dec 2026 12:00:30 GMT", timedelta(seconds=30)),
    ("Wed, 02 Dec 2026 11:00:00 GMT", timedelta(0)),  # already past: no wait
    ("9" * 5000, DAY),  # absurd asks are capped, never an error
    ("Thu, 31 Dec 2099 00:00:00 GMT", DAY),
    ("²", None), ("soon", None), ("-5", None), ("", None), (None, None),
])
def test_retry_after_reads_seconds_and_dates_and_caps_them(header, expected):
    assert retry_after(header, NOW, DAY) == expected


def test_channels_and_providers_read_the_header_the_same_way():
    for header in ("120", "Wed, 02 Dec 2026 12:00:30 GMT", "9" * 5000, "²"):
        channel, provider = channel_wait(header, NOW), provider_wait(header, NOW)
        assert (channel.total_seconds() if channel is not None else None) == provider
