"""The providers by name, built from a configuration mapping (no Flask, no database).

`config` is any mapping holding the SPEC's settings: the app's config or
`os.environ`. Missing URLs fall back to the providers' public APIs; a missing key
makes the provider skip its watches with a notice (`ProviderSkipped` from `fetch`),
never an error. `http_options` (timeout, sleep, rng, client, max_pages, ...) go to
the HTTP layer; tests pass a `sleep` that does not sleep.
"""

from __future__ import annotations

from collections.abc import Mapping

from tracker.watches.providers import congress, federal_register, openstates
from tracker.watches.providers.base import Provider

NAMES = (congress.NAME, federal_register.NAME, openstates.NAME)
LABELS = {congress.NAME: congress.LABEL, federal_register.NAME: federal_register.LABEL,
          openstates.NAME: openstates.LABEL}
STAGES = {congress.NAME: congress.STAGES, federal_register.NAME: federal_register.STAGES,
          openstates.NAME: openstates.STAGES}
ITEM_KINDS = {congress.NAME: ("bill",), federal_register.NAME: ("document", "docket"),
              openstates.NAME: ("bill",)}


class UnknownProvider(ValueError):
    """No provider of that name."""


def _setting(config: Mapping, key: str) -> str | None:
    value = config.get(key)
    return str(value).strip() or None if value is not None else None


def get_provider(name: str, config: Mapping, **http_options) -> Provider:
    """The provider `name` configured from `config`'s TRACKER_* settings."""
    http_options.setdefault("agent_url", _setting(config, "TRACKER_BASE_URL"))
    if name == congress.NAME:
        return congress.CongressProvider(_setting(config, "TRACKER_CONGRESS_API_URL"),
                                         _setting(config, "TRACKER_CONGRESS_API_KEY"), **http_options)
    if name == federal_register.NAME:
        return federal_register.FederalRegisterProvider(_setting(config, "TRACKER_FEDERAL_REGISTER_API_URL"),
                                                        **http_options)
    if name == openstates.NAME:
        return openstates.OpenStatesProvider(_setting(config, "TRACKER_OPENSTATES_API_URL"),
                                             _setting(config, "TRACKER_OPENSTATES_API_KEY"), **http_options)
    raise UnknownProvider(f"unknown provider {name!r}; expected one of {', '.join(NAMES)}")
