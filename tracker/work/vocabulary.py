"""The words of managing the work: priorities and tags (pure: no Flask, no database)."""

from __future__ import annotations

import re

PRIORITIES = ("low", "normal", "high", "critical")
DEFAULT_PRIORITY = "normal"
PRIORITY_LABELS = {"low": "Low", "normal": "Normal", "high": "High", "critical": "Critical"}
# Within one due day, the most urgent first (lists and the digest).
PRIORITY_RANK = {"critical": 0, "high": 1, "normal": 2, "low": 3}

TAG_MAX = 40
TAGS_MAX = 20
_TAG = re.compile(r"[a-z0-9][a-z0-9._-]*")


def priority_problem(value: object) -> str | None:
    """Why `value` is not a priority, or None."""
    if value in PRIORITIES:
        return None
    return f"unknown priority {value!r} (use low, normal, high or critical)"


def clean_tags(values: object) -> tuple[list[str], str | None]:
    """(the tags lower-cased, unique and sorted; the problem or None).

    A tag is 1 to 40 characters of lower-case letters, digits, '.', '_' or '-'
    starting with a letter or digit; an obligation has at most 20. Spaces
    around a tag are dropped and upper case is folded, so "Export , AI" is
    ["ai", "export"].
    """
    if isinstance(values, str):
        values = [part for part in values.split(",")]
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        return [], "tags must be a list of short strings"
    tags = sorted({value.strip().lower() for value in values if value.strip()})
    for tag in tags:
        if len(tag) > TAG_MAX:
            return [], f"tag '{tag[:TAG_MAX]}…' is longer than {TAG_MAX} characters"
        if not _TAG.fullmatch(tag):
            return [], (f"tag {tag!r} may hold only letters, digits, '.', '_' and '-', "
                        "and must start with a letter or digit")
    if len(tags) > TAGS_MAX:
        return [], f"at most {TAGS_MAX} tags"
    return tags, None


_ID = re.compile(r"[0-9]{1,9}")


def is_id(text: object) -> bool:
    """Whether `text` is a row id as typed in a URL or form: ASCII digits only ("²" and "١" are not)."""
    return isinstance(text, str) and _ID.fullmatch(text) is not None
