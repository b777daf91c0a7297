"""The rules for what users type, one definition each (pure).

Forms, services, the API schemas and the pack checkers all call these functions,
so a value one of them accepts the others accept too, and every refusal reads the
same. Each `check_*` returns a reason to refuse (a sentence fragment) or None.
Reasons quote the offending value through `show` (the pack passes its own quoting,
which escapes and shortens the same way).
"""

from __future__ import annotations

import re
import zoneinfo
from urllib.parse import urlsplit

from email_validator import validate_email

KEY_MAX = 100
TITLE_MAX = 300
URL_MAX = 2000
TIMEZONE_MAX = 64
JURISDICTION_MAX = 10
EMAIL_MAX = 320
VALUE_SHOWN_MAX = 80

# C0 and C1 controls, DEL, the Unicode line/paragraph separators and lone
# surrogates (not encodable as UTF-8): none of them belong in a title or a name
# (they break headers, CSV and calendar lines; PostgreSQL refuses NUL).
_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# Multi-line text may keep line feeds and tabs, nothing else (CR LF is stored as LF).
_TEXT_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_JURISDICTION = re.compile(r"EU|[A-Z]{2}(?:-[A-Z0-9]{1,3})?")
_ZONE_SHAPE = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")
# Files the zone database keeps beside the zones: loadable, but not IANA zone names.
_NOT_ZONES = frozenset({"localtime", "posixrules", "posix", "right"})
_zone_names: frozenset[str] | None = None


def _escape(ch: str) -> str:
    if ch in "\\'":
        return "\\" + ch
    if ch.isprintable():
        return ch
    named = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(ch)
    if named:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def show(value: str, limit: int = VALUE_SHOWN_MAX) -> str:
    """A value as reasons quote it: in single quotes, escaped, at most `limit` characters inside."""
    text = "".join(_escape(ch) for ch in value[: limit + 1])
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"'{text}'"


def forbidden_character(value: str, multiline: bool = False) -> str | None:
    """The reason a control character (or line break, for one-line text) is refused, or None."""
    bad = (_TEXT_FORBIDDEN if multiline else _LINE_FORBIDDEN).search(value)
    if bad is None:
        return None
    return f"character U+{ord(bad.group()):04X} is not allowed"


def line_value(value: str | None) -> str:
    """One-line text as it is stored: stripped, as a pack strips it.

    `str.strip` also removes some controls (U+001C-U+001F, U+0085); a value holding a
    forbidden character is kept whole, so that `check_line` refuses it as a pack does.
    """
    value = value or ""
    return value if forbidden_character(value) else value.strip()


def text_value(value: str | None) -> str:
    """Multi-line text as it is stored: line ends as LF (browsers send CR LF)."""
    return (value or "").replace("\r\n", "\n")


def check_line(value: str | None, max_length: int, required: bool = False, show=show) -> str | None:
    """A reason to refuse a one-line value (judged stripped, as it is stored), or None."""
    value = value or ""
    if bad := forbidden_character(value):
        return f"{bad} in {show(value)}"
    value = value.strip()
    if required and not value:
        return "this field is required"
    if len(value) > max_length:
        return f"at most {max_length} characters"
    return None


def check_text(value: str | None, max_length: int, show=show) -> str | None:
    """A reason to refuse a multi-line value, or None (CR LF counts as one line end)."""
    value = text_value(value)
    if len(value) > max_length:
        return f"at most {max_length} characters"
    if bad := forbidden_character(value, multiline=True):
        return f"{bad} in {show(value)}"
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


def check_key(key: str | None, show=show) -> str | None:
    """A reason to refuse a stable identifier (teams, sources, events, obligations), or None."""
    if not key:
        return "this field is required"
    if len(key) > KEY_MAX:
        return f"at most {KEY_MAX} characters"
    if not _KEY.fullmatch(key):
        return (f"invalid key {show(key)} (must start with a letter or digit and contain"
                " only letters, digits, '.', '_', ':' and '-')")
    return None


def check_jurisdiction(code: str | None, show=show) -> str | None:
    """A reason to refuse a jurisdiction code (US, US-CA, EU, DE ...), or None."""
    if not code:
        return "this field is required"
    if len(code) > JURISDICTION_MAX or not _JURISDICTION.fullmatch(code):
        return (f"invalid jurisdiction {show(code)} (expected an upper-case ISO 3166"
                " code such as 'US', 'US-CA' or 'EU')")
    return None


