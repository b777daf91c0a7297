"""What every provider class shares (no Flask, no database): its settings, its HTTP layer, its checks.

A provider declares `name`, `label`, `item_kinds`, `stages`, `item_help`, `default_url` and,
when its API wants a key, the header that carries it (`key_header`). Its settings are named
after it (`TRACKER_<NAME>_API_URL`, `TRACKER_<NAME>_API_KEY`), so adding a provider never
means inventing (or mistyping) a setting's name in a second place.
"""

from __future__ import annotations

from datetime import date

from tracker.watches.providers.base import ItemError, ProviderError, ProviderSkipped
from tracker.watches.providers.http import Http


def iso_date(value: object) -> date | None:
    """The date an API gives as ISO text ("2026-03-04" or "2026-03-04T10:00:00Z"), or None."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def actions_of(answer: dict, label: str) -> list:
    """The `actions` list of a bill as the API gave it, or ProviderError when the answer has none."""
    actions = answer.get("actions")
    if not isinstance(actions, list):
        raise ProviderError(f"{label}: the answer has no list of actions")
    return actions


class ProviderBase:
    """The shared start of a provider class: `__init__(base_url, api_key, **http_options)`.

    With a `key_header`, `api_key` None means the provider is skipped with a notice
    (`item_to_fetch`, the start of `fetch`); without one the key is ignored.
    """

    name: str
    label: str
    item_kinds: tuple[str, ...]
    default_url: str
    key_header: str | None = None
    url_setting: str
    key_setting: str | None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.url_setting = f"TRACKER_{cls.name.upper()}_API_URL"
        cls.key_setting = f"TRACKER_{cls.name.upper()}_API_KEY" if cls.key_header else None

    def __init__(self, base_url: str | None = None, api_key: str | None = None, **http_options):
        self.base_url = (base_url or self.default_url).rstrip("/")
        self.api_key = (api_key or None) if self.key_header else None
        if self.key_header:
            self.http = Http.keyed(self.label, self.base_url, self.key_header, self.api_key, **http_options)
        else:
            self.http = Http(self.label, self.base_url, **http_options)

    def check_item(self, kind: str, item: str) -> str:
        """The item reference normalised, or ItemError naming what is wrong: a kind this provider
        does not watch, or a reference of the wrong form (`normalised`, each provider's own)."""
        if kind not in self.item_kinds:
            raise ItemError(f"{self.label} watches a {' or a '.join(self.item_kinds)}, not a {kind!r}")
        return self.normalised(kind, item)

    def normalised(self, kind: str, item: str) -> str:
        """`item` (a reference of a kind this provider watches) in its one spelling, or ItemError."""
        raise NotImplementedError

    def item_to_fetch(self, kind: str, item: str) -> str:
        """The start of every `fetch`: the item normalised (ItemError first: a typo is the user's to fix),
        then ProviderSkipped, a notice and not a failure, when the API wants a key and none is set."""
        value = self.check_item(kind, item)
        if self.key_header and not self.api_key:
            raise ProviderSkipped(f"{self.label}: no API key (set {self.key_setting}); watch not polled")
        return value
