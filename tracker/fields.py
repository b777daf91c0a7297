"""Checks on user text shared by forms, services and the pack validator."""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the Unicode line/paragraph separators: none of
# them belong in a title or a name (they break headers, CSV and calendar lines).
_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Multi-line text may keep newlines and tabs, nothing else.
_TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def check_line(value: str | None, max_length: int, required: bool = False) -> str | None:
    """A reason to refuse a one-line value, or None when it is fine."""
    value = value or ""
    if required and not value.strip():
        return "this field is required"
    if len(value) > max_length:
        return f"at most {max_length} characters"
    if _LINE_FORBIDDEN.search(value):
        return "line breaks and control characters are not allowed"
    return None


def check_text(value: str | None, max_length: int) -> str | None:
    """A reason to refuse a multi-line value, or None when it is fine."""
    value = value or ""
    if len(value) > max_length:
        return f"at most {max_length} characters"
    if _TEXT_FORBIDDEN.search(value.replace("\r\n", "\n")):
        return "control characters are not allowed"
    return None


def whole_number(value: str | None, maximum: int) -> int | None:
    """The value of a plain run of ASCII digits when it is at most `maximum`, else None.

    `str.isdigit` also accepts digits that `int` refuses ('²') and `int` refuses
    strings of more than 4,300 digits, so neither is trusted with user text.
    """
    value = value or ""
    if not (value.isascii() and value.isdigit()):
        return None
    digits = value.lstrip("0") or "0"
    if len(digits) > len(str(maximum)):
        return None
    number = int(digits)
    return number if number <= maximum else None


KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
JURISDICTION_PATTERN = re.compile(r"^(EU|[A-Z]{2}(-[A-Z0-9]{1,3})?)$")


def check_key(key: str) -> str | None:
    """A reason to refuse a stable identifier, or None."""
    if not key:
        return "this field is required"
    if not KEY_PATTERN.match(key):
        return "use letters, digits and . _ : - (at most 100, starting with a letter or digit)"
    return None
