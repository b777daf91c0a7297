"""Congress.gov API v3: a bill's actions as stage observations.

One request per 250 actions (`/bill/{congress}/{type}/{number}/actions`, newest first,
`pagination.next` followed). The key goes in the `X-Api-Key` header, which
api.data.gov accepts as it accepts `api_key=`, so no URL ever carries it.

Stages come from the Library of Congress action codes first (the authoritative list;
`sourceSystem` 9), then from the House clerk's executive codes (E20000, E30000,
E40000), then from the action `type` and the start of its text for actions without a
code (Senate actions carry none). The same action is often reported twice, by the
House and by the Library of Congress: actions of one stage, chamber and date collapse
into one observation, the Library of Congress one preferred. Two dates for the same
stage (two "Became Public Law" entries) are both observed: that is a disagreement for
a person, not a choice to make here. A bill reported by several committees of one
chamber passes committee once: the earliest report is the observation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from tracker.watches.providers.base import CHAMBER, ItemError, Observation
from tracker.watches.providers.common import ProviderBase, actions_of, iso_date

NAME = "congress"
LABEL = "Congress.gov"
DEFAULT_URL = "https://api.congress.gov/v3"
PUBLIC_URL = "https://www.congress.gov"
STAGES = ("introduced", "passed_committee", "passed_house", "passed_senate", "presented", "signed", "enacted",
          "vetoed")
BILL_TYPES = {"hr": "house-bill", "s": "senate-bill", "hjres": "house-joint-resolution",
              "sjres": "senate-joint-resolution", "hconres": "house-concurrent-resolution",
              "sconres": "senate-concurrent-resolution", "hres": "house-resolution", "sres": "senate-resolution"}
ITEM = re.compile(r"^(\d{1,3})-([a-z]+)-0*(\d{1,5})$")
PAGE_SIZE = 250

# Library of Congress codes (https://www.congress.gov/help/field-values/action-codes).
LOC_CODES: dict[str, tuple[str, str | None]] = {
    "1000": ("introduced", "house"), "Intro-H": ("introduced", "house"),
    "10000": ("introduced", "senate"), "Intro-S": ("introduced", "senate"),
    "5000": ("passed_committee", "house"), "14000": ("passed_committee", "senate"),
    "8000": ("passed_house", None), "17000": ("passed_senate", None),
    "28000": ("presented", None), "29000": ("signed", None),
    "30000": ("vetoed", None), "31000": ("vetoed", None),  # pocket veto, veto
    "36000": ("enacted", None),
}
# The House clerk records the executive steps too, with its own codes.
HOUSE_CODES = {"E20000": "presented", "E30000": "signed", "E40000": "enacted"}
# Actions without a mapped code: (type, start of the text, lower case) -> stage.
BY_TYPE_AND_TEXT = (
    ("BecameLaw", "", "enacted"),
    ("President", "presented to president", "presented"),
    ("President", "signed by president", "signed"),
    ("Veto", "vetoed by president", "vetoed"),
    ("Veto", "pocket vetoed by president", "vetoed"),
    ("Floor", "passed senate", "passed_senate"),
)
# The earliest report is the stage; later reports of the same chamber are not news.
FIRST_ONLY = {"passed_committee"}
# House (1, 2) and Senate (0) are primary sources; the Library of Congress (9) curates.
SOURCE_RANK = {9: 0, 2: 1, 1: 2, 0: 3}
LAW_NUMBER = re.compile(r"Became (?:Public|Private) Law No:\s*(\d+-\d+)", re.IGNORECASE)


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"



def _source(action: Mapping) -> int | None:
    source = action.get("sourceSystem")
    code = source.get("code") if isinstance(source, Mapping) else None
    try:
        return int(code) if code is not None else None
    except (TypeError, ValueError):
        return None


def stage_of(action: Mapping) -> tuple[str | None, str | None]:
    """(stage, chamber) of one action, or (None, None) when it maps to no stage."""
    code = str(action.get("actionCode") or "").strip()
    if code in LOC_CODES:
        return LOC_CODES[code]
    if code in HOUSE_CODES:
        return HOUSE_CODES[code], None
    kind = action.get("type")
    text = str(action.get("text") or "").strip().lower()
    for wanted_type, start, stage in BY_TYPE_AND_TEXT:
        if kind == wanted_type and text.startswith(start):
            return stage, None
    return None, None


def _rank(action: Mapping) -> tuple:
    code = str(action.get("actionCode") or "")
    code_rank = 0 if code.isdigit() else 1 if code else 2
    return (SOURCE_RANK.get(_source(action), 4), code_rank, code, str(action.get("text") or ""))


def observations(bill: str, actions: list[Mapping], url: str) -> list[Observation]:
    """The bill's stage observations from its actions: mapped, collapsed, ordered by date."""
    best: dict[tuple[str, str | None, date], Mapping] = {}
    for action in actions:
        if not isinstance(action, Mapping):
            continue
        stage, chamber = stage_of(action)
        on = iso_date(action.get("actionDate"))
        if stage is None or on is None:
            continue
        key = (stage, chamber, on)
        if key not in best or _rank(action) < _rank(best[key]):
            best[key] = action
    earliest: dict[tuple[str, str | None], date] = {}
    for stage, chamber, on in best:
        if stage in FIRST_ONLY:
            earliest[(stage, chamber)] = min(on, earliest.get((stage, chamber), on))
    found = []
    for (stage, chamber, on), action in best.items():
        if stage in FIRST_ONLY and earliest[(stage, chamber)] != on:
            continue
        text = " ".join(str(action.get("text") or "").split())
        identifiers = {"bill": bill}
        if action.get("actionCode"):
            identifiers["action_code"] = str(action["actionCode"])
        if _source(action) is not None:
            identifiers["source_system"] = str(_source(action))
        if chamber:
            identifiers[CHAMBER] = chamber
        if stage == "enacted" and (law := LAW_NUMBER.search(text)):
            identifiers["law"] = law.group(1)
        found.append(Observation(stage=stage, on=on, text=text, url=url, identifiers=identifiers))
    return sorted(found, key=lambda o: (o.on, STAGES.index(o.stage), o.fingerprint()))