def check_url(url: str | None, show=show) -> str | None:
    """A reason to refuse a source's address, or None; empty is fine (the field is optional).

    An absolute http or https URL (the scheme in any case) with a host and no
    white space or control characters, at most URL_MAX characters.
    """
    if not url:
        return None
    if len(url) > URL_MAX:
        return f"at most {URL_MAX} characters"
    if not any(ch.isspace() for ch in url) and not forbidden_character(url):
        try:
            parts = urlsplit(url)
            if parts.scheme.lower() in ("http", "https") and parts.hostname:
                return None
        except ValueError:  # a malformed IPv6 host, a bad port...
            pass
    return f"{show(url)} is not an http(s) URL"


def _known_zones() -> frozenset[str]:
    global _zone_names
    if _zone_names is None:
        _zone_names = frozenset(zoneinfo.available_timezones()) - _NOT_ZONES
    return _zone_names


def check_timezone(name: str | None, show=show) -> str | None:
    """A reason to refuse a time zone, or None: IANA names only ('Europe/Berlin', 'UTC').

    Names the zone database merely keeps as files ('localtime', 'posixrules',
    'posix/...', 'right/...') load on some machines but not on others, so they are refused.
    """
    if not name:
        return "this field is required"
    if (len(name) <= TIMEZONE_MAX and _ZONE_SHAPE.fullmatch(name) and name not in _NOT_ZONES
            and not name.startswith(("posix/", "right/")) and name in _known_zones()):
        try:
            zoneinfo.ZoneInfo(name)
            return None
        except Exception:  # not found, a directory, an invalid key...
            pass
    return f"unknown time zone {show(name)}"


def normalize_email(value: str | None, show=show) -> tuple[str | None, str | None]:
    """(the address in normal form, lower-cased, None) or (None, the reason to refuse it)."""
    text = (value or "").strip()
    if not text:
        return None, "this field is required"
    if len(text) > EMAIL_MAX:
        return None, f"at most {EMAIL_MAX} characters"
    try:
        return validate_email(text, check_deliverability=False).normalized.lower(), None
    except Exception as exc:  # EmailNotValidError, or anything odd from the library
        return None, f"invalid email {show(text)} ({_one_line(str(exc))})"


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---- vendors ----

CATEGORY_MAX = 50
LIST_ITEMS_MAX = 50
_CATEGORY = re.compile(r"[a-z0-9][a-z0-9_-]*")
_COUNTRY = re.compile(r"[A-Z]{2}")


def check_category(tag: str | None, show=show) -> str | None:
    """A reason to refuse a vendor category tag ('gpu_hardware', 'cloud'), or None."""
    if not tag:
        return "a category must not be empty"
    if len(tag) > CATEGORY_MAX or not _CATEGORY.fullmatch(tag):
        return (f"invalid category {show(tag)} (lower-case letters, digits, '_' and '-',"
                f" at most {CATEGORY_MAX} characters, e.g. 'gpu_hardware')")
    return None


def check_country(code: str | None, show=show) -> str | None:
    """A reason to refuse a vendor's country (ISO 3166 alpha-2 such as 'US', 'TW'), or None; empty is fine."""
    if not code:
        return None
    if not _COUNTRY.fullmatch(code):
        return f"invalid country {show(code)} (expected a two-letter upper-case ISO 3166 code such as 'US')"
    return None


def split_list(value: str | None) -> list[str]:
    """'a, b  c' -> ['a', 'b', 'c']: a list typed into one text field (commas or spaces), duplicates dropped."""
    seen: list[str] = []
    for item in re.split(r"[,\s]+", value or ""):
        if item and item not in seen:
            seen.append(item)
    return seen


def check_list(values: list, check, what: str, show=show) -> str | None:
    """The first reason to refuse an item of a list of tags, codes or keys, or None."""
    if len(values) > LIST_ITEMS_MAX:
        return f"at most {LIST_ITEMS_MAX} {what}"
    for value in values:
        if not isinstance(value, str):
            return f"each of the {what} must be text"
        if problem := check(value, show=show):
            return problem
    return None
