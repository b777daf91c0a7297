"""Federal Register API v1: a document's dates, or a docket's documents in order.

`document`: one request (`/documents/{number}.json`): its publication, comment close
and effective dates. `docket`: the documents search by docket id, oldest first, every
page (`next_page_url`) read. Changes to a rule arrive as new documents under the same
docket: a correction (`correction_of`), a rule delaying the effective date, an
extension or reopening of a comment period. In a docket each stage's value is the
latest document's: a later document giving another date for a stage is observed with
`supersedes` naming the document whose value it replaces, and with its own document
number, so a delay reads "effective 2026-06-22, document 2026-05678, supersedes
2026-01234". Corrections, delays and extensions publish no `published` of their own.

The effective date is `effective_on`; for a delay, the date the `dates` text says the
rule is delayed until (the delaying rule's own `effective_on` is often the day the
delay takes effect; "delayed indefinitely" is an `effective` observation without a
date); for a correction, only an `effective_on` later than its own publication (its
`dates` describe the correction itself); when `effective_on` is null, the `dates` text
("effective March 23, 2026", "effective 30 days after publication"). No key is needed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from urllib.parse import quote

from tracker.watches.providers.base import SUPERSEDES, ItemError, Observation, ProviderError
from tracker.watches.providers.common import ProviderBase, iso_date

NAME = "federal_register"
LABEL = "Federal Register"
DEFAULT_URL = "https://www.federalregister.gov/api/v1"
PUBLIC_URL = "https://www.federalregister.gov"
STAGES = ("published", "comments_close", "effective")
FIELDS = ("document_number", "title", "type", "action", "html_url", "publication_date", "effective_on",
          "comments_close_on", "dates", "correction_of", "docket_ids", "regulation_id_numbers")
PER_PAGE = 100
DOCUMENT = re.compile(r"^[0-9A-Z]{1,4}(?:-[0-9A-Z]{1,6}){1,2}$")
DOCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,79}$")
RULE_TYPES = ("Rule", "Proposed Rule", "Presidential Document")

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_DATE = r"(" + "|".join(_MONTHS) + r")\s+(\d{1,2}),?\s+(\d{4})"
_DELAYED = re.compile(r"\b(?:delayed|delays|delaying|postponed)\b[^.;]{0,200}?\b(?:until|to)\s+" + _DATE,
                      re.IGNORECASE)
_INDEFINITELY = re.compile(r"\b(?:delayed|postponed)\s+indefinitely\b", re.IGNORECASE)
_EFFECTIVE_ON = re.compile(r"\beffective\s+(?:on\s+|as\s+of\s+)?" + _DATE, re.IGNORECASE)
_EFFECTIVE_AFTER = re.compile(r"\beffective\s+(\d{1,3})\s+days\s+after\s+(?:the\s+date\s+of\s+)?publication",
                              re.IGNORECASE)
_AMENDING_ACTION = re.compile(r"correction|delay|extension of (?:the )?comment|reopening", re.IGNORECASE)



def _spelled(match: re.Match, first: int = 1) -> date | None:
    month, day, year = match.group(first), match.group(first + 1), match.group(first + 2)
    try:
        return date(int(year), _MONTHS.index(month.lower()) + 1, int(day))
    except ValueError:
        return None


def _one_line(value: object) -> str:
    return " ".join(str(value or "").split())


def delayed_until(text: str) -> tuple[bool, date | None]:
    """(whether `text` delays an effective date, the date it delays it until or None)."""
    if _INDEFINITELY.search(text):
        return True, None
    match = _DELAYED.search(text)
    return (True, _spelled(match)) if match else (False, None)


def effective_from_text(text: str, published: date | None) -> date | None:
    """The effective date a `dates` text gives when `effective_on` is null."""
    if (match := _EFFECTIVE_AFTER.search(text)) and published:
        return published + timedelta(days=int(match.group(1)))
    if match := _EFFECTIVE_ON.search(text):
        return _spelled(match)
    return None


def is_amending(document: Mapping) -> bool:
    """A correction, a delay or a comment-period extension of an earlier document."""
    return bool(document.get("correction_of")) or bool(_AMENDING_ACTION.search(_one_line(document.get("action"))))


def document_stages(document: Mapping, *, with_published: bool = True) -> list[tuple[str, date | None, str]]:
    """(stage, date, text) for what one document reports."""
    published = iso_date(document.get("publication_date"))
    action, title = _one_line(document.get("action")).rstrip("."), _one_line(document.get("title"))
    headline = f"{action}: {title}" if action and title else action or title
    dates_text = _one_line(document.get("dates"))
    found = []
    if with_published and published:
        found.append(("published", published, headline))
    if closes := iso_date(document.get("comments_close_on")):
        found.append(("comments_close", closes, dates_text or headline))
    delays, until = delayed_until(dates_text) if dates_text else (False, None)
    effective_on = iso_date(document.get("effective_on"))
    if delays:
        # The delaying rule's own effective_on is usually the day the delay takes effect.
        if until or not effective_on or effective_on == published:
            found.append(("effective", until, dates_text))
        else:
            found.append(("effective", effective_on, dates_text))
    elif is_amending(document):
        # A correction's dates are its own ("this correction is effective ..."): only an
        # effective_on later than its publication speaks about the rule.
        if effective_on and published and effective_on > published:
            found.append(("effective", effective_on, dates_text or headline))
    elif effective := effective_on or effective_from_text(dates_text, published):
        found.append(("effective", effective, dates_text or headline))
    return found


def _page_url(document: Mapping, number: str) -> str:
    url = document.get("html_url")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else f"{PUBLIC_URL}/d/{number}"


def document_observations(document: Mapping) -> list[Observation]:
    """What a `document` watch observes: that document's own dates."""
    number = str(document.get("document_number") or "")
    identifiers = {"document": number}
    if document.get("correction_of"):
        identifiers["correction_of"] = str(document["correction_of"])
    return [Observation(stage=stage, on=on, text=text, url=_page_url(document, number), identifiers=identifiers)
            for stage, on, text in document_stages(document)]