def _next_link(page: dict) -> str | None:
    pagination = page.get("pagination")
    link = pagination.get("next") if isinstance(pagination, Mapping) else None
    return link if isinstance(link, str) and link else None


class CongressProvider(ProviderBase):
    """Bills on Congress.gov; without an API key the provider is skipped with a notice."""

    name = NAME
    label = LABEL
    item_kinds = ("bill",)
    stages = STAGES
    item_help = {"bill": "congress-type-number, e.g. 119-hr-3447"}
    default_url, key_header = DEFAULT_URL, "X-Api-Key"

    def normalised(self, kind: str, item: str) -> str:
        """`119-hr-3447` normalised (lower case, no leading zeros), or ItemError."""
        match = ITEM.match(str(item or "").strip().lower())
        if not match or match.group(2) not in BILL_TYPES or int(match.group(1)) == 0 or int(match.group(3)) == 0:
            raise ItemError(f"{item!r} is not a bill reference: expected congress-type-number, e.g. 119-hr-3447 "
                            f"(types: {', '.join(BILL_TYPES)})")
        return f"{int(match.group(1))}-{match.group(2)}-{int(match.group(3))}"

    def item_url(self, kind: str, item: str) -> str:
        """The bill's actions page on congress.gov."""
        congress, bill_type, number = self.check_item(kind, item).split("-")
        return f"{PUBLIC_URL}/bill/{_ordinal(int(congress))}-congress/{BILL_TYPES[bill_type]}/{number}/all-actions"

    def fetch(self, kind: str, item: str) -> list[Observation]:
        """Every stage observation of the bill, all pages of actions read first."""
        bill = self.item_to_fetch(kind, item)
        congress, bill_type, number = bill.split("-")
        url = f"{self.base_url}/bill/{congress}/{bill_type}/{number}/actions"
        with self.http.session():
            pages = self.http.follow(url, {"format": "json", "offset": 0, "limit": PAGE_SIZE}, _next_link)
        actions = []
        for page in pages:
            actions.extend(actions_of(page, LABEL))
        return observations(bill, actions, self.item_url(kind, bill))
