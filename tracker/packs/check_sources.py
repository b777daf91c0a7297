"""Checks for the `sources` section of a pack: the bills, orders and rules obligations come from."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tracker.packs.check_base import Checker, JsonObject
from tracker.packs.messages import quote
from tracker.packs.specs import (
    CITATION_MAX,
    JURISDICTION_MAX,
    LONG_TEXT_MAX,
    SOURCE_KINDS,
    TITLE_MAX,
    URL_MAX,
    SourceSpec,
)

_SOURCE_FIELDS = frozenset(
    {"key", "title", "kind", "jurisdiction", "citation", "url", "summary"}
)
_JURISDICTION_RE = re.compile(r"[A-Z]{2}(?:-[A-Z0-9]{1,3})?")
_WHITESPACE_RE = re.compile(r"\s")


class SourceChecks(Checker):
    """Checks source items; records their keys for the events that cite them."""

    def source(self, obj: JsonObject) -> SourceSpec | None:
        before = len(self.errors)
        key = self.defined_key(obj, _SOURCE_FIELDS, self.source_keys)
        title = self.text(obj, "title", limit=TITLE_MAX)
        kind = self.choice(obj, "kind", SOURCE_KINDS, "kind")
        jurisdiction = self.text(obj, "jurisdiction", limit=JURISDICTION_MAX)
        if jurisdiction is not None and not _JURISDICTION_RE.fullmatch(jurisdiction):
            self.field_error(
                obj,
                "jurisdiction",
                f"invalid jurisdiction {quote(jurisdiction)} (expected an upper-case ISO 3166"
                " code such as 'US', 'US-CA' or 'EU')",
            )
        citation = self.text(obj, "citation", limit=CITATION_MAX, required=False)
        url = self.text(obj, "url", limit=URL_MAX, required=False)
        if url and not _is_http_url(url):
            self.field_error(obj, "url", f"{quote(url)} is not an http(s) URL")
        summary = self.text(obj, "summary", limit=LONG_TEXT_MAX, required=False, multiline=True)
        if len(self.errors) > before:
            return None
        return SourceSpec(
            key=key,
            title=title,
            kind=kind,
            jurisdiction=jurisdiction,
            citation=citation,
            url=url,
            summary=summary,
        )  # type: ignore[arg-type]


def _is_http_url(url: str) -> bool:
    """An absolute http or https URL with a host and no whitespace."""
    if _WHITESPACE_RE.search(url):
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False
