"""Whole numbers typed by users: only plain ASCII digits, never an exception."""

import pytest

from tracker.fields import whole_number


@pytest.mark.parametrize("text, maximum, expected", [
    ("0", 6, 0), ("6", 6, 6), ("007", 365, 7), ("365", 365, 365),
    ("366", 365, None), ("7", 6, None), ("9" * 5000, 365, None), ("0" * 5000 + "1", 365, 1),
    ("", 6, None), (None, 6, None), (" 3", 6, None), ("-1", 6, None), ("+1", 6, None), ("1.0", 6, None),
    ("²", 6, None), ("٣", 6, None), ("３", 6, None),
])
def test_whole_number_accepts_only_plain_digits_within_the_maximum(text, maximum, expected):
    assert whole_number(text, maximum) == expected
