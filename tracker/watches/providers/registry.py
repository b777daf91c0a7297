"""The providers, declared once, and built by name from a configuration mapping (no Flask, no database).

A provider is a class with `name`, `label`, `item_kinds`, `stages`, `item_help` (kind -> what
to type), `default_url` (and `key_header` when its API wants a key); its settings (`url_setting`,
`key_setting`) and `__init__(base_url, api_key, **http_options)` come from
tracker.watches.providers.common.ProviderBase. Adding one is its module plus one line in
PROVIDERS: the names, labels, stages, item kinds, the watch form's choices and help, and the
app's settings (`tracker/config.py`) are derived from it.

`config` is any mapping holding the SPEC's settings: the app's config or `os.environ`. Missing
URLs fall back to the providers' public APIs; a missing key makes the provider skip its watches
with a notice (`ProviderSkipped` from `fetch`), never an error. `http_options` (timeout, sleep,
rng, client, max_pages, ...) go to the HTTP layer; tests pass a `sleep` that does not sleep.
"""

from __future__ import annotations

from collections.abc import Mapping

from tracker.watches.providers.base import Provider
from tracker.watches.providers.congress import CongressProvider
from tracker.watches.providers.federal_register import FederalRegisterProvider
from tracker.watches.providers.openstates import OpenStatesProvider

PROVIDERS = (CongressProvider, FederalRegisterProvider, OpenStatesProvider)

BY_NAME = {provider.name: provider for provider in PROVIDERS}
NAMES = tuple(BY_NAME)
LABELS = {provider.name: provider.label for provider in PROVIDERS}
STAGES = {provider.name: provider.stages for provider in PROVIDERS}
ITEM_KINDS = {provider.name: provider.item_kinds for provider in PROVIDERS}
# "congress:bill" -> what to type for it, in the watch form.
ITEM_HELP = {f"{provider.name}:{kind}": provider.item_help[kind]
             for provider in PROVIDERS for kind in provider.item_kinds}


class UnknownProvider(ValueError):
    """No provider of that name."""


def settings_defaults() -> dict[str, str | None]:
    """Every provider's settings and their defaults: the public API URL, no key."""
    defaults: dict[str, str | None] = {}
    for provider in PROVIDERS:
        defaults[provider.url_setting] = provider.default_url
        if provider.key_setting:
            defaults[provider.key_setting] = None
    return defaults


def _setting(config: Mapping, key: str | None) -> str | None:
    value = config.get(key) if key else None
    return str(value).strip() or None if value is not None else None


def get_provider(name: str, config: Mapping, **http_options) -> Provider:
    """The provider `name` configured from `config`'s TRACKER_* settings."""
    provider = BY_NAME.get(name)
    if provider is None:
        raise UnknownProvider(f"unknown provider {name!r}; expected one of {', '.join(NAMES)}")
    http_options.setdefault("agent_url", _setting(config, "TRACKER_BASE_URL"))
    return provider(_setting(config, provider.url_setting), _setting(config, provider.key_setting), **http_options)
