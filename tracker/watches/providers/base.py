"""What every regulator provider gives the watch service (no Flask, no database).

A provider fetches one item (a bill, a document, a docket) and returns what it
observed as `Observation`s: a stage of the provider's vocabulary, the date the
provider gives for it, the provider's own words, a link a person can open and the
raw identifiers that make the observation recognisable on the next poll.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class Observation:
    """One stage of one item as a provider reported it."""

    stage: str
    # The date the provider gives for the stage; None when it gives none.
    on: date | None
    # The provider's text, e.g. "Became Public Law No: 119-52."
    text: str
    # A page a person can open (the item's public page, not the API URL with a key).
    url: str
    # Raw identifiers (action code, document number, ...), as strings, in a stable
    # order of keys: `fingerprint()` is built from them, the stage and the date.
    identifiers: Mapping[str, str] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """Stable identity of this observation across polls (same data -> same string)."""
        ids = ";".join(f"{key}={self.identifiers[key]}" for key in sorted(self.identifiers))
        return f"{self.stage}|{self.on.isoformat() if self.on else ''}|{ids}"


class ProviderError(Exception):
    """The provider could not be read this time; the watch records it and retries later.

    `reason` is one line for a person ("HTML page instead of JSON (status 200)");
    `retry_after` is seconds the provider asked us to wait, when it said so.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class ProviderSkipped(Exception):
    """The provider cannot be used as configured (no API key): a notice, not a failure."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ItemError(ValueError):
    """The item reference is malformed for this provider ("119-hr-3447" expected)."""


class Provider(Protocol):
    """One regulator API. Instances are cheap; `fetch` does the HTTP."""

    name: str                      # "congress", "federal_register", "openstates"
    label: str                     # "Congress.gov", "Federal Register", "Open States"
    item_kinds: tuple[str, ...]    # ("bill",) or ("document", "docket")
    stages: tuple[str, ...]        # the stage vocabulary of the SPEC's table

    def check_item(self, kind: str, item: str) -> str:
        """The item reference normalised, or ItemError naming what is wrong."""

    def item_url(self, kind: str, item: str) -> str:
        """The item's public page."""

    def fetch(self, kind: str, item: str) -> list[Observation]:
        """Every observation of the item, paging followed and duplicates collapsed.

        Raises ProviderError (network, status, non-JSON, truncated JSON, 429 after
        the retries) or ProviderSkipped (no key). Never returns half a result.
        """


# Identifier names with a meaning beyond provenance (see docs/watches.md, "Providers").
# `chamber`: the stage happened in this chamber ("house"/"senate", "upper"/"lower");
# the same stage in two chambers is two happenings, not a disagreement.
CHAMBER = "chamber"
# `supersedes`: a later document (a delay, a correction, an extension) replaces the
# value an earlier document gave for this stage; the value names that document.
SUPERSEDES = "supersedes"


def occurrence(observation: Observation) -> str:
    """What two observations must share to be two reports of one happening.

    Two observations with the same occurrence and different dates disagree (a
    conflict for a person), unless the later one names what it `supersedes`.
    """
    chamber = observation.identifiers.get(CHAMBER)
    return f"{observation.stage}|{chamber}" if chamber else observation.stage
