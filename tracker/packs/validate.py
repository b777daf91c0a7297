"""Validate a regulation pack (parsed JSON) as a whole, before anything is written.

`validate_pack(data, existing)` either returns a normalized, typed `Pack` or raises
`PackInvalid` carrying *every* problem found, one line each, in document order::

    obligations[2].deadline.anchor: unknown event 'x'

`load_pack_text(text, existing)` parses JSON text first (strictly: no NaN/Infinity,
no duplicate object keys, at most `MAX_PACK_BYTES`) and then validates it.

Nothing in here raises for any JSON-compatible input other than `PackInvalid`.

This module is the public entry point and re-exports the specs, limits and allowed
values; the work is done in sibling modules: `specs` (the typed result, limits and the
error), `jsontext` (strict parsing), `messages` (how problems are written), `check_base`
(shared field checks), `check_pack` (the top level, sections in dependency order) and
one `check_*` module per section.
"""

from __future__ import annotations

# Internal names are imported under private aliases so that the public names of this
# module stay exactly the pack API listed in __all__.
from tracker.packs.check_pack import PackValidator as _PackValidator
from tracker.packs.jsontext import parse_pack_json as _parse_pack_json
from tracker.packs.specs import (
    CITATION_MAX,
    DATE_TEXT_MAX,
    DEADLINE_RULES,
    DETAIL_MAX,
    EMAIL_MAX,
    EVENT_STATUSES,
    JURISDICTION_MAX,
    KEY_MAX,
    LONG_TEXT_MAX,
    MAX_PACK_BYTES,
    OFFSET_MAX_DAYS,
    OFFSET_MAX_MONTHS,
    PACK_FORMAT,
    ROLES,
    RRULE_MAX,
    SOURCE_KINDS,
    TIMEZONE_MAX,
    TITLE_MAX,
    URL_MAX,
    VALUE_SHOWN_MAX,
    DeadlineSpec,
    EventSpec,
    ExistingKeys,
    MemberSpec,
    ObligationSpec,
    Pack,
    PackInvalid,
    SourceSpec,
    TeamSpec,
)

__all__ = [
    "CITATION_MAX",
    "DATE_TEXT_MAX",
    "DEADLINE_RULES",
    "DETAIL_MAX",
    "EMAIL_MAX",
    "EVENT_STATUSES",
    "JURISDICTION_MAX",
    "KEY_MAX",
    "LONG_TEXT_MAX",
    "MAX_PACK_BYTES",
    "OFFSET_MAX_DAYS",
    "OFFSET_MAX_MONTHS",
    "PACK_FORMAT",
    "ROLES",
    "RRULE_MAX",
    "SOURCE_KINDS",
    "TIMEZONE_MAX",
    "TITLE_MAX",
    "URL_MAX",
    "VALUE_SHOWN_MAX",
    "DeadlineSpec",
    "EventSpec",
    "ExistingKeys",
    "MemberSpec",
    "ObligationSpec",
    "Pack",
    "PackInvalid",
    "SourceSpec",
    "TeamSpec",
    "load_pack_text",
    "validate_pack",
]


def validate_pack(data: object, existing: ExistingKeys = ExistingKeys()) -> Pack:
    """Validate a parsed pack; return it normalized or raise PackInvalid with all errors."""
    return _PackValidator(existing).run(data, [])


def load_pack_text(text: str | bytes, existing: ExistingKeys = ExistingKeys()) -> Pack:
    """Parse pack JSON text strictly, then validate it (see validate_pack)."""
    data, parse_errors = _parse_pack_json(text)
    return _PackValidator(existing).run(data, parse_errors)
