"""The regulator providers are declared once: everything else is derived from their classes."""

from tracker.watches.providers import registry


def test_every_name_label_stage_kind_help_and_setting_comes_from_the_provider_classes():
    assert registry.NAMES == ("congress", "federal_register", "openstates")
    for provider in registry.PROVIDERS:
        assert registry.LABELS[provider.name] == provider.label
        assert registry.STAGES[provider.name] == provider.stages
        assert set(provider.item_help) == set(provider.item_kinds), provider.name
    assert registry.ITEM_HELP["federal_register:docket"] == "a docket id, e.g. BIS-2026-0001"
    assert registry.settings_defaults() == {
        "TRACKER_CONGRESS_API_URL": "https://api.congress.gov/v3", "TRACKER_CONGRESS_API_KEY": None,
        "TRACKER_FEDERAL_REGISTER_API_URL": "https://www.federalregister.gov/api/v1",
        "TRACKER_OPENSTATES_API_URL": "https://v3.openstates.org", "TRACKER_OPENSTATES_API_KEY": None}


def test_a_provider_is_built_from_its_own_settings_and_an_unknown_name_is_refused():
    provider = registry.get_provider("openstates", {"TRACKER_OPENSTATES_API_URL": "http://127.0.0.1:9/os/",
                                                    "TRACKER_OPENSTATES_API_KEY": " k "})
    assert (provider.base_url, provider.api_key) == ("http://127.0.0.1:9/os", "k")
    assert registry.get_provider("federal_register", {}).base_url == "https://www.federalregister.gov/api/v1"
    try:
        registry.get_provider("gazette", {})
    except registry.UnknownProvider as refusal:
        assert "congress, federal_register, openstates" in str(refusal)
    else:
        raise AssertionError("an unknown provider was built")
