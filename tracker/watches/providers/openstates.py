"""Open States API v3: a state bill's classified actions as stage observations.

One request: `/bills/{jurisdiction}/{session}/{identifier}?include=actions` (the actions
come inside the bill, so there is nothing to page). The key goes in the `X-API-KEY`
header. Stages come from the actions' `classification` lists. Scrapers report the
same action more than once (two sources, a re-scrape): actions of one stage, chamber
and date collapse into one observation. Committee passage and chamber passage repeat
legitimately within a chamber (several committees; passage again after amendments or
a reconsideration), so the earliest per chamber is the observation; signature,
enactment and veto are observed at every date reported, so a disagreement shows.
Open States gives no effective date (California statutes take effect on 1 January of
the following year unless they say otherwise): map `enacted` and derive the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from urllib.parse import quote

from tracker.watches.providers.base import CHAMBER, ItemError, Observation
from tracker.watches.providers.common import ProviderBase, actions_of, iso_date

NAME = "openstates"
LABEL = "Open States"
DEFAULT_URL = "https://v3.openstates.org"
PUBLIC_URL = "https://openstates.org"
STAGES = ("introduced", "passed_committee", "passed_chamber", "signed", "enacted", "vetoed")
CLASSIFICATIONS = {
    "introduction": "introduced",
    "committee-passage": "passed_committee",
    "committee-passage-favorable": "passed_committee",
    "passage": "passed_chamber",
    "executive-signature": "signed",
    "became-law": "enacted",
    "executive-veto": "vetoed",
    "executive-veto-line-item": "vetoed",
}
FIRST_ONLY = {"introduced", "passed_committee", "passed_chamber"}
# A bill is introduced once (its origin chamber); passage is per chamber.
CHAMBERED = {"passed_committee", "passed_chamber"}
ITEM = re.compile(r"^([a-z]{2})/([A-Za-z0-9_\-]{1,20})/([A-Za-z]{1,6})\s*0*(\d{1,5})([A-Za-z]?)$")



def _chamber(action: Mapping) -> str:
    organization = action.get("organization")
    kind = organization.get("classification") if isinstance(organization, Mapping) else None
    return str(kind) if kind else ""


def _rank(action: Mapping) -> tuple:
    order = action.get("order")
    return (order if isinstance(order, int) else 1 << 30, str(action.get("description") or ""),
            str(action.get("id") or ""))


def observations(item: str, bill: Mapping, url: str) -> list[Observation]:
    """The bill's stage observations from its `actions`: mapped, collapsed, ordered by date."""
    best: dict[tuple[str, str, date], tuple[Mapping, str]] = {}
    for action in bill.get("actions") or ():
        if not isinstance(action, Mapping) or not (on := iso_date(action.get("date"))):
            continue
        classes = action.get("classification") or []
        for classification in (c for c in classes if isinstance(c, str) and c in CLASSIFICATIONS):
            stage = CLASSIFICATIONS[classification]
            key = (stage, _chamber(action) if stage in CHAMBERED else "", on)
            if key not in best or _rank(action) < _rank(best[key][0]):
                best[key] = (action, classification)
    earliest: dict[tuple[str, str], date] = {}
    for stage, chamber, on in best:
        earliest[(stage, chamber)] = min(on, earliest.get((stage, chamber), on))
    found = []
    for (stage, chamber, on), (action, classification) in best.items():
        if stage in FIRST_ONLY and earliest[(stage, chamber)] != on:
            continue
        identifiers = {"bill": item, "classification": classification}
        if bill.get("id"):
            identifiers["bill_id"] = str(bill["id"])
        if chamber:
            identifiers[CHAMBER] = chamber
        text = " ".join(str(action.get("description") or "").split())
        found.append(Observation(stage=stage, on=on, text=text, url=url, identifiers=identifiers))
    return sorted(found, key=lambda o: (o.on, STAGES.index(o.stage), o.fingerprint()))


class OpenStatesProvider(ProviderBase):
    """State bills on Open States; without an API key the provider is skipped with a notice."""

    name = NAME
    label = LABEL
    item_kinds = ("bill",)
    stages = STAGES
    item_help = {"bill": "jurisdiction/session/identifier, e.g. ca/20252026/SB 53"}
    default_url, key_header = DEFAULT_URL, "X-API-KEY"

    def normalised(self, kind: str, item: str) -> str:
        """`ca/20252026/SB 53` normalised (jurisdiction lower case, identifier `SB 53`), or ItemError."""
        value = str(item or "").strip()
        head, _, rest = value.partition("/")
        match = ITEM.match(f"{head.lower()}/{rest}")
        if not match:
            raise ItemError(f"{item!r} is not a state bill reference: expected jurisdiction/session/identifier, "
                            "e.g. ca/20252026/SB 53")
        jurisdiction, session, letters, number, suffix = match.groups()
        return f"{jurisdiction}/{session}/{letters.upper()} {int(number)}{suffix.upper()}"

    def item_url(self, kind: str, item: str) -> str:
        """The bill's page on openstates.org."""
        jurisdiction, session, identifier = self.check_item(kind, item).split("/")
        return f"{PUBLIC_URL}/{jurisdiction}/bills/{session}/{identifier.replace(' ', '')}/"

    def fetch(self, kind: str, item: str) -> list[Observation]:
        """Every stage observation of the bill (one request; actions included)."""
        ref = self.item_to_fetch(kind, item)
        jurisdiction, session, identifier = ref.split("/")
        url = f"{self.base_url}/bills/{jurisdiction}/{quote(session, safe='')}/{quote(identifier, safe='')}"
        with self.http.session():
            bill = self.http.get_json(url, {"include": "actions"})
        actions_of(bill, LABEL)  # (observations reads them from the bill)
        public = bill.get("openstates_url")
        page = public if isinstance(public, str) and public.startswith("https://") else self.item_url(kind, ref)
        return observations(ref, bill, page)