def docket_observations(docket: str, documents: list[Mapping]) -> list[Observation]:
    """What a `docket` watch observes: each stage's values in publication order, later ones superseding."""
    unique: dict[str, Mapping] = {}
    for document in documents:
        if isinstance(document, Mapping) and document.get("document_number"):
            unique.setdefault(str(document["document_number"]), document)
    ordered = sorted(unique.values(), key=lambda d: (iso_date(d.get("publication_date")) or date.max,
                                                     str(d["document_number"])))
    has_rules = any(d.get("type") in RULE_TYPES for d in ordered)
    current: dict[str, tuple[str, date | None]] = {}
    found = []
    for document in ordered:
        number = str(document["document_number"])
        principal = not is_amending(document) and (not has_rules or document.get("type") in RULE_TYPES)
        for stage, on, text in document_stages(document, with_published=principal):
            held = current.get(stage)
            if held and held[1] == on:
                continue  # the same date restated by a later document is nothing new
            identifiers = {"docket": docket, "document": number}
            if document.get("correction_of"):
                identifiers["correction_of"] = str(document["correction_of"])
            if held:
                identifiers[SUPERSEDES] = held[0]
            current[stage] = (number, on)
            found.append(Observation(stage=stage, on=on, text=text, url=_page_url(document, number),
                                     identifiers=identifiers))
    return found


def _next_link(page: dict) -> str | None:
    link = page.get("next_page_url")
    return link if isinstance(link, str) and link else None


class FederalRegisterProvider(ProviderBase):
    """Documents and dockets on the Federal Register (no key)."""

    name = NAME
    label = LABEL
    item_kinds = ("document", "docket")
    stages = STAGES
    item_help = {"document": "a document number, e.g. 2026-01234", "docket": "a docket id, e.g. BIS-2026-0001"}
    default_url = DEFAULT_URL

    def normalised(self, kind: str, item: str) -> str:
        """A document number (2026-01234) or a docket id (BIS-2026-0001), or ItemError."""
        value = str(item or "").strip()
        if kind == "document":
            if not DOCUMENT.match(value.upper()):
                raise ItemError(f"{item!r} is not a Federal Register document number, e.g. 2026-01234")
            return value.upper()
        if not DOCKET.match(value):
            raise ItemError(f"{item!r} is not a docket id, e.g. BIS-2026-0001")
        return value

    def item_url(self, kind: str, item: str) -> str:
        """The document's page, or the search of the docket's documents."""
        value = self.check_item(kind, item)
        if kind == "document":
            return f"{PUBLIC_URL}/d/{value}"
        return f"{PUBLIC_URL}/documents/search?conditions%5Bdocket_id%5D={quote(value, safe='')}&order=oldest"

    def fetch(self, kind: str, item: str) -> list[Observation]:
        """The document's observations, or the docket's with every page read."""
        value = self.item_to_fetch(kind, item)
        fields = [("fields[]", name) for name in FIELDS]
        with self.http.session():
            if kind == "document":
                document = self.http.get_json(f"{self.base_url}/documents/{quote(value, safe='')}.json", fields)
                if not document.get("document_number"):
                    raise ProviderError(f"{LABEL}: the answer is not a document")
                return document_observations(document)
            params = [("conditions[docket_id]", value), ("order", "oldest"), ("per_page", PER_PAGE), *fields]
            pages = self.http.follow(f"{self.base_url}/documents.json", params, _next_link)
        documents = []
        for page in pages:
            results = page.get("results", [])  # absent when nothing matches
            if not isinstance(results, list):
                raise ProviderError(f"{LABEL}: the answer's results are not a list")
            documents.extend(results)
        return docket_observations(value, documents)
