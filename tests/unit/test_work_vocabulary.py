"""Priorities, tags and ids as typed (pure, no database)."""

from __future__ import annotations

import pytest

from tracker.comments.render import mentioned_emails
from tracker.work.vocabulary import PRIORITIES, PRIORITY_RANK, clean_tags, is_id, priority_problem


@pytest.mark.parametrize("given, tags", [
    (["Export", " board ", "export"], ["board", "export"]),
    ("Export-Control, q1.2027", ["export-control", "q1.2027"]),
    ([], []),
    (["", "  "], []),
])
def test_tags_are_folded_unique_and_sorted(given, tags):
    assert clean_tags(given) == (tags, None)


@pytest.mark.parametrize("given", [["has space"], ["<b>"], ["-dash-first"], ["x" * 41], [f"t{i}" for i in range(21)],
                                   "not,a,list".split(",") + [3], 7])
def test_bad_tags_are_refused_with_a_reason(given):
    tags, problem = clean_tags(given)
    assert tags == [] and problem


def test_priorities_rank_most_urgent_first():
    assert sorted(PRIORITIES, key=PRIORITY_RANK.get) == ["critical", "high", "normal", "low"]
    assert priority_problem("normal") is None and "unknown priority" in priority_problem("urgent")


@pytest.mark.parametrize("text, ok", [("12", True), ("0", True), ("²", False), ("١٠", False), ("１２", False),
                                      ("1" * 10, False), ("", False), ("-1", False), (" 7", False)])
def test_ids_are_ascii_digits(text, ok):
    assert is_id(text) is ok


def test_mentions_are_emails_after_an_at_sign():
    assert mentioned_emails("@Dana@Example.com, cc @bob@x.org. mail me@x.org @dana@example.com") == [
        "dana@example.com", "bob@x.org"]
