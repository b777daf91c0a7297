"""Regulator providers: Congress.gov, the Federal Register, Open States (pure: no Flask, no database).

`get_provider(name, config)` builds one; its `fetch(kind, item)` returns
`Observation`s or raises `ProviderError` / `ProviderSkipped` (see `base`).
"""

from tracker.watches.providers.base import (CHAMBER, SUPERSEDES, ItemError, Observation, Provider, ProviderError,
                                            ProviderSkipped, occurrence)
from tracker.watches.providers.registry import (ITEM_HELP, ITEM_KINDS, LABELS, NAMES, PROVIDERS, STAGES,
                                                UnknownProvider, get_provider)

__all__ = ["CHAMBER", "ITEM_HELP", "ITEM_KINDS", "PROVIDERS", "LABELS", "NAMES", "STAGES", "SUPERSEDES", "ItemError", "Observation",
           "Provider", "ProviderError", "ProviderSkipped", "UnknownProvider", "get_provider", "occurrence"]
